"""What a sharing package holds, and the redaction of third parties in its free text.

A package is a ZIP archive, encrypted as a whole to the recipient's age key
(``custos.crypto.age``). Inside:

- ``README.txt`` — the watermark, the agreement's terms the recipient must
  keep (purpose, onward sharing, retention, security), the destroy-by date,
  and how to confirm destruction (the page and the one-time code);
- ``disclosure.json`` — the same, machine-readable, and ``people``: one
  record per person with **only** the agreement's fields (field codes as
  keys), each carrying the watermark;
- ``people.csv`` — the people as a table, the watermark as its first row;
- ``intelligence.csv`` — when the agreement allows intelligence: one row
  per shareable item.

Redaction: every run of one to four words in free text (intelligence
summaries, handling conditions) is looked up, through the register's blind
index of names and aliases, and replaced by ``[REDACTED: third party]`` when
it names someone in the register who is not a subject of this disclosure.
A name that is only ever a subject's is left. Names the register does not
hold, and surnames written alone, are not found (see docs/sharing.md).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from custos.crypto.blind_index import name_digest
from custos.register.models import PersonIndex

REDACTED = "[REDACTED: third party]"
MAX_NAME_WORDS = 4
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*", re.UNICODE)
_POSSESSIVE = ("'s", "\u2019s", "'S", "\u2019S")
#: Intelligence columns in ``intelligence.csv``, in order.
INTELLIGENCE_COLUMNS = (
    "reference",
    "occurred_on",
    "category",
    "criterion",
    "grade",
    "nature",
    "summary",
    "handling_conditions",
)


@dataclass
class Redactor:
    """Finds names of people other than the subjects in free text, through the register's blind index.

    ``prepare`` takes every text first so that the index is read in a few
    batched queries, then ``redact`` replaces the spans.
    """

    subjects: set[uuid.UUID]
    _hits: dict[bytes, bool] = field(default_factory=dict)
    _digests: dict[str, bytes] = field(default_factory=dict)
    _candidates_of: dict[str, list[tuple[int, int, bytes]]] = field(default_factory=dict)
    count: int = 0

    def _digest(self, words: str) -> bytes:
        digest = self._digests.get(words)
        if digest is None:
            digest = self._digests[words] = name_digest(words)
        return digest

    def _candidates(self, text: str) -> list[tuple[int, int, bytes]]:
        """Every run of one to ``MAX_NAME_WORDS`` words in ``text``: (start, end, blind-index digest)."""
        known = self._candidates_of.get(text)
        if known is not None:
            return known
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        found = []
        for i in range(len(words)):
            for n in range(1, MAX_NAME_WORDS + 1):
                if i + n > len(words):
                    break
                start, end = words[i][0], words[i + n - 1][1]
                found.append((start, end, self._digest(text[start:end])))
                if text[end - 2 : end] in _POSSESSIVE:  # "Kwame Fairweather's" names Kwame Fairweather
                    found.append((start, end - 2, self._digest(text[start : end - 2])))
        self._candidates_of[text] = found
        return found

    def prepare(self, texts: Iterable[str]) -> None:
        digests = {d for text in texts if text for _, _, d in self._candidates(text)} - self._hits.keys()
        owners: dict[bytes, set[uuid.UUID]] = {}
        pending = list(digests)
        for start in range(0, len(pending), 500):
            chunk = pending[start : start + 500]
            rows = PersonIndex.objects.filter(
                kind__in=(PersonIndex.Kind.NAME, PersonIndex.Kind.ALIAS), digest__in=chunk
            ).values_list("digest", "person_id")
            for digest, person_id in rows:
                owners.setdefault(bytes(digest), set()).add(person_id)
        for digest in digests:
            self._hits[digest] = bool(owners.get(digest, set()) - self.subjects)

    def redact(self, text: str) -> str:
        """``text`` with every third party's name replaced; ``prepare`` must have seen it."""
        if not text:
            return text
        spans: list[tuple[int, int]] = []
        for start, end, digest in self._candidates(text):
            if self._hits.get(digest, False):
                spans.append((start, end))
        if not spans:
            return text
        spans.sort(key=lambda s: (s[0], -s[1]))
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        out, last = [], 0
        for start, end in merged:
            out.append(text[last:start])
            out.append(REDACTED)
            last = end
        out.append(text[last:])
        self.count += len(merged)
        return "".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def _csv(watermark: str, headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([watermark])
    writer.writerow(list(headings))
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def readme(manifest: dict[str, Any]) -> str:
    isa = manifest["agreement"]
    destruction = manifest["destruction"]
    lines = [
        manifest["watermark"],
        "",
        f"Disclosure {manifest['disclosure']} from Custos, made {manifest['made_at']}.",
        f"Agreement {isa['code']}: {isa['title']}",
        f"Recipient: {isa['recipient']} ({isa['recipient_kind']})",
        f"Legal basis: {isa['legal_basis']}",
        f"Purpose of the agreement: {isa['purpose']}",
        f"Purpose of this disclosure: {manifest['purpose']}",
        "",
        "You may use this data only for that purpose, under the agreement.",
        f"Onward sharing: {isa['onward_sharing']}",
        f"Security you must apply: {isa['security']}",
        f"Retention: {isa['retention']}",
        "",
        f"DESTROY every copy by {manifest['destroy_by']}, then confirm it:",
        f"  page: {destruction['page']}",
        f"  disclosure: {manifest['disclosure']}",
        f"  code: {destruction['code']}",
        "",
        f"People: {manifest['people_count']}. Fields: {', '.join(manifest['fields'])}.",
        "Names of other people in free text are replaced by " + REDACTED + ".",
        "Do not copy this data to other systems or files beyond what the agreement allows.",
        "",
    ]
    return "\n".join(lines)


def build_zip(
    *,
    manifest: dict[str, Any],
    fields: Sequence[str],
    labels: dict[str, str],
    records: Sequence[dict[str, Any]],
) -> bytes:
    """The package's plaintext: README, JSON, people.csv and (if allowed) intelligence.csv, as a ZIP."""
    watermark = manifest["watermark"]
    people_fields = [f for f in fields if f != "intelligence"]
    document = dict(manifest)
    document["people"] = [{"watermark": watermark, **{f: r.get(f) for f in fields}} for r in records]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(manifest))
        archive.writestr("disclosure.json", json.dumps(document, ensure_ascii=False, indent=1))
        archive.writestr(
            "people.csv",
            _csv(watermark, [labels[f] for f in people_fields], ([r.get(f) for f in people_fields] for r in records)),
        )
        if "intelligence" in fields:
            rows = (
                [r.get("reference") or r.get("full_name") or ""] + [item.get(c, "") for c in INTELLIGENCE_COLUMNS[1:]]
                for r in records
                for item in r.get("intelligence") or []
            )
            archive.writestr("intelligence.csv", _csv(watermark, INTELLIGENCE_COLUMNS, rows))
    return out.getvalue()
