"""Importing a legacy log of shares made before Custos (CSV or XLSX), so the sharing review covers them.

A legacy log holds one share a line: when, to whom, under which agreement
and legal basis, and how many people of which bands and categories. It
must not bring personal data into Custos: the only columns accepted are
those below, a column that looks like people's names (or any column not
listed) is refused, and the people shared can be named only by their Custos
references (``P-XXXXXXXX``), stored as ``person:<uuid>`` when they resolve
and only counted when they do not.

Columns (headings: case, spaces, '_' and '-' ignored):

======================  =======================================================================
``date``                required; YYYY-MM-DD or DD/MM/YYYY, not in the future
``recipient``           required; the organisation (200 characters at most)
``recipient_kind``      ``statutory``, ``non_statutory`` (or ``non-statutory``), blank if unknown
``legal_basis``         optional text
``purpose``             optional text
``isa``                 the agreement's code as written in the log; blank when there was none
``people``              how many people (whole number, 0 or more; blank: the sum of the bands)
``red`` ``amber``       how many of them in each band (whole numbers; blank is 0)
``green`` ``unbanded``
``categories``          e.g. ``suspected_offender:3; victim:1`` (codes of ``rules.CATEGORIES``)
``fields``              e.g. ``full_name; date_of_birth; intelligence`` (codes of ``rules.FIELDS``)
``person_refs``         Custos references ``P-XXXXXXXX`` separated by ';' (optional)
======================  =======================================================================

``log_check`` reads and checks a file and writes nothing: every problem is
listed by line and column, and values are shown only for dates, numbers
and codes. ``log_import`` stores a checked file in one transaction, all of
it or nothing, with one ``sharing_log.imported`` event; the same file (by
SHA-256) is never imported twice.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import re
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import event_record
from custos.register.importer import header_key
from custos.register.models import Person
from custos.sharing import policies, rules
from custos.sharing.models import Agreement, LegacyShare, RecipientKind

DATE = "date"
RECIPIENT = "recipient"
RECIPIENT_KIND = "recipient_kind"
LEGAL_BASIS = "legal_basis"
PURPOSE = "purpose"
ISA = "isa"
PEOPLE = "people"
RED = "red"
AMBER = "amber"
GREEN = "green"
UNBANDED = "unbanded"
CATEGORIES = "categories"
FIELDS = "fields"
PERSON_REFS = "person_refs"

REQUIRED_COLUMNS = (DATE, RECIPIENT)
COLUMNS = (
    DATE,
    RECIPIENT,
    RECIPIENT_KIND,
    LEGAL_BASIS,
    PURPOSE,
    ISA,
    PEOPLE,
    RED,
    AMBER,
    GREEN,
    UNBANDED,
    CATEGORIES,
    FIELDS,
    PERSON_REFS,
)
#: Other headings a log may use for the same columns.
ALIASES = {
    "recipientname": RECIPIENT,
    "recipientorganisation": RECIPIENT,
    "sharedon": DATE,
    "dateshared": DATE,
    "kind": RECIPIENT_KIND,
    "isacode": ISA,
    "agreement": ISA,
    "peoplecount": PEOPLE,
    "personreferences": PERSON_REFS,
    "references": PERSON_REFS,
    "none": UNBANDED,
}
#: Headings that say the column holds people's details: refused, whatever else the file holds.
_PERSONAL = re.compile(
    r"name|surname|forename|nickname|alias|dateofbirth|dob|birth|address|postcode|nominal|subject|person(?!refs)",
)
#: Bands as the log counts them, and as the review stores them.
BAND_COLUMNS = {RED: "red", AMBER: "amber", GREEN: "green", UNBANDED: rules.NO_BAND}
_KINDS = {
    "statutory": RecipientKind.STATUTORY.value,
    "nonstatutory": RecipientKind.NON_STATUTORY.value,
    "": "",
}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_REF = re.compile(r"^P-([0-9A-F]{8})$")
_COUNT_PART = re.compile(r"^(.+?)\s*[:=]\s*(\d+)$")
MAX_ERRORS_SHOWN = 500
MAX_TEXT = 4000


class LogFileError(ValueError):
    """The file as a whole cannot be imported (wrong type, unreadable, empty, columns, already imported)."""


@dataclass(frozen=True)
class LineError:
    """One problem in one cell of the log."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


