"""PKCS#11 key provider: the key-encryption keys live in an HSM token and never leave it.

Configuration (Django settings of the same names, else the environment):

- ``CUSTOS_KEY_PROVIDER=pkcs11`` selects this provider;
- ``CUSTOS_PKCS11_LIBRARY``: the module, e.g. ``/usr/lib/softhsm/libsofthsm2.so``;
- ``CUSTOS_PKCS11_TOKEN_LABEL``: the token to log in to;
- ``CUSTOS_PKCS11_PIN_FILE`` (preferred) or ``CUSTOS_PKCS11_PIN``: the user PIN;
- ``CUSTOS_PKCS11_KEY_LABEL``: the label of the key objects (default ``custos-kek``).

Objects in the token (``custos pkcs11_init`` creates them):

- KEKs: AES-256 secret keys labelled ``<key label>``, token objects, private,
  sensitive, not extractable, usable only to encrypt and decrypt. Their
  ``CKA_ID`` is a 4-byte generation number followed by 4 random bytes; the
  highest generation is the active KEK. A KEK id is ``pkcs11-<CKA_ID hex>``.
- The derivation key: a 256-bit generic secret labelled
  ``<key label>.derive``, sensitive, not extractable, usable only for HMAC.

Wrapping is CKM_AES_GCM inside the token, with a random 96-bit nonce and the
data key's id bound in as associated data, exactly as the local provider
does in software (a wrapped key copied to another row fails to open).
CKM_AES_KEY_WRAP_PAD (RFC 5649) is also offered by SoftHSM2, but it has no
associated data, so it could not bind a wrapped key to its row.

``derive(purpose)`` is CKM_SHA256_HMAC inside the token, keyed by the
derivation key, over ``custos-derive-v1`` and the purpose. The derivation key
never leaves the token; the 32-byte purpose key it yields lives in process
memory, as the local provider's HKDF output does, because blind indexes and
token digests are computed per request. A KEK rotation does not touch the
derivation key, so blind indexes and API token digests survive rotations.

A wrong PIN is remembered per process and not retried until the cache is
reset: real HSMs lock a token after a few failed logins.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass, SecretKey
from pkcs11.exceptions import (
    NoSuchToken,
    PinExpired,
    PinIncorrect,
    PinInvalid,
    PinLenRange,
    PinLocked,
    PKCS11Error,
)
from pkcs11.mechanisms import GCMParams
from pkcs11.types import DecryptMixin, EncryptMixin, SignMixin

from custos.crypto.keys import KEY_BYTES, NONCE_BYTES, KeyUnavailable, key_setting

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Pkcs11Library  # noqa: N812 - a class, named as one

ID_PREFIX = "pkcs11-"
DEFAULT_KEY_LABEL = "custos-kek"
DERIVE_SUFFIX = ".derive"
_DERIVE_CONTEXT = b"custos-derive-v1\x00"
#: How often a long-running process looks for a KEK made by a rotation elsewhere.
_RESCAN_SECONDS = 30.0


@dataclass(frozen=True)
class Pkcs11Config:
    library: str
    token_label: str
    pin: str
    key_label: str = DEFAULT_KEY_LABEL

    def __repr__(self) -> str:  # never print the PIN
        return f"Pkcs11Config(library={self.library!r}, token_label={self.token_label!r}, key_label={self.key_label!r})"


def config_from_settings() -> Pkcs11Config:
    """The PKCS#11 configuration from settings or the environment; fails closed."""
    library = key_setting("CUSTOS_PKCS11_LIBRARY")
    token_label = key_setting("CUSTOS_PKCS11_TOKEN_LABEL")
    if not library:
        raise KeyUnavailable("CUSTOS_PKCS11_LIBRARY is not set: name the PKCS#11 module to load")
    if not token_label:
        raise KeyUnavailable("CUSTOS_PKCS11_TOKEN_LABEL is not set: name the token holding the keys")
    pin_file = key_setting("CUSTOS_PKCS11_PIN_FILE")
    if pin_file:
        try:
            with open(pin_file, encoding="utf-8") as handle:
                pin = handle.read().strip()
        except OSError as exc:
            raise KeyUnavailable(f"cannot read CUSTOS_PKCS11_PIN_FILE {pin_file}: {exc.strerror}") from exc
    else:
        pin = key_setting("CUSTOS_PKCS11_PIN")
    if not pin:
        raise KeyUnavailable("no PKCS#11 PIN: set CUSTOS_PKCS11_PIN_FILE (or CUSTOS_PKCS11_PIN)")
    return Pkcs11Config(
        library=library,
        token_label=token_label,
        pin=pin,
        key_label=key_setting("CUSTOS_PKCS11_KEY_LABEL", DEFAULT_KEY_LABEL),
    )


