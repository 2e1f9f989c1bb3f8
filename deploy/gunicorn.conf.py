"""gunicorn settings for Custos in production: ``gunicorn -c deploy/gunicorn.conf.py``.

Everything comes from the environment, like the rest of Custos (README, "Production"):

- ``CUSTOS_BIND``: where to listen (default ``127.0.0.1:8443``);
- ``CUSTOS_TLS_CERT`` and ``CUSTOS_TLS_KEY``: the certificate chain and its private key, PEM. With both set,
  gunicorn terminates TLS itself (1.2 or later); without them it speaks plain HTTP and must sit behind a
  TLS-terminating proxy on the same host (then set ``CUSTOS_BEHIND_PROXY=1``);
- ``WEB_CONCURRENCY``: worker processes (gunicorn's own variable; default two per core, plus one);
- ``CUSTOS_HTTPS=1`` and the other ``CUSTOS_*`` settings are read by Django (HSTS, secure cookies, redirects).

Each worker loads ``custos.wsgi``, which re-applies the erasure ledger before serving (ADR 10). The access log
holds method, path and status only: paths hold pseudonymous references, never names, and searches are posted.
"""

from __future__ import annotations

import multiprocessing
import os
import ssl

wsgi_app = "custos.wsgi:application"
bind = [os.environ.get("CUSTOS_BIND", "127.0.0.1:8443")]
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
timeout = int(os.environ.get("CUSTOS_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1" if os.environ.get("CUSTOS_BEHIND_PROXY") else ""
limit_request_line = 8190
accesslog = "-"
access_log_format = "%(t)s %(m)s %(U)s %(s)s %(b)s %(L)ss"  # no query string, no user agent, no referrer
errorlog = "-"
loglevel = "info"

certfile = os.environ.get("CUSTOS_TLS_CERT") or None
keyfile = os.environ.get("CUSTOS_TLS_KEY") or None
if bool(certfile) != bool(keyfile):
    raise SystemExit("custos: set both CUSTOS_TLS_CERT and CUSTOS_TLS_KEY, or neither")


def ssl_context(config: object, default_ssl_context_factory: object) -> ssl.SSLContext:
    """TLS 1.2 or later only."""
    context: ssl.SSLContext = default_ssl_context_factory()  # type: ignore[operator]
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