@dataclass(frozen=True)
class LogLine:
    """One valid line of a legacy log, as it will be stored."""

    line: int
    shared_on: dt.date
    recipient_name: str
    recipient_kind: str
    legal_basis: str
    purpose: str
    isa_code: str
    agreement_id: uuid.UUID | None
    people_count: int
    people_refs: tuple[str, ...]
    unresolved_refs: int
    band_counts: dict[str, int]
    category_counts: dict[str, int]
    fields: tuple[str, ...]


@dataclass
class LogReport:
    """The outcome of checking a log: its valid lines and its errors. Holds no personal data."""

    source_name: str
    kind: str
    sha256: str
    lines: list[LogLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def without_isa(self) -> list[int]:
        return [line.line for line in self.lines if not line.isa_code]

    @property
    def unknown_isa_codes(self) -> list[str]:
        return sorted({line.isa_code for line in self.lines if line.isa_code and line.agreement_id is None})

    @property
    def refs_resolved(self) -> int:
        return sum(len(line.people_refs) for line in self.lines)

    @property
    def refs_unresolved(self) -> int:
        return sum(line.unresolved_refs for line in self.lines)


# -- columns -------------------------------------------------------------------------------------------------------


def column_map(headers: Sequence[str]) -> dict[str, int]:
    """Where each column is. Refuses a column of names, any column not listed, a column twice, a missing one."""
    known = {header_key(name): name for name in COLUMNS}
    known.update(ALIASES)
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        name = known.get(key)
        if name is None:
            if _PERSONAL.search(key):
                raise LogFileError(
                    f"the column {header!r} looks like people's details: a sharing log may hold counts and Custos "
                    "references (person_refs, P-XXXXXXXX) only. Remove the column and import again"
                )
            raise LogFileError(
                f"unknown column {header!r}: the columns are " + ", ".join(COLUMNS) + " (see docs/sharing-review.md)"
            )
        if name in found:
            raise LogFileError(f"the column {name!r} appears twice")
        found[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in found]
    if missing:
        raise LogFileError("missing required column(s): " + ", ".join(missing) + " (see docs/sharing-review.md)")
    return found


# -- cells ---------------------------------------------------------------------------------------------------------


class _Invalid(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _date(value: Any, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        parsed = value.date()
    elif isinstance(value, dt.date):
        parsed = value
    else:
        text = _text(value)
        if not text:
            raise _Invalid("enter the date of the share")
        for fmt in _DATE_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time or zone
                break
            except ValueError:
                continue
        else:
            raise _Invalid(f"{_shown(text)} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
    if parsed > today:
        raise _Invalid(f"{parsed.isoformat()} is in the future")
    if parsed.year < 1990:
        raise _Invalid(f"{parsed.isoformat()} is before 1990")
    return parsed


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        raise _Invalid("is not a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = _text(value)
        if not text:
            return None
        if not re.fullmatch(r"-?\d+", text):
            raise _Invalid(f"{_shown(text)} is not a whole number")
        number = int(text)
    if number < 0:
        raise _Invalid(f"{number} must be 0 or more")
    return number


def _code(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip()).casefold()


def _kind(value: Any) -> str:
    kind = _KINDS.get(header_key(value))
    if kind is None:
        raise _Invalid(
            f"{_shown(_text(value))} is not a kind of recipient (use statutory, non_statutory or leave blank)"
        )
    return kind


def _categories(value: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in _text(value).split(";"))):
        match = _COUNT_PART.match(part)
        if match is None:
            raise _Invalid(f"{_shown(part)} is not 'category:count' (e.g. suspected_offender:3; victim:1)")
        code = _code(match.group(1))
        if code not in rules.CATEGORIES:
            raise _Invalid(f"{_shown(match.group(1))} is not a category (use: {', '.join(rules.CATEGORIES)})")
        counts[code] = counts.get(code, 0) + int(match.group(2))
    return {c: counts[c] for c in rules.CATEGORIES if counts.get(c)}


def _fields(value: Any) -> tuple[str, ...]:
    codes = [_code(p) for p in _text(value).split(";") if p.strip()]
    unknown = [c for c in codes if c not in rules.FIELDS]
    if unknown:
        raise _Invalid(f"{', '.join(_shown(c) for c in unknown)} not a field code (use: {', '.join(rules.FIELDS)})")
    return tuple(f for f in rules.FIELDS if f in set(codes))


def _refs(value: Any) -> list[str]:
    """The references as written, upper-cased; never echoes a value that is not a reference (it may be a name)."""
    refs = []
    for part in filter(None, (p.strip().upper() for p in _text(value).split(";"))):
        match = _REF.match(part)
        if match is None:
            raise _Invalid("holds something that is not a Custos reference: only P-XXXXXXXX, separated by ';'")
        refs.append(match.group(1))
    return refs


# -- reading -------------------------------------------------------------------------------------------------------


@dataclass
class Table:
    """The cells of a file: its header (the first non-blank row) and data rows, numbered as a spreadsheet does."""

    kind: str
    sha256: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]]


def _read_csv(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [(number, list(cells)) for number, cells in enumerate(csv.reader(handle), start=1)]
    except UnicodeDecodeError as exc:
        raise LogFileError("the file is not UTF-8 text: save it as 'CSV UTF-8' or as .xlsx") from exc
    except csv.Error as exc:
        raise LogFileError(f"the file is not a readable CSV file ({exc})") from exc


def _read_xlsx(path: Path) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise LogFileError("the file is not a readable .xlsx workbook") from exc
    try:
        if not workbook.worksheets:
            return []
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        return [(number, list(cells)) for number, cells in enumerate(rows, start=1)]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LogFileError("the file is not a readable .xlsx workbook") from exc
    finally:
        workbook.close()


def read_table(path: Path) -> Table:
    """The first sheet of an .xlsx file, or a UTF-8 .csv file; ``LogFileError`` for anything else or no data."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise LogFileError(f"the file must be a .csv or .xlsx file, not {suffix or 'a file without an extension'}")
    if not path.is_file():
        raise LogFileError("the file does not exist or is not a regular file")
    try:
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        raw = _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    except OSError as exc:
        raise LogFileError(f"the file cannot be read ({exc.strerror or 'I/O error'})") from exc
    rows = [(number, cells) for number, cells in raw if any(_text(c) for c in cells)]
    if not rows:
        raise LogFileError("the file is empty")
    (_, headers), data = rows[0], rows[1:]
    if not data:
        raise LogFileError("the file has a header row but no data rows")
    return Table(kind=suffix[1:], sha256=sha256, headers=[_text(h) for h in headers], rows=data)


# -- checking ------------------------------------------------------------------------------------------------------


def _person_index(wanted: set[str]) -> dict[str, list[uuid.UUID]]:
    """People by the first eight hex digits of their id, for the prefixes a log names."""
    index: dict[str, list[uuid.UUID]] = {}
    if not wanted:
        return index
    for pk in Person.objects.values_list("id", flat=True).iterator():
        prefix = pk.hex[:8].upper()
        if prefix in wanted:
            index.setdefault(prefix, []).append(pk)
    return index


def log_check(path: Path, *, today: dt.date | None = None) -> LogReport:
    """Read and check a legacy log; writes nothing. Raises ``LogFileError`` when the file as a whole is unusable.

    Every line is checked and every problem listed by line and column.
    A file with the same SHA-256 as one already imported is refused.
    """
    today = today or timezone.localdate()
    table = read_table(path)
    columns = column_map(table.headers)
    earlier = LegacyShare.objects.filter(source_sha256=table.sha256).order_by("imported_at").first()
    if earlier is not None:
        raise LogFileError(
            f"this file (SHA-256 {table.sha256[:16]}…) was already imported as {earlier.source_name!r} on "
            f"{timezone.localdate(earlier.imported_at).isoformat()}: nothing imported"
        )
    report = LogReport(source_name=path.name[:200], kind=table.kind, sha256=table.sha256)
    agreements = {a.code.casefold(): a.pk for a in Agreement.objects.only("id", "code")}
    parsed = table.rows
    wanted: set[str] = set()
    refs_cell = columns.get(PERSON_REFS)
    if refs_cell is not None:
        for _, cells in parsed:
            with contextlib.suppress(_Invalid):  # reported line by line below
                wanted.update(_refs(cells[refs_cell] if refs_cell < len(cells) else None))
    people = _person_index(wanted)
    for number, cells in parsed:
        line = _line(number, cells, columns, today=today, agreements=agreements, people=people, errors=report.errors)
        if line is not None:
            report.lines.append(line)
    return report


def _line(
    number: int,
    cells: list[Any],
    columns: dict[str, int],
    *,
    today: dt.date,
    agreements: dict[str, uuid.UUID],
    people: dict[str, list[uuid.UUID]],
    errors: list[LineError],
) -> LogLine | None:
    def cell(name: str) -> Any:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    before = len(errors)
    values: dict[str, Any] = {}

    def parse(name: str, parser: Any) -> None:
        try:
            values[name] = parser(cell(name))
        except _Invalid as exc:
            errors.append(LineError(number, name, str(exc)))

    parse(DATE, lambda v: _date(v, today))
    recipient = _text(cell(RECIPIENT))
    if not recipient:
        errors.append(LineError(number, RECIPIENT, "enter the organisation the data was shared with"))
    elif len(recipient) > 200:
        errors.append(LineError(number, RECIPIENT, "must be 200 characters or fewer"))
    parse(RECIPIENT_KIND, _kind)
    for name in (*BAND_COLUMNS, PEOPLE):
        parse(name, _count)
    parse(CATEGORIES, _categories)
    parse(FIELDS, _fields)
    parse(PERSON_REFS, _refs)
    for name in (LEGAL_BASIS, PURPOSE):
        if len(_text(cell(name))) > MAX_TEXT:
            errors.append(LineError(number, name, f"must be {MAX_TEXT} characters or fewer"))
    isa_code = _text(cell(ISA))[:40]
    if len(errors) > before:
        return None
    bands = {BAND_COLUMNS[name]: values[name] for name in BAND_COLUMNS if values[name]}
    banded = sum(bands.values())
    people_count = values[PEOPLE] if values[PEOPLE] is not None else banded
    if banded > people_count:
        errors.append(LineError(number, PEOPLE, f"{people_count} is fewer than the band counts ({banded})"))
        return None
    refs: list[str] = []
    unresolved = 0
    for prefix in dict.fromkeys(values[PERSON_REFS]):
        found = people.get(prefix, [])
        if len(found) == 1:
            refs.append(f"person:{found[0]}")
        else:
            unresolved += 1
    return LogLine(
        line=number,
        shared_on=values[DATE],
        recipient_name=recipient,
        recipient_kind=values[RECIPIENT_KIND],
        legal_basis=_text(cell(LEGAL_BASIS)),
        purpose=_text(cell(PURPOSE)),
        isa_code=isa_code,
        agreement_id=agreements.get(isa_code.casefold()) if isa_code else None,
        people_count=people_count,
        people_refs=tuple(refs),
        unresolved_refs=unresolved,
        band_counts=bands,
        category_counts=values[CATEGORIES],
        fields=values[FIELDS],
    )


# -- importing -----------------------------------------------------------------------------------------------------


def log_import(*, actor: User, report: LogReport) -> uuid.UUID:
    """Store a checked legacy log: every line, or nothing. Returns the batch id.

    Only the IRU or central governance may import (``PermissionDenied``).
    Refuses a report with errors, or a file already imported (``LogFileError``).
    Records ``sharing_log.imported`` with the counts and the file's SHA-256,
    the people it names as targets (references only).
    """
    if not policies.may_import_sharing_log(actor):
        raise PermissionDenied("Only the Information Rights Unit or central governance may import a sharing log.")
    if not report.valid:
        raise LogFileError(f"the file has {len(report.errors)} error(s): nothing imported")
    batch = uuid.uuid4()
    now = timezone.now()
    try:
        with transaction.atomic():
            if LegacyShare.objects.filter(source_sha256=report.sha256).exists():
                raise LogFileError("this file was already imported: nothing imported")
            LegacyShare.objects.bulk_create(
                [
                    LegacyShare(
                        batch=batch,
                        source_name=report.source_name,
                        source_sha256=report.sha256,
                        line=line.line,
                        shared_on=line.shared_on,
                        recipient_name=line.recipient_name,
                        recipient_kind=line.recipient_kind,
                        legal_basis=line.legal_basis,
                        purpose=line.purpose,
                        isa_code=line.isa_code,
                        agreement_id=line.agreement_id,
                        people_count=line.people_count,
                        people_refs=list(line.people_refs),
                        band_counts=line.band_counts,
                        category_counts=line.category_counts,
                        fields=list(line.fields),
                        imported_at=now,
                        imported_by=actor,
                    )
                    for line in report.lines
                ]
            )
            event_record(
                actor=actor,
                verb=Verb.SHARING_LOG_IMPORTED,
                object_type="sharing_log",
                object_ref=f"sharing_log:{batch}",
                targets=sorted({ref for line in report.lines for ref in line.people_refs}),
                detail={
                    "file_sha256": report.sha256,
                    "format": report.kind,
                    "lines": len(report.lines),
                    "without_isa": len(report.without_isa),
                    "unknown_isa_codes": report.unknown_isa_codes,
                    "people": sum(line.people_count for line in report.lines),
                    "refs_resolved": report.refs_resolved,
                    "refs_unresolved": report.refs_unresolved,
                },
            )
    except IntegrityError as exc:  # the same file imported at the same moment by someone else
        raise LogFileError("this file was already imported: nothing imported") from exc
    return batch


# -- reporting -----------------------------------------------------------------------------------------------------


def _list(numbers: Sequence[int], limit: int = 30) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    more = f" and {len(numbers) - limit} more" if len(numbers) > limit else ""
    return f"({'line' if len(numbers) == 1 else 'lines'} {shown}{more})"


def report_lines(report: LogReport, *, dry_run: bool, imported: bool) -> list[str]:
    """What ``custos import_sharing_log`` prints: counts, line numbers and codes, never personal data."""
    if dry_run:
        heading = f"Sharing log check of {report.source_name} (dry run: nothing written)"
    elif imported:
        heading = f"Sharing log {report.source_name} imported"
    else:
        heading = f"Sharing log {report.source_name} NOT imported: nothing written"
    lines = [heading, f"  file: {report.kind}, SHA-256 {report.sha256}"]
    if not report.valid:
        lines.append(
            f"  errors: {len(report.errors)} (fix them and run again; nothing is imported until all are fixed)"
        )
        lines.extend(f"    {error}" for error in report.errors[:MAX_ERRORS_SHOWN])
        if len(report.errors) > MAX_ERRORS_SHOWN:
            lines.append(f"    ... and {len(report.errors) - MAX_ERRORS_SHOWN} more")
        return lines
    verb = "to import" if dry_run else "imported"
    without = report.without_isa
    lines.append(f"  lines {verb}: {len(report.lines)}")
    lines.append(f"  people shared: {sum(line.people_count for line in report.lines)}")
    lines.append(f"  shares without an ISA: {len(without)}" + (f" {_list(without)}" if without else ""))
    unknown = report.unknown_isa_codes
    lines.append(f"  unknown ISA codes: {len(unknown)}" + (f" ({', '.join(unknown)})" if unknown else ""))
    lines.append(
        f"  person references: {report.refs_resolved} matched, {report.refs_unresolved} not found (not stored)"
    )
    return lines
