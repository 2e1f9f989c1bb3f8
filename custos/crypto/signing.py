"""The Ed25519 key that signs audit checkpoints.

Guarantees:

- The private key lives only in its key file (mode 0600, refused if group or
  others can read it), next to the KEK file: ``<key dir>/audit-signing.key``.
  It never enters the database, and nothing outside ``custos.crypto`` sees it.
- The file is created atomically and at most once: written to a private
  temporary file and linked into place, which fails if the file exists
  (``O_EXCL`` semantics), so two processes racing to create it cannot leave
  a half-written key or replace one already in use.
- Like the KEK file, it holds one base64 key per line, the first being the
  one that signs; keys on later lines are still trusted to verify, so
  checkpoints signed before a key change keep verifying.
- A key's fingerprint is the hex SHA-256 of its raw 32-byte public key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from custos.crypto.keys import KeyUnavailable

SIGNING_KEY_FILENAME = "audit-signing.key"
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


class SigningKeyUnavailable(KeyUnavailable):
    """The checkpoint signing key is missing or unsafe: nothing can be signed or checked against it."""


def signing_key_path(key_file_path: str | os.PathLike[str]) -> Path:
    """Where the signing key lives for a given KEK file: the same directory."""
    return Path(key_file_path).parent / SIGNING_KEY_FILENAME


def configured_signing_key_path() -> Path:
    """The signing key path for this installation (beside ``settings.KEY_FILE_PATH``)."""
    return signing_key_path(settings.KEY_FILE_PATH)


def create_signing_key(path: Path) -> bool:
    """Create a signing key file with mode 0600; returns False if one already existed.

    Never overwrites: the key is written to a private temporary file and
    hard-linked into place, which fails if ``path`` exists.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return False
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(8).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write("# Custos audit checkpoint signing keys (Ed25519). Back up apart from the database.\n")
            handle.write(base64.b64encode(seed).decode("ascii") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def ensure_signing_key() -> bool:
    """Create this installation's signing key if it is missing; True if it was created."""
    return create_signing_key(configured_signing_key_path())


@dataclass(frozen=True)
class _SigningKeys:
    active: Ed25519PrivateKey
    public: dict[str, bytes]  # fingerprint -> raw public key, the active key first


def fingerprint(public_key: bytes) -> str:
    """The fingerprint of a raw Ed25519 public key: hex SHA-256 of its 32 bytes."""
    return hashlib.sha256(public_key).hexdigest()


def _public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


@lru_cache(maxsize=4)
def _load(path: str, _mtime_ns: int) -> _SigningKeys:
    keys: list[Ed25519PrivateKey] = []
    for line in Path(path).read_text(encoding="ascii").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(Ed25519PrivateKey.from_private_bytes(base64.b64decode(line, validate=True)))
        except ValueError as exc:
            raise SigningKeyUnavailable("signing key file holds a malformed key") from exc
    if not keys:
        raise SigningKeyUnavailable("signing key file holds no key")
    public = {fingerprint(_public_raw(k)): _public_raw(k) for k in keys}
    return _SigningKeys(active=keys[0], public=public)


def _keys() -> _SigningKeys:
    path = configured_signing_key_path()
    try:
        status = path.stat()
    except FileNotFoundError as exc:
        raise SigningKeyUnavailable("audit signing key missing: run 'custos audit_checkpoint'") from exc
    if status.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyUnavailable("audit signing key file is readable by others: chmod 600 it")
    return _load(str(path), status.st_mtime_ns)


def sign(message: bytes) -> bytes:
    """Sign ``message`` with the active signing key (64-byte Ed25519 signature)."""
    return _keys().active.sign(message)


def public_key_bytes() -> bytes:
    """The active signing key's raw 32-byte public key."""
    return _public_raw(_keys().active)


def active_fingerprint() -> str:
    """The fingerprint of the key that signs new checkpoints."""
    return fingerprint(public_key_bytes())


def trusted_public_keys() -> dict[str, bytes]:
    """Every public key in the signing key file, by fingerprint (the active key first)."""
    return dict(_keys().public)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``.

    Malformed keys or signatures are simply not valid: this never raises.
    """
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_pem(public_key: bytes) -> str:
    """A raw public key as PEM (SubjectPublicKeyInfo), for checking with OpenSSL."""
    key = Ed25519PublicKey.from_public_bytes(public_key)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def reset_signing_cache() -> None:
    _load.cache_clear()
