"""Key providers: where the key-encryption key (KEK) lives.

The KEK never leaves its provider and is never written to the database. It
wraps each person's data key (envelope encryption) and derives the keys for
blind indexes and token digests.

Providers, chosen by ``CUSTOS_KEY_PROVIDER`` (a setting, else the
environment variable):

- ``local`` (default), ``LocalKeyFileProvider``: a file of base64 keys, one
  per line, the first being the active one; created by ``custos init`` with
  mode 0600. Older lines remain so that keys wrapped before a rotation still
  unwrap; the last line (the first key ever made) is the derivation root.
- ``pkcs11``, ``custos.crypto.pkcs11.Pkcs11Provider``: AES-256 KEKs inside an
  HSM token, used through PKCS#11; they never leave the token.

A provider can also make a new KEK (``create_key``), retire unused ones
(``retire_keys``) and describe itself without secrets (``references``), which
is all ``custos rotate_keys`` and ``custos backup`` need.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

KEY_BYTES = 32
NONCE_BYTES = 12

PROVIDER_LOCAL = "local"
PROVIDER_PKCS11 = "pkcs11"
KEY_FILE_HEADER = "# Custos key-encryption keys. Back up apart from the database.\n"


class KeyUnavailable(RuntimeError):
    """The key provider cannot give a key: nothing personal can be read or written."""


class KeyProvider(Protocol):
    """What every key provider offers; nothing outside ``custos.crypto`` sees a KEK."""

    @property
    def kind(self) -> str:
        """``local-key-file`` or ``pkcs11``: named in backups and audit events."""
        ...

    def active_key_id(self) -> str: ...

    def key_ids(self) -> list[str]:
        """Every KEK this provider can unwrap with, newest (active) first."""
        ...

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        """Encrypt a data key under the active KEK; returns ``(kek_id, wrapped)``."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        """Decrypt a wrapped data key; raises ``KeyUnavailable`` if it cannot."""
        ...

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for one named purpose (blind index, token digests)."""
        ...

    def create_key(self) -> str:
        """Make a new KEK and make it the active one; returns its id. Old KEKs stay."""
        ...

    def protected_key_ids(self) -> set[str]:
        """KEKs that ``retire_keys`` must never remove (the active one, a derivation root)."""
        ...

    def retire_keys(self, kek_ids: Collection[str]) -> list[str]:
        """Destroy the given KEKs (never a protected one); returns those removed."""
        ...

    def references(self) -> dict[str, Any]:
        """A description with no secret in it: kind, key ids, fingerprints."""
        ...


def _kek_id(kek: bytes) -> str:
    return "local-" + hashlib.sha256(b"custos-kek-id" + kek).hexdigest()[:16]


def _encode(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


class LocalKeyFileProvider:
    """KEKs held in a local file readable only by the service account.

    Guarantees: the file is refused if group or others may read it; every
    rewrite (a rotation, a retirement) goes to a new 0600 file that replaces
    the old one atomically, so a crash leaves either the old or the new file,
    never a torn one; the first key ever made (the last line) is kept for as
    long as the file exists, because blind indexes and API token digests are
    derived from it.
    """

    kind = "local-key-file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._set_keys(self._read(path))

    def _set_keys(self, keys: list[bytes]) -> None:
        self._ordered = [(_kek_id(k), k) for k in keys]
        self._keys = dict(self._ordered)
        self._active = self._ordered[0][0]
        self._root = self._ordered[-1][1]

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

    def key_ids(self) -> list[str]:
        return [kek_id for kek_id, _ in self._ordered]

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
        return hkdf.derive(self._root)

    def create_key(self) -> str:
        keys = [os.urandom(KEY_BYTES)] + [k for _, k in self._ordered]
        _write_key_file(self.path, keys)
        self._set_keys(keys)
        return self._active

    def protected_key_ids(self) -> set[str]:
        return {self._active, self._ordered[-1][0]}

    def retire_keys(self, kek_ids: Collection[str]) -> list[str]:
        unwanted = set(kek_ids) - self.protected_key_ids()
        removed = [kek_id for kek_id, _ in self._ordered if kek_id in unwanted]
        if not removed:
            return []
        keys = [k for kek_id, k in self._ordered if kek_id not in unwanted]
        _write_key_file(self.path, keys)
        self._set_keys(keys)
        return removed

    def references(self) -> dict[str, Any]:
        return {
            "provider": self.kind,
            "active_key_id": self._active,
            "key_ids": self.key_ids(),
            "derivation_key_id": self._ordered[-1][0],
            "key_file_name": self.path.name,
            "key_file_sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
        }


def _stale_copies_remove(path: Path) -> None:
    """Remove the new files of earlier rewrites whose process died before renaming them (killed, power cut).

    Each is a full copy of the keys of its time: left behind, it would keep a retired KEK readable.
    Only files of processes that no longer exist are removed; a rewrite in progress is left alone.
    """
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        pid = stale.name.removeprefix(f".{path.name}.").removesuffix(".tmp")
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            stale.unlink(missing_ok=True)
        except PermissionError:  # a live process of another user
            continue


def _write_key_file(path: Path, keys: list[bytes]) -> None:
    """Replace the key file atomically: a new 0600 file, synced, renamed over the old."""
    comments = [line for line in path.read_text(encoding="ascii").splitlines() if line.startswith("#")]
    text = "\n".join(comments or [KEY_FILE_HEADER.rstrip("\n")]) + "\n"
    text += "".join(_encode(k) + "\n" for k in keys)
    _stale_copies_remove(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def create_key_file(path: Path) -> bool:
    """Create the local key file with mode 0600; returns False if it existed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(KEY_FILE_HEADER)
        handle.write(_encode(os.urandom(KEY_BYTES)) + "\n")
    return True


def key_setting(name: str, default: str = "") -> str:
    """A key-provider setting: ``settings.NAME`` if set, else the environment."""
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name) or default
    return str(value)


@lru_cache(maxsize=1)
def _local_provider(path: str, inode: int, mtime_ns: int, size: int, mode: int) -> KeyProvider:
    # Keyed by the file's identity and state: after a rotation replaces the
    # file, every process picks up the new active KEK on its next call.
    return LocalKeyFileProvider(Path(path))


def get_provider() -> KeyProvider:
    """The configured key provider (the local key file unless configured otherwise).

    Raises ``KeyUnavailable`` when the provider cannot be used (no key file,
    no token, a wrong PIN), so nothing personal is read or written.
    """
    kind = key_setting("CUSTOS_KEY_PROVIDER", PROVIDER_LOCAL).strip().lower()
    if kind == PROVIDER_PKCS11:
        from custos.crypto.pkcs11 import configured_provider

        return configured_provider()
    if kind != PROVIDER_LOCAL:
        raise KeyUnavailable(f"unknown key provider {kind!r}: set CUSTOS_KEY_PROVIDER to 'local' or 'pkcs11'")
    path = Path(settings.KEY_FILE_PATH)
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise KeyUnavailable("key file missing: run 'custos init'") from exc
    return _local_provider(str(path), st.st_ino, st.st_mtime_ns, st.st_size, st.st_mode)


def reset_provider_cache() -> None:
    _local_provider.cache_clear()
    from custos.crypto.pkcs11 import reset_cache

    reset_cache()
