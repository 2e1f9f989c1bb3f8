"""Encryption of sharing packages to a recipient's age key (Annex 1 term 13).

A package leaves Custos encrypted to the recipient's X25519 age public key
(``age1…``), in the standard age format (https://age-encryption.org/v1):
the recipient opens it with any age implementation, for example
``age --decrypt --identity key.txt package.age``. Custos never holds the
recipient's private key, so it cannot read a package once it is made.
"""

from __future__ import annotations

import pyrage  # type: ignore[import-untyped]

#: Longest recipient string accepted (an X25519 recipient is 62 characters).
_MAX_RECIPIENT = 100


class AgeKeyInvalid(ValueError):
    """The text is not an age X25519 public key."""


def age_recipient_clean(text: str) -> str:
    """The recipient key, whitespace trimmed, if it is a valid ``age1…`` X25519 public key.

    Raises ``AgeKeyInvalid`` (without echoing the text) otherwise: a secret
    key pasted by mistake (``AGE-SECRET-KEY-…``) is refused with its own reason.
    """
    value = (text or "").strip()
    if value.upper().startswith("AGE-SECRET-KEY-"):
        raise AgeKeyInvalid(
            "This is an age secret key: ask the recipient for their public key (age1…), never the secret one."
        )
    if not value.startswith("age1") or len(value) > _MAX_RECIPIENT:
        raise AgeKeyInvalid("An age public key starts with 'age1' and is 62 characters long.")
    try:
        pyrage.x25519.Recipient.from_str(value)
    except pyrage.RecipientError:
        raise AgeKeyInvalid("This is not a valid age public key: check it was copied whole.") from None
    return value


def age_encrypt(plaintext: bytes, recipient: str) -> bytes:
    """``plaintext`` encrypted to one recipient's age public key (binary age format)."""
    key = pyrage.x25519.Recipient.from_str(age_recipient_clean(recipient))
    return bytes(pyrage.encrypt(plaintext, [key]))


def age_identity_new() -> tuple[str, str]:
    """A new (secret identity, public recipient) pair: for tests, the demo and recipients' set-up."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def age_decrypt(ciphertext: bytes, identity: str) -> bytes:
    """Open a package with a secret identity: for tests and the demo only (Custos never holds one)."""
    return bytes(pyrage.decrypt(ciphertext, [pyrage.x25519.Identity.from_str(identity.strip())]))
