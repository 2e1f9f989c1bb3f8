"""Normalised values and their fingerprints: the one definition both the index and the scanner use.

A value is normalised before it is hashed, the same way here (for the
index) and in ``custos.dlp.scanner`` (for what a file holds), so that a copy
with other case, spacing, punctuation or accents still matches:

- names and aliases: accents, case, apostrophes and punctuation folded,
  then the words **sorted** (``"SMITH, John"``, ``"john smith"`` and
  ``"John  Smith"`` are one key); a name of three or more words also gives
  its first and last word; every word is also a *token*, a pre-filter that
  tells the scanner where a name may start;
- dates of birth: one canonical form, ISO ``YYYY-MM-DD``; the scanner parses
  the many ways people write a date and hashes the canonical form (ADR 11);
- addresses: the street line (house number and street, ``"12 mare street"``),
  and the UK postcode in canonical form (``"e8 1he"``) found anywhere in the
  address; street words are tokens of their own.

Pure: no database, no key; the caller passes the keyed hash.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from custos.crypto.dlp_key import Hasher
from custos.dlp.models import FieldKind

#: The hash family of each kind: names and aliases share one, so either is found as either.
FAMILY: dict[str, bytes] = {
    FieldKind.NAME: b"name",
    FieldKind.ALIAS: b"name",
    FieldKind.TOKEN: b"tok",
    FieldKind.STREET_TOKEN: b"stok",
    FieldKind.DOB: b"dob",
    FieldKind.ADDRESS: b"addr",
    FieldKind.POSTCODE: b"pc",
}

# Combining marks left by NFKD (accents): removed by one regular expression, here and in the scanner.
COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NOT_WORD = re.compile(r"[^\w]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`")
#: Postcode in normalised text: outward code, optional space, inward code.
POSTCODE = re.compile(r"(?<![a-z0-9])([a-z]{1,2}[0-9][a-z0-9]?) ?([0-9][a-z]{2})(?![a-z0-9])")
_STREET = re.compile(r"^([0-9]{1,4}[a-z]?) ([a-z].*)$")
#: The longest name (in words) the scanner looks for as a whole; longer names match on first and last word.
MAX_NAME_WORDS = 3


def fold(text: str) -> str:
    """Accents, case and apostrophes folded; punctuation left for the caller."""
    if not text.isascii():
        text = COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return text.casefold().translate(_APOSTROPHES)


def normalise(value: str) -> str:
    """``"O’Néil-Smith, JOHN "`` -> ``"oneil smith john"``."""
    return " ".join(_NOT_WORD.sub(" ", fold(value)).split())


def name_key(words: Iterable[str]) -> str:
    """The order-free key of a name: its words sorted."""
    return " ".join(sorted(words))


def name_keys(value: str) -> list[str]:
    """Keys of one name or alias: the whole (up to ``MAX_NAME_WORDS`` words) and first-and-last."""
    words = normalise(value).split()
    if not words:
        return []
    keys = []
    if len(words) <= MAX_NAME_WORDS:
        keys.append(name_key(words))
    if len(words) >= 3:
        keys.append(name_key([words[0], words[-1]]))
    return keys


def date_key(value: dt.date) -> str:
    return value.isoformat()


def postcode_key(outward: str, inward: str) -> str:
    return f"{outward} {inward}"


def postcodes_in(address: str) -> list[str]:
    return [postcode_key(m.group(1), m.group(2)) for m in POSTCODE.finditer(normalise(address))]


def street_line(address: str) -> str | None:
    """The part of an address with a house number and a street (``"12 mare street"``), normalised."""
    for part in address.split(","):
        text = normalise(part)
        text = POSTCODE.sub("", text).strip()
        if _STREET.match(text):
            return " ".join(text.split()[:6])
    return None


def is_house_number(token: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{1,4}[a-z]?", token))


@dataclass(frozen=True)
class Values:
    """The personal values of one person (or canary) that are fingerprinted."""

    full_name: str
    aliases: Sequence[str] = ()
    date_of_birth: dt.date | None = None
    addresses: Sequence[str] = ()


def fingerprints(values: Values, hasher: Hasher) -> list[tuple[str, bytes]]:
    """``(kind, digest)`` pairs for one person, without repeats."""
    plain: list[tuple[str, str]] = []
    tokens: set[str] = set()
    street_tokens: set[str] = set()
    for key in name_keys(values.full_name):
        plain.append((FieldKind.NAME, key))
    tokens.update(normalise(values.full_name).split())
    for alias in values.aliases or ():
        plain.extend((FieldKind.ALIAS, key) for key in name_keys(alias))
        tokens.update(normalise(alias).split())
    if values.date_of_birth is not None:
        plain.append((FieldKind.DOB, date_key(values.date_of_birth)))
    for address in values.addresses or ():
        street = street_line(address)
        if street is not None:
            plain.append((FieldKind.ADDRESS, street))
            street_tokens.update(word for word in street.split() if not is_house_number(word))
        plain.extend((FieldKind.POSTCODE, code) for code in postcodes_in(address))
    # Words starting with a digit are never pre-filter hits: the scanner looks no further at them.
    plain.extend((FieldKind.TOKEN, token) for token in sorted(tokens) if not token[0].isdigit())
    plain.extend((FieldKind.STREET_TOKEN, token) for token in sorted(street_tokens) if not token[0].isdigit())
    seen: set[tuple[str, str]] = set()
    result = []
    for kind, value in plain:
        if (kind, value) in seen:
            continue
        seen.add((kind, value))
        result.append((kind, hasher(FAMILY[kind], value.encode("utf-8"))))
    return result
