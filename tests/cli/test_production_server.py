"""The production server as deployed: gunicorn with TLS (a self-signed certificate), two workers, HSTS and
secure cookies; signing in works over HTTPS and plain HTTP is refused. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server import DEMO_PASSWORD, CustosInstance, _free_port, custos_instance

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


@dataclass
class Production:
    instance: CustosInstance
    port: int
    context: ssl.SSLContext
    process: subprocess.Popen[bytes]
    log: Path
    cert: Path

    def connection(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("localhost", self.port, context=self.context, timeout=20)


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = _certificate(folder)
    with custos_instance() as inst:
        port = _free_port()
        env = inst.env | {
            "CUSTOS_HTTPS": "1",
            "CUSTOS_ALLOWED_HOSTS": "localhost",
            "CUSTOS_TLS_CERT": str(cert),
            "CUSTOS_TLS_KEY": str(key),
            "CUSTOS_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
        }
        log = folder / "gunicorn.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(folder),
            )  # fmt: skip
        context = ssl.create_default_context(cafile=str(cert))
        server = Production(inst, port, context, process, log, cert)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(log.read_text())
            try:
                connection = server.connection()
                connection.request("GET", "/sign-in/")
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("gunicorn did not answer over TLS within 60 s:\n" + log.read_text()) from None
                time.sleep(0.3)
        try:
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    """name → the whole Set-Cookie header for it."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_all("Set-Cookie") or []}


def test_the_sign_in_page_is_served_over_tls_with_hsts_and_secure_cookies(production: Production) -> None:
    connection = production.connection()
    connection.request("GET", "/sign-in/")
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200
    assert "Sign in" in body
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    csrf = _cookies(response)["csrftoken"]
    assert "Secure" in csrf
    assert "HttpOnly" in csrf
    with (
        socket.create_connection(("127.0.0.1", production.port), timeout=10) as raw,
        production.context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


def test_signing_in_over_https_reaches_the_second_factor(production: Production) -> None:
    connection = production.connection()
    connection.request("GET", "/sign-in/")
    page = connection.getresponse()
    body = page.read().decode()
    csrf_cookie = _cookies(page)["csrftoken"].split(";", 1)[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": "demo_officer", "password": DEMO_PASSWORD}
    )
    origin = f"https://localhost:{production.port}"
    connection.request(
        "POST",
        "/sign-in/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": csrf_cookie,
            "Referer": f"{origin}/sign-in/",
            "Origin": origin,
        },
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 302, production.log.read_text()[-2000:]  # the password is right
    session = _cookies(response)["sessionid"]
    assert "Secure" in session
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session
    connection.request("GET", response.headers["Location"], headers={"Cookie": session.split(";", 1)[0]})
    following = connection.getresponse()
    following.read()
    assert following.status == 302
    assert following.headers["Location"].startswith("/account/mfa/")  # and then the second factor


def test_plain_http_and_an_unknown_host_are_refused(production: Production) -> None:
    plain = http.client.HTTPConnection("127.0.0.1", production.port, timeout=10)
    try:
        plain.request("GET", "/sign-in/")
        answered = plain.getresponse().status
    except (OSError, http.client.HTTPException):
        answered = None
    assert answered in (None, 400)  # the TLS listener never serves a page in clear text
    connection = http.client.HTTPSConnection("127.0.0.1", production.port, context=production.context, timeout=10)
    connection.request("GET", "/sign-in/", headers={"Host": "custos.attacker.example"})
    assert connection.getresponse().status == 400  # ALLOWED_HOSTS


def test_two_workers_serve_and_a_term_stops_them_cleanly(production: Production) -> None:
    children = Path(f"/proc/{production.process.pid}/task/{production.process.pid}/children").read_text().split()
    assert len(children) == 2
    connection = production.connection()
    connection.request("GET", "/sign-in/?next=/people/query-string-marker/")
    assert connection.getresponse().status == 200
    time.sleep(0.5)  # the access log line is written after the response
    log = production.log.read_text()
    assert log.count("Booting worker with pid") >= 2
    assert "GET /sign-in/ 200" in log
    assert "query-string-marker" not in log  # the access log holds no query strings


def test_the_config_refuses_half_a_tls_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")} | {"CUSTOS_TLS_CERT": "/x.pem"}
    result = subprocess.run(
        [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--check-config"],
        env=env, capture_output=True, text=True, cwd=str(tmp_path), timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "set both CUSTOS_TLS_CERT and CUSTOS_TLS_KEY, or neither" in result.stdout + result.stderr