_libs: dict[str, tuple[int, Pkcs11Library]] = {}
_libs_lock = threading.Lock()


def _library(path: str) -> Pkcs11Library:
    """Load a PKCS#11 module once per process (re-initialised after a fork)."""
    with _libs_lock:
        loaded = _libs.get(path)
        if loaded is not None and loaded[0] == os.getpid():
            return loaded[1]
        try:
            if loaded is not None:
                loaded[1].reinitialize()
                lib = loaded[1]
            else:
                lib = pkcs11.lib(path)
        except PKCS11Error as exc:
            raise KeyUnavailable(f"cannot load the PKCS#11 module {path}: {exc or type(exc).__name__}") from exc
        _libs[path] = (os.getpid(), lib)
        return lib


def _kek_id(key_object_id: bytes) -> str:
    return ID_PREFIX + key_object_id.hex()


def _generation(key_object_id: bytes) -> int:
    return int.from_bytes(key_object_id[:4], "big") if len(key_object_id) >= 4 else 0


class Pkcs11Provider:
    """KEKs in a PKCS#11 token; see the module docstring for the objects it uses.

    Guarantees: no KEK or derivation key is ever extracted (they are created
    sensitive and non-extractable, and only used through the token's
    mechanisms); a wrapped data key opens only under its KEK and for its own
    row; one session per process, serialised by a lock, because a PKCS#11
    session runs one operation at a time.
    """

    kind = "pkcs11"

    def __init__(self, config: Pkcs11Config) -> None:
        self.config = config
        lib = _library(config.library)
        try:
            token = lib.get_token(token_label=config.token_label)
        except NoSuchToken as exc:
            raise KeyUnavailable(f"no PKCS#11 token labelled {config.token_label!r}") from exc
        except PKCS11Error as exc:
            raise KeyUnavailable(f"cannot find the PKCS#11 token: {type(exc).__name__}") from exc
        try:
            self._session = token.open(user_pin=config.pin, rw=True)
        except (PinIncorrect, PinInvalid, PinLenRange) as exc:
            raise KeyUnavailable(f"PKCS#11 login to token {config.token_label!r} failed: wrong PIN") from exc
        except (PinLocked, PinExpired) as exc:
            raise KeyUnavailable(f"PKCS#11 token {config.token_label!r} refuses the PIN: {type(exc).__name__}") from exc
        except PKCS11Error as exc:
            raise KeyUnavailable(f"PKCS#11 login to token {config.token_label!r} failed: {type(exc).__name__}") from exc
        self._lock = threading.RLock()
        self._keks: dict[str, SecretKey] = {}
        self._order: list[str] = []
        self._derive_key: SecretKey | None = None
        self._derived: dict[str, bytes] = {}
        self._scanned_at = 0.0
        self._scan()

    # -- objects in the token -------------------------------------------------

    def _scan(self) -> None:
        with self._lock:
            try:
                found = list(
                    self._session.get_objects(
                        {
                            Attribute.CLASS: ObjectClass.SECRET_KEY,
                            Attribute.KEY_TYPE: KeyType.AES,
                            Attribute.LABEL: self.config.key_label,
                        }
                    )
                )
                keks = {}
                for obj in found:
                    if isinstance(obj, SecretKey):
                        keks[_kek_id(bytes(obj[Attribute.ID]))] = obj
                derive = list(
                    self._session.get_objects(
                        {
                            Attribute.CLASS: ObjectClass.SECRET_KEY,
                            Attribute.LABEL: self.config.key_label + DERIVE_SUFFIX,
                        }
                    )
                )
            except PKCS11Error as exc:
                raise KeyUnavailable(f"cannot list keys in the PKCS#11 token: {type(exc).__name__}") from exc
            self._keks = keks
            # Newest first: highest generation, then the id bytes.
            self._order = sorted(keks, key=lambda k: bytes.fromhex(k.removeprefix(ID_PREFIX)), reverse=True)
            if len(derive) > 1:
                raise KeyUnavailable(f"more than one derivation key labelled {self.config.key_label + DERIVE_SUFFIX!r}")
            self._derive_key = derive[0] if derive and isinstance(derive[0], SecretKey) else None
            self._scanned_at = time.monotonic()

    def _rescan_if_stale(self) -> None:
        if time.monotonic() - self._scanned_at > _RESCAN_SECONDS:
            self._scan()

    def provision(self) -> list[str]:
        """Create the first KEK and the derivation key if absent; returns what was made.

        Idempotent: an existing KEK or derivation key is never replaced
        (replacing the derivation key would break every blind index).
        """
        made = []
        with self._lock:
            self._scan()
            if not self._keks:
                made.append(self.create_key())
            if self._derive_key is None:
                try:
                    self._session.generate_key(
                        KeyType.GENERIC_SECRET,
                        KEY_BYTES * 8,
                        label=self.config.key_label + DERIVE_SUFFIX,
                        store=True,
                        capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                        template=_private_template(),
                    )
                except PKCS11Error as exc:
                    raise KeyUnavailable(f"the token refused to make the derivation key: {type(exc).__name__}") from exc
                made.append(self.config.key_label + DERIVE_SUFFIX)
                self._scan()
        return made

    # -- KeyProvider ----------------------------------------------------------

    def active_key_id(self) -> str:
        with self._lock:
            self._rescan_if_stale()
            if not self._order:
                raise KeyUnavailable(
                    f"no KEK labelled {self.config.key_label!r} in token {self.config.token_label!r}: "
                    "run 'custos pkcs11_init'"
                )
            return self._order[0]

    def key_ids(self) -> list[str]:
        with self._lock:
            return list(self._order)

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        with self._lock:
            kek_id = self.active_key_id()
            nonce = os.urandom(NONCE_BYTES)
            try:
                sealed = cast(EncryptMixin, self._keks[kek_id]).encrypt(
                    data_key, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, context)
                )
            except PKCS11Error as exc:
                raise KeyUnavailable(f"the PKCS#11 token could not wrap a data key: {type(exc).__name__}") from exc
            return kek_id, nonce + _as_bytes(sealed)

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        with self._lock:
            kek = self._keks.get(kek_id)
            if kek is None:
                self._scan()  # a rotation elsewhere may have made it
                kek = self._keks.get(kek_id)
            if kek is None:
                raise KeyUnavailable("the key that wrapped this data key is not in the PKCS#11 token")
            try:
                key = cast(DecryptMixin, kek).decrypt(
                    wrapped[NONCE_BYTES:],
                    mechanism=Mechanism.AES_GCM,
                    mechanism_param=GCMParams(wrapped[:NONCE_BYTES], context),
                )
            except PKCS11Error as exc:
                raise KeyUnavailable("a data key failed its integrity check") from exc
            return _as_bytes(key)

    def derive(self, purpose: str) -> bytes:
        with self._lock:
            cached = self._derived.get(purpose)
            if cached is not None:
                return cached
            if self._derive_key is None:
                self._scan()
            if self._derive_key is None:
                raise KeyUnavailable(
                    f"no derivation key labelled {self.config.key_label + DERIVE_SUFFIX!r} in token "
                    f"{self.config.token_label!r}: run 'custos pkcs11_init'"
                )
            try:
                derived = bytes(
                    cast(SignMixin, self._derive_key).sign(
                        _DERIVE_CONTEXT + purpose.encode("ascii"), mechanism=Mechanism.SHA256_HMAC
                    )
                )
            except PKCS11Error as exc:
                raise KeyUnavailable(f"the PKCS#11 token could not derive a key: {type(exc).__name__}") from exc
            self._derived[purpose] = derived
            return derived

    def create_key(self) -> str:
        with self._lock:
            self._scan()
            generation = max((_generation(bytes.fromhex(k.removeprefix(ID_PREFIX))) for k in self._keks), default=0)
            object_id = (generation + 1).to_bytes(4, "big") + os.urandom(4)
            try:
                self._session.generate_key(
                    KeyType.AES,
                    KEY_BYTES * 8,
                    id=object_id,
                    label=self.config.key_label,
                    store=True,
                    capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
                    template=_private_template(),
                )
            except PKCS11Error as exc:
                raise KeyUnavailable(f"the token refused to make a KEK: {type(exc).__name__}") from exc
            self._scan()
            return _kek_id(object_id)

    def protected_key_ids(self) -> set[str]:
        return {self.active_key_id()}

    def retire_keys(self, kek_ids: Collection[str]) -> list[str]:
        with self._lock:
            unwanted = set(kek_ids) - self.protected_key_ids()
            removed = []
            for kek_id in self._order:
                if kek_id in unwanted:
                    try:
                        self._keks[kek_id].destroy()
                    except PKCS11Error as exc:
                        raise KeyUnavailable(f"the token refused to destroy {kek_id}: {type(exc).__name__}") from exc
                    removed.append(kek_id)
            self._scan()
            return removed

    def references(self) -> dict[str, Any]:
        with self._lock:
            return {
                "provider": self.kind,
                "token_label": self.config.token_label,
                "key_label": self.config.key_label,
                "active_key_id": self.active_key_id(),
                "key_ids": self.key_ids(),
                "derivation_key_label": self.config.key_label + DERIVE_SUFFIX,
            }

    def close(self) -> None:
        with self._lock:
            self._session.close()


