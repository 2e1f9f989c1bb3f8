"""The matching engine: text in, the people of the index it holds out. No database, no files.

How a text is matched (docs/dlp.md has the long version):

1. Normalised as the index normalises values (``custos.dlp.fingerprints``):
   ASCII text as bytes in a few C-speed passes (lower case, punctuation to
   spaces, apostrophes dropped); other text through the same Unicode folding.
2. Split into words once. Every distinct word is hashed once per process
   (keyed, family ``tok``) and remembered as a pre-filter hit or miss: the
   index's name, alias and street words. A text with no hit, and no postcode,
   holds nobody and is done with.
3. Candidates, hashed and looked up: runs of hit words as names and aliases
   (words sorted, so "SMITH John" is "John Smith"; in tables, any hit words
   of a row, so names split across cells and reordered columns match); a
   house number followed by hit words as a street line; postcodes; and, on
   the lines near any of those, dates in many written forms, parsed to one
   canonical form.
4. Corroboration: a person counts when at least ``min_fields`` different
   fields (name, alias, date of birth, address) of theirs are found in one
   row of a table, or within a few lines of prose.

Subjects are people of the register, canaries (fictional people planted in
one export each) and erased people on the watchlist, in one index.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate, compress, count, repeat
from operator import and_, eq, is_, sub

from custos.crypto.dlp_key import Hasher
from custos.dlp.fingerprints import COMBINING, FAMILY, MAX_NAME_WORDS, date_key
from custos.dlp.models import FieldKind

#: Field kinds by code, as packed in the in-memory index.
KINDS: tuple[str, ...] = (FieldKind.NAME, FieldKind.ALIAS, FieldKind.DOB, FieldKind.ADDRESS, FieldKind.POSTCODE)
_CODE = {kind: code for code, kind in enumerate(KINDS)}
#: Corroborating fields: a street line and a postcode are one address, so they count once.
GROUP = (0, 1, 2, 3, 3)
DOB_CODE = _CODE[FieldKind.DOB]
#: An alias shared by more people than this identifies nobody ("Ace", "Tiny"): not evidence.
MAX_ALIAS_SHARE = 10
#: Prose: fields within this many lines corroborate each other. Tables: one row.
PROSE_WINDOW = 3
#: Remembered words, candidates and their hashes per process; cleared when larger.
CACHE_LIMIT = 4_000_000

SUBJECT_REGISTER = "register"
SUBJECT_CANARY = "canary"
SUBJECT_ERASED = "erased"

_FAMILY_NAME = FAMILY[FieldKind.NAME]
_FAMILY_TOKEN = FAMILY[FieldKind.TOKEN]
_FAMILY_STREET_TOKEN = FAMILY[FieldKind.STREET_TOKEN]
_FAMILY_DOB = FAMILY[FieldKind.DOB]
_FAMILY_ADDRESS = FAMILY[FieldKind.ADDRESS]
_FAMILY_POSTCODE = FAMILY[FieldKind.POSTCODE]

# ASCII fast path: lower-cased bytes, every byte that is not [a-z0-9_] or a newline becomes a space.
_KEEP = set(b"abcdefghijklmnopqrstuvwxyz0123456789_\n")
_TABLE = bytes(c if (c in _KEEP or c >= 0x80) else 0x20 for c in range(256))
_DROP = b"'`"
_NOT_WORD_NL = re.compile(r"[^\w\n]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`")
_LINE = b"\x01"

_HOUSE = re.compile(rb"[0-9]{1,4}[a-z]?")
_INWARD = re.compile(rb"[0-9][a-z]{2}")
_OUTWARD = re.compile(rb"[a-z]{1,2}[0-9][a-z0-9]?")
_COMPACT_POSTCODE = re.compile(rb"[a-z]{1,2}[0-9][a-z0-9]?[0-9][a-z]{2}")

_MONTHS = {
    b"jan": 1, b"january": 1, b"feb": 2, b"february": 2, b"mar": 3, b"march": 3, b"apr": 4, b"april": 4,
    b"may": 5, b"jun": 6, b"june": 6, b"jul": 7, b"july": 7, b"aug": 8, b"august": 8, b"sep": 9, b"sept": 9,
    b"september": 9, b"oct": 10, b"october": 10, b"nov": 11, b"november": 11, b"dec": 12, b"december": 12,
}  # fmt: skip
_ORD = rb"(?:st|nd|rd|th)?"
# Dates in normalised text, where / . - and commas are already spaces:
# 17 05 2001, 17 05 01, 17 may 2001, 17th may 01, 2001 05 17, may 17 2001, 17052001 and 20010517.
_DATE = re.compile(
    rb"(?<![a-z0-9])(?:"
    rb"([0-9]{1,2})" + _ORD + rb" +([0-9]{1,2}|[a-z]{3,9}) +([0-9]{4}|[0-9]{2})"
    rb"|([0-9]{4}) +([0-9]{1,2}) +([0-9]{1,2})"
    rb"|([a-z]{3,9}) +([0-9]{1,2})" + _ORD + rb" +([0-9]{4})"
    rb"|([0-9]{8})"
    rb")(?![a-z0-9])"
)
_EARLIEST = dt.date(1900, 1, 1)
_PREVIOUS = (-1).__add__
_NAME, _STREET, _POSTCODE_PART = 1, 2, 4


@dataclass(frozen=True)
class Subject:
    """Someone the index knows: a person of the register, a canary, or an erased person."""

    kind: str
    ref: str
    detail: tuple[tuple[str, str], ...] = ()


Entry = tuple[int, frozenset[int]]
Entries = tuple[Entry, ...]


class Index:
    """The fingerprints of every subject, in memory, ready for the matcher.

    ``add`` rows, then ``freeze``. Maps a digest to the kinds and subjects
    it is a fingerprint of; the pre-filter is a set of token digests.
    """

    def __init__(self) -> None:
        self.subjects: list[Subject] = []
        self.tokens: set[bytes] = set()
        self.street_tokens: set[bytes] = set()
        self._rows: dict[bytes, dict[int, list[int]]] = {}
        self.entries: dict[bytes, Entries] = {}
        self.fingerprints = 0

    def subject(self, subject: Subject) -> int:
        self.subjects.append(subject)
        return len(self.subjects) - 1

    def add(self, subject: int, kind: str, digest: bytes | memoryview) -> None:
        self.add_rows([(subject, kind, digest)], {subject: subject})

    def add_rows(
        self, rows: Iterable[tuple[object, str, bytes | memoryview]], subject_of: Mapping[object, int]
    ) -> None:
        """Add ``(key, kind, digest)`` rows, ``subject_of[key]`` the subject each is a fingerprint of.

        The index load's inner loop (a million rows for 100,000 people): locals only, no call per row
        but the dictionary's own.
        """
        tokens_add, street_tokens_add, table, code_of = self.tokens.add, self.street_tokens.add, self._rows, _CODE
        token, street_token = FieldKind.TOKEN.value, FieldKind.STREET_TOKEN.value
        added = 0
        for key, kind, digest in rows:
            added += 1
            if kind == token:
                tokens_add(bytes(digest))
            elif kind == street_token:
                street_tokens_add(bytes(digest))
            else:
                digest = bytes(digest)
                by_kind = table.get(digest)
                if by_kind is None:
                    table[digest] = {code_of[kind]: [subject_of[key]]}
                else:
                    by_kind.setdefault(code_of[kind], []).append(subject_of[key])
        self.fingerprints += added

    def freeze(self, *, max_alias_share: int = MAX_ALIAS_SHARE) -> Index:
        alias = _CODE[FieldKind.ALIAS]
        entries = self.entries
        # Most digests are one field of one subject: their entries are shared, one per (field, subject).
        shared: dict[tuple[int, int], Entries] = {}
        for digest, by_kind in self._rows.items():
            if len(by_kind) == 1:
                ((code, subjects),) = by_kind.items()
                if len(subjects) == 1:
                    key = (code, subjects[0])
                    one = shared.get(key)
                    if one is None:
                        one = shared[key] = ((code, frozenset(subjects)),)
                    entries[digest] = one
                    continue
            found = tuple(
                (code, frozenset(subjects))
                for code, subjects in sorted(by_kind.items())
                if not (code == alias and len(set(subjects)) > max_alias_share)
            )
            if found:
                entries[digest] = found
        self._rows = {}
        return self


@dataclass
class Match:
    """What one text held: each subject found with the field kinds that corroborate them."""

    found: dict[int, set[int]] = field(default_factory=dict)
    bytes_read: int = 0

    def subjects_of(self, index: Index, kind: str) -> list[tuple[Subject, list[str]]]:
        subjects = index.subjects
        rows = [(subjects[s], codes) for s, codes in self.found.items() if subjects[s].kind == kind]
        rows.sort(key=lambda row: row[0].ref)
        return [(subject, sorted(KINDS[c] for c in codes)) for subject, codes in rows]

    def kind_counts(self, index: Index, kind: str) -> dict[str, int]:
        subjects = index.subjects
        counts: Counter[int] = Counter()
        for s, codes in self.found.items():
            if subjects[s].kind == kind:
                counts.update(codes)
        return dict(sorted((KINDS[code], n) for code, n in counts.items()))


def normalise_text(text: bytes | str) -> bytes:
    """Text as the index normalises values, newlines kept: lower-case words separated by spaces."""
    if isinstance(text, bytes):
        if text.isascii():
            return text.lower().translate(_TABLE, _DROP)
        text = decode(text)
    if not text.isascii():
        text = COMBINING.sub("", unicodedata.normalize("NFKD", text))
    text = _NOT_WORD_NL.sub(" ", text.casefold().translate(_APOSTROPHES))
    return text.encode("utf-8")


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows-1252 as legacy files are."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_date(match: re.Match[bytes], today: dt.date) -> list[dt.date]:
    """The dates a match may be: day first (as in the UK), else month first; two-digit years pivot on today."""
    g = match.groups()
    if g[0] is not None:
        day, month_text, year_text = int(g[0]), g[1], g[2]
        month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text, 0)
        year = _year(year_text, today)
        found = _valid(year, month, day, today)
        if found is None and month_text.isdigit():
            found = _valid(year, day, month, today)  # 05 17 2001: month first
        return [found] if found else []
    if g[3] is not None:
        found = _valid(int(g[3]), int(g[4]), int(g[5]), today)
        return [found] if found else []
    if g[6] is not None:
        month = _MONTHS.get(g[6], 0)
        found = _valid(int(g[8]), month, int(g[7]), today)
        return [found] if found else []
    digits = g[9]
    options = [
        _valid(int(digits[4:]), int(digits[2:4]), int(digits[:2]), today),  # 17052001
        _valid(int(digits[:4]), int(digits[4:6]), int(digits[6:]), today),  # 20010517
    ]
    return [d for d in options if d is not None]


def _year(text: bytes, today: dt.date) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    return year


def _valid(year: int, month: int, day: int, today: dt.date) -> dt.date | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None
    return value if _EARLIEST <= value <= today else None


class _Flags(dict[bytes, int]):
    """Every word met so far and its flag (0: nothing to look at); a new word is classified on first lookup.

    So one C-speed pass, ``map(flags.__getitem__, words)``, both looks words up and finds the new ones.
    """

    def __init__(self, classify: Callable[[bytes], int]) -> None:
        super().__init__({_LINE: 0})
        self.classify = classify

    def __missing__(self, word: bytes) -> int:
        return self.classify(word)


class Matcher:
    """Matches texts against one ``Index``; keeps its caches from one text to the next.

    The caches hold words and candidate strings met in files, in memory,
    with whether they hit: nothing from the index but digests.
    """

    def __init__(self, index: Index, hasher: Hasher, *, min_fields: int = 2, today: dt.date | None = None) -> None:
        self.index = index
        self.hash = hasher
        self.min_fields = max(1, min_fields)
        self.today = today or dt.datetime.now(tz=dt.UTC).date()
        self._hits: set[bytes] = set()
        self._street_hits: set[bytes] = set()
        self._houses: set[bytes] = set()
        self._inward: set[bytes] = set()
        self._outward: set[bytes] = set()
        self._compact: set[bytes] = set()
        self._postcode_parts: set[bytes] = set()
        #: Every word met, with what it may start (0 nothing, 1 name, 2 street, 4 postcode): the pre-filter.
        self._flags = _Flags(self._classify)
        self._cleared = 0  # how many times the word caches were cleared (when larger than CACHE_LIMIT)
        self._holding = False  # True while a chunk is matched again after a clear: no clearing then
        self._lookups: dict[tuple[bytes, bytes], Entries] = {}
        self._names_cache: dict[bytes | tuple[bytes, ...], Entries] = {}
        self._streets_cache: dict[tuple[bytes, ...], Entries] = {}
        self._dates_cache: dict[bytes, Entries] = {}

    # -- caches ------------------------------------------------------------------------------------------
    def _classify(self, word: bytes) -> int:
        """A word never met before: hashed once (keyed, as the index's tokens are) and remembered."""
        flags = self._flags
        if len(flags) > CACHE_LIMIT and not self._holding:
            caches: list[set[bytes]] = [self._hits, self._street_hits, self._houses, self._inward]
            caches += [self._outward, self._compact, self._postcode_parts]
            for cache in caches:
                cache.clear()
            flags.clear()
            flags[_LINE] = 0
            self._cleared += 1
        flag = 0
        if word[0] <= 0x39:  # starts with a digit: no name or street word does; a house number or postcode may
            if len(word) <= 5:
                if _HOUSE.fullmatch(word):
                    self._houses.add(word)
                if _INWARD.fullmatch(word):
                    self._inward.add(word)
                    self._postcode_parts.add(word)
                    flag = _POSTCODE_PART
        else:
            if self.hash(_FAMILY_TOKEN, word) in self.index.tokens:
                self._hits.add(word)
                flag |= _NAME
            if self.hash(_FAMILY_STREET_TOKEN, word) in self.index.street_tokens:
                self._street_hits.add(word)
                flag |= _STREET
            if _OUTWARD.fullmatch(word):
                self._outward.add(word)
            elif _COMPACT_POSTCODE.fullmatch(word):
                self._compact.add(word)
                self._postcode_parts.add(word)
                flag |= _POSTCODE_PART
        flags[word] = flag
        return flag

    def _lookup(self, family: bytes, value: bytes) -> Entries:
        key = (family, value)
        found = self._lookups.get(key)
        if found is None:
            if len(self._lookups) > CACHE_LIMIT:
                self._lookups.clear()
            found = self.index.entries.get(self.hash(family, value), ())
            self._lookups[key] = found
        return found

    # -- matching ----------------------------------------------------------------------------------------
    def match(self, chunks: Iterable[bytes | str], *, tabular: bool) -> Match:
        """Match a text given as chunks of whole lines (``\\n`` between lines)."""
        result = Match()
        window = 1 if tabular else PROSE_WINDOW
        carried: deque[tuple[int, list[Entry]]] = deque()
        first_line = 0
        for chunk in chunks:
            if not chunk:
                continue
            result.bytes_read += len(chunk) if isinstance(chunk, bytes) else len(chunk.encode("utf-8"))
            text = normalise_text(chunk)
            # Lines at the start of this chunk near evidence at the end of the last: dates there count too.
            lead = window - 1 if carried and carried[-1][0] > first_line - window else 0
            lines = self._evidence(text, tabular=tabular, window=window, lead=lead)
            if window == 1:
                self._corroborate_rows(lines, result.found)
                first_line += text.count(b"\n") + 1
                continue
            for line, entries in sorted(lines.items()):
                number = first_line + line
                while carried and carried[0][0] <= number - window:
                    carried.popleft()
                self._corroborate(entries, [e for _, es in carried for e in es], result.found)
                carried.append((number, entries))
            first_line += text.count(b"\n") + 1
        return result

    def _evidence(self, text: bytes, *, tabular: bool, window: int, lead: int = 0) -> dict[int, list[Entry]]:
        """Entries found on each line of one chunk, by line number.

        Written for speed: whole-chunk passes with ``map``/``compress`` run at
        C speed; Python loops only over what hit.
        """
        words = text.replace(b"\n", b" \x01 ").split()
        flags, cleared = self._flags, self._cleared
        hits: list[int] = []
        street_hits: list[int] = []
        postcode_parts: list[int] = []
        # One pass at C speed (new words are classified as met); Python only for the flagged words.
        for position in compress(count(), map(flags.__getitem__, words)):
            flag = flags[words[position]]
            if flag & _NAME:
                hits.append(position)
            if flag & _STREET:
                street_hits.append(position)
            if flag & _POSTCODE_PART:
                postcode_parts.append(position)
        if self._cleared != cleared:  # the caches were cleared half-way: words met before are in them no more
            self._holding = True  # so again, with every word of this chunk kept
            try:
                return self._evidence(text, tabular=tabular, window=window, lead=lead)
            finally:
                self._holding = False
        if not (hits or street_hits or postcode_parts or lead or self.min_fields == 1):
            return {}  # nothing that may start a field: no line to place
        breaks = _breaks(words)
        found: list[tuple[int, Entries]] = []
        if hits:
            self._names(words, hits, breaks, tabular, found)
        if street_hits:
            self._streets(words, street_hits, found)
        if postcode_parts:
            self._postcodes(words, postcode_parts, found)
        evidence: dict[int, list[Entry]] = {}
        if found:
            line_of = map(partial(bisect.bisect_left, breaks), [position for position, _ in found])
            for line, (_, entries) in zip(line_of, found, strict=True):
                evidence.setdefault(line, []).extend(entries)
        if evidence or lead or self.min_fields == 1:
            self._dates(text, evidence, window, lead)
        return evidence

    def _names(
        self,
        words: list[bytes],
        hits: list[int],
        breaks: list[int],
        tabular: bool,
        found: list[tuple[int, Entries]],
    ) -> None:
        """Names and aliases: single hit words, and pairs and triples of hit words.

        In prose the words must be next to each other; in a table, any hit
        words of one row in order (names split across cells, columns moved).
        """
        cache = self._names_cache
        hit_words = list(map(words.__getitem__, hits))
        singles = {}
        for word in set(hit_words):
            entries = cache.get(word)
            if entries is None:
                entries = self._name_miss(word, (word,))
            if entries:
                singles[word] = entries
        if singles:
            for position in compress(hits, map(singles.__contains__, hit_words)):
                found.append((position, singles[words[position]]))
        if len(hits) < 2:
            return
        if tabular:
            lines = list(map(partial(bisect.bisect_left, breaks), hits))
            joined = list(map(eq, lines, lines[1:]))
        else:
            joined = list(map((1).__eq__, map(sub, hits[1:], hits)))
        pairs = list(zip(compress(hit_words, joined), compress(hit_words[1:], joined), strict=True))
        starts = list(compress(hits, joined))
        self._lookup_many(pairs, starts, found)
        if MAX_NAME_WORDS >= 3 and len(joined) >= 2:
            both = list(map(and_, joined, joined[1:]))
            triples = list(
                zip(
                    compress(hit_words, both), compress(hit_words[1:], both), compress(hit_words[2:], both), strict=True
                )
            )
            self._lookup_many(triples, list(compress(hits, both)), found)

    def _lookup_many(
        self, keys: Sequence[tuple[bytes, ...]], positions: list[int], found: list[tuple[int, Entries]]
    ) -> None:
        cache = self._names_cache
        results = list(map(cache.get, keys))
        for i in compress(count(), map(is_, results, repeat(None))):
            results[i] = self._name_miss(keys[i], keys[i])
        for i in compress(count(), results):
            found.append((positions[i], results[i]))  # type: ignore[arg-type]

    def _name_miss(self, key: bytes | tuple[bytes, ...], words: tuple[bytes, ...]) -> Entries:
        if len(self._names_cache) > CACHE_LIMIT:
            self._names_cache.clear()
        entries = self.index.entries.get(self.hash(_FAMILY_NAME, b" ".join(sorted(words))), ())
        self._names_cache[key] = entries
        return entries

    def _streets(self, words: list[bytes], hits: list[int], found: list[tuple[int, Entries]]) -> None:
        """A house number followed by hit words: ``12 mare street``."""
        candidates = list(compress(hits, map(self._houses.__contains__, map(words.__getitem__, map(_PREVIOUS, hits)))))
        is_hit, cache, last_word = self._street_hits, self._streets_cache, len(words) - 1
        for position in candidates:
            if position == 0:
                continue
            end = position
            while end < last_word and end - position < 4 and words[end + 1] in is_hit:
                end += 1
            for last in range(position, end + 1):
                key = tuple(words[position - 1 : last + 1])
                entries = cache.get(key)
                if entries is None:
                    if len(cache) > CACHE_LIMIT:
                        cache.clear()
                    entries = cache[key] = self.index.entries.get(self.hash(_FAMILY_ADDRESS, b" ".join(key)), ())
                if entries:
                    found.append((position, entries))

    def _postcodes(self, words: list[bytes], positions: list[int], found: list[tuple[int, Entries]]) -> None:
        lookup = self._lookup
        for position in positions:
            word = words[position]
            if word in self._compact:
                key = word[:-3] + b" " + word[-3:]
            elif position and words[position - 1] in self._outward:
                key = words[position - 1] + b" " + word
            else:
                continue
            entries = lookup(_FAMILY_POSTCODE, key)
            if entries:
                found.append((position, entries))

    def _dates(self, text: bytes, evidence: dict[int, list[Entry]], window: int, lead: int) -> None:
        """Dates of birth on the lines near evidence (every line when one field is enough)."""
        lines = text.split(b"\n")
        if self.min_fields == 1:
            wanted: set[int] | None = None
        else:
            wanted = {n for line in evidence for n in range(line - window + 1, line + window)} | set(range(lead))
        cache = self._dates_cache
        if wanted is not None and len(wanted) * 4 < len(lines):
            matches = ((n, m) for n in sorted(wanted) if 0 <= n < len(lines) for m in _DATE.finditer(lines[n]))
        else:  # dense: one pass over the chunk, each match placed on its line
            starts = list(accumulate(map((1).__add__, map(len, lines)), initial=0))
            found = list(_DATE.finditer(text))
            line_of = map(partial(bisect.bisect_right, starts), [m.start() for m in found])
            matches = ((n - 1, m) for n, m in zip(line_of, found, strict=True) if wanted is None or n - 1 in wanted)
        for number, match in matches:
            key = match.group(0)
            entries = cache.get(key)
            if entries is None:
                if len(cache) > CACHE_LIMIT:
                    cache.clear()
                entries = cache[key] = tuple(
                    e
                    for value in parse_date(match, self.today)
                    for e in self._lookup(_FAMILY_DOB, date_key(value).encode("ascii"))
                )
            if entries:
                evidence.setdefault(number, []).extend(entries)

    def _corroborate_rows(self, evidence: dict[int, list[Entry]], found: dict[int, set[int]]) -> None:
        """Tables: subjects with ``min_fields`` different fields on one row, every row of a chunk at once."""
        if self.min_fields == 1:
            for entries in evidence.values():
                self._corroborate(entries, [], found)
            return
        need = self.min_fields
        for entries in evidence.values():
            if len(entries) < 2:
                continue
            by_group: dict[int, frozenset[int]] = {}
            for code, subjects in entries:
                group = GROUP[code]
                before = by_group.get(group)
                by_group[group] = subjects if before is None else before | subjects
            if len(by_group) < need:
                continue
            sets = list(by_group.values())
            candidates: set[int] = set()
            for i, first in enumerate(sets):
                for second in sets[i + 1 :]:
                    candidates |= first & second
            for subject in candidates:
                codes = {code for code, subjects in entries if subject in subjects}
                if need == 2 or len({GROUP[c] for c in codes}) >= need:
                    found.setdefault(subject, set()).update(codes)

    def _corroborate(self, entries: list[Entry], before: list[Entry], found: dict[int, set[int]]) -> None:
        """Subjects with ``min_fields`` different fields among this line's entries and the window's."""
        if self.min_fields == 1:
            for code, subjects in entries:
                for subject in subjects:
                    found.setdefault(subject, set()).add(code)
            return
        if not before and len({GROUP[code] for code, _ in entries}) < 2:
            return  # one field alone corroborates nobody
        scope = before + entries
        candidates: set[int] = set()
        for i, (code, subjects) in enumerate(entries):
            group = GROUP[code]
            for other_code, others in scope[: len(before) + i]:
                if GROUP[other_code] != group:
                    candidates |= subjects & others
        for subject in candidates:
            codes = {code for code, subjects in scope if subject in subjects}
            if len({GROUP[c] for c in codes}) >= self.min_fields:
                found.setdefault(subject, set()).update(codes)


def _breaks(words: list[bytes]) -> list[int]:
    """Positions of the line markers among ``words``.

    ``list.index`` compares identity first, and every one-byte ``bytes`` is the same object in
    CPython, so this runs at C speed between markers.
    """
    found: list[int] = []
    find, append, position = words.index, found.append, -1
    try:
        while True:
            position = find(_LINE, position + 1)
            append(position)
    except ValueError:
        return found


def chunks_of(data: bytes, size: int = 4 << 20) -> Iterator[bytes]:
    """Whole lines of ``data`` in chunks of about ``size`` bytes."""
    start = 0
    while start < len(data):
        end = start + size
        if end < len(data):
            cut = data.rfind(b"\n", start, end)
            end = cut if cut > start else data.find(b"\n", end)
            if end == -1:
                end = len(data)
        yield data[start:end]
        start = end + 1
