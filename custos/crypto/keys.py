"""Key providers: where the key-encryption key (KEK) lives.

The KEK never leaves its provider's process memory and is never written to
the database. It wraps each person's data key (envelope encryption) and
derives the keys for blind indexes and token digests.

Providers:

- ``LocalKeyFileProvider`` (default): a file of base64 keys, one per line,
  the first being the active one; created by ``custos init`` with mode 0600.
  Older lines remain so that keys wrapped before a rotation still unwrap.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

KEY_BYTES = 32
NONCE_BYTES = 12


class KeyUnavailable(RuntimeError):
    """The key provider cannot give a key: nothing personal can be read or written."""


class KeyProvider(Protocol):
    """What every key provider offers; nothing outside ``custos.crypto`` sees a KEK."""

    def active_key_id(self) -> str: ...

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        """Encrypt a data key under the active KEK; returns ``(kek_id, wrapped)``."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        """Decrypt a wrapped data key; raises ``KeyUnavailable`` if it cannot."""
        ...

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for one named purpose (blind index, token digests)."""
        ...


def _kek_id(kek: bytes) -> str:
    return "local-" + hashlib.sha256(b"custos-kek-id" + kek).hexdigest()[:16]


class LocalKeyFileProvider:
    """KEKs held in a local file readable only by the service account."""

    def __init__(self, path: Path) -> None:
        self.path = path
        keys = self._read(path)
        self._keys = {_kek_id(k): k for k in keys}
        self._active = _kek_id(keys[0])

    @staticmethod
    def _read(path: Path) -> list[bytes]:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError as exc:
            raise KeyUnavailable("key file missing: run 'custos init'") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyUnavailable("key file is readable by others: chmod 600 it")
        keys = []
        for line in path.read_text(encoding="ascii").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key = base64.b64decode(line, validate=True)
            if len(key) != KEY_BYTES:
                raise KeyUnavailable("key file holds a key of the wrong length")
            keys.append(key)
        if not keys:
            raise KeyUnavailable("key file holds no key")
        return keys

    def active_key_id(self) -> str:
        return self._active

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        wrapped = nonce + AESGCM(self._keys[self._active]).encrypt(nonce, data_key, context)
        return self._active, wrapped

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        kek = self._keys.get(kek_id)
        if kek is None:
            raise KeyUnavailable("the key that wrapped this data key is not in the key file")
        try:
            return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], context)
        except InvalidTag as exc:
            raise KeyUnavailable("a data key failed its integrity check") from exc

    def derive(self, purpose: str) -> bytes:
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_BYTES,
            salt=b"custos-derive-v1",
            info=purpose.encode("ascii"),
        )
        # Derived from the first key ever created (the last line) so that a
        # KEK rotation does not invalidate blind indexes and token digests.
        oldest = list(self._keys.values())[-1]
        return hkdf.derive(oldest)


def create_key_file(path: Path) -> bool:
    """Create the local key file with mode 0600; returns False if it existed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("# Custos key-encryption keys. Back up apart from the database.\n")
        handle.write(base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii") + "\n")
    return True


@lru_cache(maxsize=1)
def _provider_for(path: str) -> KeyProvider:
    return LocalKeyFileProvider(Path(path))


def get_provider() -> KeyProvider:
    """The configured key provider (the local key file unless configured otherwise)."""
    return _provider_for(str(settings.KEY_FILE_PATH))


def reset_provider_cache() -> None:
    _provider_for.cache_clear()