def _as_bytes(value: bytes | Iterator[bytes]) -> bytes:
    return value if isinstance(value, bytes) else b"".join(value)


def _private_template() -> dict[Attribute, Any]:
    return {
        Attribute.TOKEN: True,
        Attribute.PRIVATE: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.WRAP: False,
        Attribute.UNWRAP: False,
    }


_providers: dict[tuple[str, str, str, str, int], Pkcs11Provider | KeyUnavailable] = {}
_providers_lock = threading.Lock()


def configured_provider() -> Pkcs11Provider:
    """The provider for the configured token, logged in once per process."""
    config = config_from_settings()
    cache_key = (config.library, config.token_label, config.key_label, config.pin, os.getpid())
    with _providers_lock:
        cached = _providers.get(cache_key)
        if cached is None:
            try:
                cached = Pkcs11Provider(config)
            except KeyUnavailable as exc:
                if "wrong PIN" not in str(exc) and "refuses the PIN" not in str(exc):
                    raise
                cached = exc  # remembered: a retry could lock the token
            _providers[cache_key] = cached
        if isinstance(cached, KeyUnavailable):
            raise KeyUnavailable(str(cached))
        return cached


def reset_cache() -> None:
    """Forget logged-in sessions and remembered login failures (tests, re-configuration)."""
    with _providers_lock:
        for provider in _providers.values():
            if isinstance(provider, Pkcs11Provider):
                with contextlib.suppress(PKCS11Error):  # the session may be gone already
                    provider.close()
        _providers.clear()
