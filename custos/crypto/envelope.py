"""Envelope encryption: data keys, sealing and opening field values, shredding.

Each value is AES-256-GCM under its owner's data key, with the table, column
and row bound in as associated data: a ciphertext copied to another row or
column fails to open. Layout: version byte, 12-byte nonce, ciphertext+tag.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils import timezone

from custos.crypto.keys import KEY_BYTES, NONCE_BYTES, KeyUnavailable, get_provider
from custos.crypto.models import DataKey

FORMAT_VERSION = b"\x01"
_CACHE_SECONDS = 60.0
_CACHE_SIZE = 20_000


class DataKeyShredded(KeyUnavailable):
    """The data key was destroyed: the data it protected is gone for good."""


class _KeyCache:
    """A small, short-lived cache of unwrapped data keys (per process)."""

    def __init__(self) -> None:
        self._items: OrderedDict[uuid.UUID, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key_id: uuid.UUID) -> bytes | None:
        with self._lock:
            item = self._items.get(key_id)
            if item is None or item[0] < time.monotonic():
                self._items.pop(key_id, None)
                return None
            self._items.move_to_end(key_id)
            return item[1]

    def put(self, key_id: uuid.UUID, key: bytes) -> None:
        with self._lock:
            self._items[key_id] = (time.monotonic() + _CACHE_SECONDS, key)
            self._items.move_to_end(key_id)
            while len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)

    def drop(self, key_id: uuid.UUID) -> None:
        with self._lock:
            self._items.pop(key_id, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _KeyCache()


def _context(key_id: uuid.UUID) -> bytes:
    return b"custos-data-key:" + str(key_id).encode("ascii")


def data_key_new() -> DataKey:
    """An unsaved DataKey holding a fresh random key, wrapped by the active KEK."""
    key = os.urandom(KEY_BYTES)
    data_key = DataKey(id=uuid.uuid4())
    data_key.kek_id, data_key.wrapped = get_provider().wrap(key, context=_context(data_key.id))
    _cache.put(data_key.id, key)
    return data_key


def data_key_create() -> DataKey:
    """Create and save a new data key (one per data subject)."""
    data_key = data_key_new()
    data_key.save(force_insert=True)
    return data_key


def _load(key_id: uuid.UUID) -> bytes:
    cached = _cache.get(key_id)
    if cached is not None:
        return cached
    row = DataKey.objects.filter(pk=key_id).values_list("kek_id", "wrapped").first()
    if row is None or row[1] is None:
        raise DataKeyShredded("this record's data key has been destroyed")
    key = get_provider().unwrap(row[0], bytes(row[1]), context=_context(key_id))
    _cache.put(key_id, key)
    return key


def preload(key_ids: Iterable[uuid.UUID]) -> None:
    """Unwrap many data keys with one query (list pages, exports)."""
    wanted = [k for k in set(key_ids) if _cache.get(k) is None]
    if not wanted:
        return
    provider = get_provider()
    rows = DataKey.objects.filter(pk__in=wanted, wrapped__isnull=False).values_list("id", "kek_id", "wrapped")
    for key_id, kek_id, wrapped in rows:
        if wrapped is None:  # pragma: no cover - excluded by the query
            continue
        _cache.put(key_id, provider.unwrap(kek_id, bytes(wrapped), context=_context(key_id)))


def seal(key_id: uuid.UUID, plaintext: bytes, *, aad: bytes) -> bytes:
    """Encrypt ``plaintext`` under data key ``key_id``, bound to ``aad``."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_VERSION + nonce + AESGCM(_load(key_id)).encrypt(nonce, plaintext, aad)


def open_sealed(key_id: uuid.UUID, sealed: bytes, *, aad: bytes) -> bytes:
    """Decrypt a value sealed by ``seal``; raises ``KeyUnavailable`` on any failure."""
    if sealed[:1] != FORMAT_VERSION:
        raise KeyUnavailable("unknown ciphertext format")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(_load(key_id)).decrypt(nonce, body, aad)
    except InvalidTag as exc:
        raise KeyUnavailable("a value failed its integrity check (moved or altered)") from exc


def shred(owner: Any) -> None:
    """Destroy the data key of ``owner`` (a person, or a data key id).

    Its wrapped bytes are overwritten and dropped.

    After this, every value sealed with the key, in the live database or in
    any backup, is unreadable. Irreversible by design; the caller records the
    erasure in the audit log in the same transaction.
    """
    data_key_id = owner if isinstance(owner, uuid.UUID) else owner.data_key_id
    _cache.drop(data_key_id)
    DataKey.objects.filter(pk=data_key_id).update(wrapped=None, shredded_at=timezone.now())


def shred_many(key_ids: Iterable[uuid.UUID]) -> int:
    """Destroy many data keys at once (see ``shred``); returns how many were live."""
    ids = list(key_ids)
    for key_id in ids:
        _cache.drop(key_id)
    return DataKey.objects.filter(pk__in=ids, wrapped__isnull=False).update(wrapped=None, shredded_at=timezone.now())


def clear_cache() -> None:
    _cache.clear()
