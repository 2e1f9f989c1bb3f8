"""Blind indexes: exact search on encrypted values without storing them.

A blind index is HMAC-SHA256 of a normalised value under a key derived from
the KEK for that purpose only. The database holds digests; without the key a
digest reveals nothing and cannot be brute-forced offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from custos.crypto.keys import get_provider

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise_name(value: str) -> str:
    """Case, accents, punctuation and spacing folded: 'O’Neil-Smith ' == 'oneil smith'."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("'", "").replace("\u2019", "")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def normalise_date(value: dt.date) -> str:
    return value.isoformat()


@lru_cache(maxsize=4)
def _index_key(purpose: str) -> bytes:
    return get_provider().derive(purpose)


def digest(kind: str, normalised: str, *, purpose: str = "blind-index-v1") -> bytes:
    """The blind-index digest of an already-normalised value of one kind."""
    message = kind.encode("ascii") + b"\x00" + normalised.encode("utf-8")
    return hmac.new(_index_key(purpose), message, hashlib.sha256).digest()


def name_digest(value: str) -> bytes:
    return digest("name", normalise_name(value))


def date_digest(value: dt.date) -> bytes:
    return digest("dob", normalise_date(value))


def reference_digest(value: str) -> bytes:
    """For source references: equal sources compare equal, nothing else leaks."""
    return digest("source", normalise_name(value))


def clear_cache() -> None:
    _index_key.cache_clear()
