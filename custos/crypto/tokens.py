"""Secrets handed to people once (API tokens), stored only as keyed digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from custos.crypto.keys import get_provider

TOKEN_PREFIX = "cst_"  # noqa: S105 - a public prefix, not a secret


def token_new() -> str:
    """A new API token: recognisable prefix and 256 bits of randomness."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The keyed digest stored in place of a token (hex)."""
    key = get_provider().derive("api-token-v1")
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def sha256_hex(data: bytes) -> str:
    """Plain SHA-256, for hash chains over non-secret data."""
    return hashlib.sha256(data).hexdigest()


def random_secret(nbytes: int = 50) -> str:
    return secrets.token_urlsafe(nbytes)


def random_bytes(nbytes: int = 20) -> bytes:
    """Fresh random bytes, for shared secrets such as a TOTP key (160 bits by default)."""
    return secrets.token_bytes(nbytes)


def code_new(nbytes: int = 12) -> str:
    """A one-time code handed to someone outside Custos (e.g. inside a sharing package)."""
    return secrets.token_urlsafe(nbytes)


def code_digest(purpose: str, code: str) -> str:
    """The keyed digest stored in place of a one-time code (hex); ``purpose`` separates uses."""
    key = get_provider().derive(f"code-{purpose}-v1")
    return hmac.new(key, code.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def code_matches(purpose: str, code: str, digest: str) -> bool:
    """Does ``code`` match the stored ``digest``? (constant time)."""
    return hmac.compare_digest(code_digest(purpose, code), digest or "")
