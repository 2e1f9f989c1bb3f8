"""Signing in to Custos over HTTP as a person would: password, authenticator code, declared purpose.

Shared by ``bench/scale.py`` (a plain ``requests`` session) and ``bench/locustfile.py`` (locust's
``HttpSession``, which takes paths relative to its host): pass ``prefix`` = the base URL for the first and
``""`` for the second. Imports neither Django nor locust.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
from typing import Any

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PURPOSE = {"reference": "OP-BENCH-1", "reason": "Load benchmark on synthetic data only."}


def totp(secret_base32: str, *, at: float | None = None) -> str:
    """The 6-digit RFC 6238 code (SHA-1, 30 s steps) an authenticator app holding the secret shows."""
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def _csrf(html: str) -> str:
    found = _TOKEN.search(html)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def _post(session: Any, prefix: str, path: str, data: dict[str, str], **kwargs: Any) -> Any:
    page = session.get(prefix + path, **kwargs)
    form = {"csrfmiddlewaretoken": _csrf(page.text), **data}
    return session.post(prefix + path, data=form, headers={"Referer": page.url}, **kwargs)


def sign_in(session: Any, prefix: str, *, username: str, password: str, totp_secret: str, **kwargs: Any) -> None:
    """Sign ``session`` in and declare a purpose; raises ``RuntimeError`` if any step is refused.

    ``kwargs`` go to every request (locust: ``name=`` to group the sign-in steps).
    """
    response = _post(session, prefix, "/sign-in/", {"username": username, "password": password}, **kwargs)
    if "/account/mfa/verify/" not in response.url:
        raise RuntimeError(f"password refused for {username} (at {response.url})")
    response = _post(session, prefix, "/account/mfa/verify/", {"code": totp(totp_secret)}, **kwargs)
    if "/account/mfa/verify/" in response.url:
        raise RuntimeError(f"authenticator code refused for {username}")
    response = _post(session, prefix, "/purpose/", PURPOSE, **kwargs)
    if "/purpose/" in response.url:
        raise RuntimeError(f"purpose refused for {username}")
