"""Importing a legacy borough gangs matrix (CSV or XLSX) into the register.

A legacy matrix holds the fields of ¶17 of the ICO's enforcement notice:
full name, nickname, date of birth, home address, identity code, whether
the person is a prolific firearms offender or knife carrier, rank (RAG) and
score, police intelligence and partner intelligence; plus the borough and a
victim flag. The import carries over the people and their intelligence but
not the legacy matrix's judgements:

- a victim (flagged, or whose only intelligence describes being a victim)
  is imported with their records in category "victim" and is never a nominal
  (¶16, ¶32 of the notice);
- a row without both police and partner intelligence is not corroborated by
  two sources, and a row scored zero is not a nominal (¶27, ¶31): both are
  imported as people but not nominated;
- every other row becomes a *proposed* nomination. The legacy rank is never
  applied as a band (DPA 2018 s.50A–50D: a named person decides, with
  reasons); rank and score are written into the nomination's reasons.

Legacy intelligence is undated and of unknown provenance, so it is graded
conservatively: source 2 (untested), intelligence C (known indirectly),
handling P, recorded as an assessment, dated on the day of import. Its
criterion is firearm possession if the firearms flag is set, else knife
possession if the knife flag is set, else gang association.

This module has two halves. ``read_table`` and ``matrix_check`` are pure
(a file in, a report out, nothing written): every row is checked and every
problem listed by row and column. ``matrix_import`` writes a checked file in
one transaction, all of it or nothing, with the audit events of every
person and record and one ``matrix.imported`` summary. Reports and errors
name rows by number and never show names, nicknames, addresses or
intelligence text.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from custos.audit.models import AuditEvent, Verb
from custos.audit.services import Actor, event_record
from custos.crypto.blind_index import normalise_name
from custos.crypto.envelope import data_key_new
from custos.register.bulk import BulkCounts, PersonBundle, bundles_write, nomination_corroboration
from custos.register.models import (
    BCU,
    Category,
    Criterion,
    Handling,
    IntelGrade,
    Nature,
    Nomination,
    ObservedEthnicity,
    SourceGrade,
    SourceType,
)
from custos.register.services import intelligence_build, person_build, rubric_active

PURPOSE = "legacy matrix import"

# -- columns -------------------------------------------------------------------

FULL_NAME = "full name"
NICKNAME = "nickname"
DATE_OF_BIRTH = "date of birth"
HOME_ADDRESS = "home address"
IDENTITY_CODE = "identity code"
FIREARMS = "prolific firearms offender"
KNIFE = "knife carrier"
RANK = "rank"
SCORE = "score"
POLICE_INTELLIGENCE = "police intelligence"
PARTNER_INTELLIGENCE = "partner intelligence"
BOROUGH = "borough"
VICTIM = "victim"

#: Columns a legacy matrix must have (values may still be blank where the docs allow).
REQUIRED_COLUMNS = (FULL_NAME, DATE_OF_BIRTH, BOROUGH, RANK, SCORE, POLICE_INTELLIGENCE, PARTNER_INTELLIGENCE, VICTIM)
#: Columns read when present.
OPTIONAL_COLUMNS = (NICKNAME, HOME_ADDRESS, IDENTITY_CODE, FIREARMS, KNIFE)
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)

#: Text that says the person was the victim, not the offender (conservative: when in doubt, a victim).
VICTIM_TEXT = re.compile(
    r"\bvictim of\b|\binjured party\b"
    r"|\b(?:was|been|got|were|is)\s+(?:stabbed|shot|robbed|assaulted|attacked|injured)\b",
    re.IGNORECASE,
)

_YES = frozenset({"y", "yes", "true", "1", "x"})
_NO = frozenset({"", "n", "no", "false", "0"})
_RANKS = {"red": "red", "r": "red", "amber": "amber", "a": "amber", "green": "green", "g": "green", "": ""}
_IDENTITY = re.compile(r"^(?:IC)?([1-69])$")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
MAX_ERRORS_SHOWN = 500
_HEADER_SEARCH_ROWS = 10


def header_key(text: Any) -> str:
    """A header or borough name folded for matching: case, spaces, '_' and '-' ignored, '&' is 'and'."""
    value = str(text or "").replace("&", "and")
    return re.sub(r"[\s_\-]+", "", value).casefold()


class MatrixFileError(ValueError):
    """The file as a whole cannot be imported (wrong type, unreadable, empty, missing columns)."""


@dataclass(frozen=True)
class RowError:
    """One problem in one cell; shows the value only for dates, numbers, flags, codes and boroughs."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


class Finding(enum.StrEnum):
    """Why a row is imported as a person but not as a nominal."""

    VICTIM = "victim"
    UNCORROBORATED = "uncorroborated"
    ZERO_SCORE = "zero score"

    @property
    def explanation(self) -> str:
        return {
            Finding.VICTIM: "victim (flagged, or only intelligence of being a victim): records kept as victim",
            Finding.UNCORROBORATED: "not corroborated (needs both police and partner intelligence)",
            Finding.ZERO_SCORE: "legacy score of zero or blank",
        }[self]


@dataclass(frozen=True)
class PlannedItem:
    """An intelligence item a row will become."""

    source_type: str
    category: str
    criterion: str
    text: str


@dataclass(frozen=True)
class MatrixRow:
    """One valid row of a legacy matrix and what the import will make of it."""

    row: int
    full_name: str
    nicknames: tuple[str, ...]
    date_of_birth: dt.date | None
    addresses: tuple[str, ...]
    identity_code: str
    firearms: bool
    knife: bool
    rank: str
    score: Decimal
    borough: str
    victim: bool
    items: tuple[PlannedItem, ...]
    findings: tuple[Finding, ...]

    @property
    def nominate(self) -> bool:
        return not self.findings


@dataclass
class Table:
    """The cells of a file: its header and data rows, numbered as the spreadsheet numbers them."""

    kind: str
    sha256: str
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any]]]


@dataclass
class MatrixReport:
    """The outcome of checking a file: valid rows, errors, findings. Holds no output text."""

    kind: str
    sha256: str
    rows: list[MatrixRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    blank_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def rows_checked(self) -> int:
        return len({r.row for r in self.rows} | {e.row for e in self.errors})

    @property
    def nominations(self) -> int:
        return sum(1 for r in self.rows if r.nominate)

    def findings(self) -> dict[Finding, list[int]]:
        found: dict[Finding, list[int]] = {kind: [] for kind in Finding}
        for row in self.rows:
            for kind in row.findings:
                found[kind].append(row.row)
        return found


# -- reading ---------------------------------------------------------------------


def _blank(cells: Iterable[Any]) -> bool:
    return all(_text(cell) == "" for cell in cells)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_csv(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [(number, list(cells)) for number, cells in enumerate(csv.reader(handle), start=1)]
    except UnicodeDecodeError as exc:
        raise MatrixFileError("the file is not UTF-8 text: save it as 'CSV UTF-8' or as .xlsx") from exc
    except csv.Error as exc:
        raise MatrixFileError(f"the file is not a readable CSV file ({exc})") from exc


def _read_xlsx(path: Path) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise MatrixFileError("the file is not a readable .xlsx workbook") from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return []
        return [(number, list(cells)) for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise MatrixFileError("the file is not a readable .xlsx workbook") from exc
    finally:
        workbook.close()


def read_table(path: Path) -> Table:
    """Read the first sheet of an .xlsx file, or a UTF-8 .csv file, into a ``Table``.

    The header is the first row with a ``full name`` cell among the first
    rows (so a title above it is skipped), else the first non-blank row.
    Raises ``MatrixFileError`` for a file of another type, an unreadable or
    empty file, or one with no data rows.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise MatrixFileError(f"the file must be a .csv or .xlsx file, not {suffix or 'a file without an extension'}")
    if not path.is_file():
        raise MatrixFileError("the file does not exist or is not a regular file")
    try:
        sha256 = _sha256(path)
        raw = _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    except PermissionError as exc:
        raise MatrixFileError("the file cannot be read (permission denied)") from exc
    except OSError as exc:
        raise MatrixFileError(f"the file cannot be read ({exc.strerror or 'I/O error'})") from exc
    rows = [(number, cells) for number, cells in raw if not _blank(cells)]
    if not rows:
        raise MatrixFileError("the file is empty")
    name_key = header_key(FULL_NAME)
    header_row, headers = next(
        ((n, cells) for n, cells in rows[:_HEADER_SEARCH_ROWS] if any(header_key(c) == name_key for c in cells)),
        rows[0],
    )
    data = [(number, cells) for number, cells in raw if number > header_row]
    if not any(not _blank(cells) for _, cells in data):
        raise MatrixFileError("the file has a header row but no data rows")
    return Table(kind=suffix[1:], sha256=sha256, header_row=header_row, headers=[_text(h) for h in headers], rows=data)


def column_map(headers: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Where each known column is, and the headers that will be ignored.

    Raises ``MatrixFileError`` for missing required columns or a column given twice.
    """
    known = {header_key(name): name for name in COLUMNS}
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        name = known.get(header_key(header))
        if name is None:
            ignored.append(header)
            continue
        if name in found:
            raise MatrixFileError(f"the column {name!r} appears twice")
        found[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in found]
    if missing:
        raise MatrixFileError("missing required column(s): " + ", ".join(missing) + " (see docs/import-matrix.md)")
    return found, ignored


# -- checking ----------------------------------------------------------------------


class _Invalid(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _parse_date(value: Any, today: dt.date) -> dt.date | None:
    if isinstance(value, dt.datetime):
        parsed = value.date()
    elif isinstance(value, dt.date):
        parsed = value
    else:
        text = _text(value)
        if not text:
            return None
        for fmt in _DATE_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time or zone
                break
            except ValueError:
                continue
        else:
            raise _Invalid(f"{_shown(text)} is not a date (use DD/MM/YYYY or YYYY-MM-DD)")
    if parsed > today:
        raise _Invalid(f"{_shown(parsed.strftime('%d/%m/%Y'))} is in the future")
    if parsed.year < 1900:
        raise _Invalid(f"{_shown(parsed.strftime('%d/%m/%Y'))} is before 1900")
    return parsed


def _parse_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _Invalid(f"{_shown(_text(value))} is not yes or no (use yes, no or leave blank)")


def _parse_score(value: Any) -> Decimal:
    text = _text(value)
    if not text:
        return Decimal(0)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise _Invalid(f"{_shown(text)} is not a number") from exc
    if not number.is_finite():
        raise _Invalid(f"{_shown(text)} is not a number")
    if number < 0:
        raise _Invalid(f"{_shown(text)} must be 0 or more")
    return number


def _parse_rank(value: Any) -> str:
    text = _text(value)
    rank = _RANKS.get(text.casefold())
    if rank is None:
        raise _Invalid(f"{_shown(text)} is not a rank (use red, amber, green or leave blank)")
    return rank


def _parse_identity_code(value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    match = _IDENTITY.match(re.sub(r"\s+", "", text).upper())
    if match is None or f"IC{match.group(1)}" not in ObservedEthnicity.values:
        raise _Invalid(f"{_shown(text)} is not an identity code (use IC1 to IC6, or IC9)")
    return f"IC{match.group(1)}"


def _parse_list(value: Any) -> tuple[str, ...]:
    """Several values in one cell are separated by ';'; line breaks within a value become ', '."""
    text = _text(value)
    parts = (", ".join(line.strip() for line in part.splitlines() if line.strip()) for part in text.split(";"))
    return tuple(" ".join(part.split()) for part in parts if part.strip())


def _plan(
    *, victim: bool, firearms: bool, knife: bool, score: Decimal, police: str, partner: str
) -> tuple[tuple[PlannedItem, ...], tuple[Finding, ...]]:
    """The items a row becomes and why (if so) it is not a nominal. See the module docstring."""
    if firearms:
        criterion = Criterion.WEAPON_FIREARM
    elif knife:
        criterion = Criterion.WEAPON_KNIFE
    else:
        criterion = Criterion.GANG_ASSOCIATION
    items: list[PlannedItem] = []
    for source_type, text in ((SourceType.POLICE, police), (SourceType.PARTNER, partner)):
        if not text:
            continue
        if victim or VICTIM_TEXT.search(text):
            items.append(PlannedItem(source_type, Category.VICTIM, Criterion.VICTIMISATION, text))
        else:
            items.append(PlannedItem(source_type, Category.SUSPECTED_OFFENDER, criterion, text))
    findings: list[Finding] = []
    offender_sources = {i.source_type for i in items if i.category == Category.SUSPECTED_OFFENDER}
    if victim or (not offender_sources and any(i.category == Category.VICTIM for i in items)):
        findings.append(Finding.VICTIM)
    elif offender_sources != {SourceType.POLICE, SourceType.PARTNER}:
        findings.append(Finding.UNCORROBORATED)
    if score == 0:
        findings.append(Finding.ZERO_SCORE)
    return tuple(items), tuple(findings)


def _check_row(
    number: int,
    cells: Sequence[Any],
    columns: Mapping[str, int],
    *,
    headers: Sequence[str],
    boroughs: Mapping[str, str],
    bcu_name: str,
    today: dt.date,
) -> tuple[MatrixRow | None, list[RowError]]:
    errors: list[RowError] = []

    def cell(name: str) -> Any:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def parsed(name: str, parse: Any, *args: Any) -> Any:
        try:
            return parse(cell(name), *args)
        except _Invalid as exc:
            errors.append(RowError(number, name, str(exc)))
            return None

    for index, value in enumerate(cells):
        if _text(value) and (index >= len(headers) or not headers[index]):
            errors.append(RowError(number, f"column {index + 1}", "has a value but no header"))
    full_name = " ".join(_text(cell(FULL_NAME)).split())
    if not full_name:
        errors.append(RowError(number, FULL_NAME, "is blank (enter the person's full name)"))
    elif len(full_name) > 200:
        errors.append(RowError(number, FULL_NAME, "is longer than 200 characters"))
    date_of_birth = parsed(DATE_OF_BIRTH, _parse_date, today)
    identity_code = parsed(IDENTITY_CODE, _parse_identity_code)
    firearms = parsed(FIREARMS, _parse_flag)
    knife = parsed(KNIFE, _parse_flag)
    rank = parsed(RANK, _parse_rank)
    score = parsed(SCORE, _parse_score)
    victim = parsed(VICTIM, _parse_flag)
    borough_text = _text(cell(BOROUGH))
    borough = boroughs.get(header_key(borough_text))
    if not borough_text:
        errors.append(RowError(number, BOROUGH, f"is blank (enter a borough of {bcu_name})"))
    elif borough is None:
        errors.append(RowError(number, BOROUGH, f"{_shown(borough_text)} is not a borough of {bcu_name}"))
    if errors:
        return None, errors
    police = _text(cell(POLICE_INTELLIGENCE))
    partner = _text(cell(PARTNER_INTELLIGENCE))
    items, findings = _plan(
        victim=bool(victim), firearms=bool(firearms), knife=bool(knife), score=score, police=police, partner=partner
    )
    row = MatrixRow(
        row=number,
        full_name=full_name,
        nicknames=_parse_list(cell(NICKNAME)),
        date_of_birth=date_of_birth,
        addresses=_parse_list(cell(HOME_ADDRESS)),
        identity_code=identity_code or "",
        firearms=bool(firearms),
        knife=bool(knife),
        rank=rank or "",
        score=score,
        borough=str(borough),
        victim=bool(victim),
        items=items,
        findings=findings,
    )
    return row, []


def matrix_check(table: Table, *, boroughs: Iterable[str], bcu_name: str, today: dt.date | None = None) -> MatrixReport:
    """Check every row of a legacy matrix for one BCU; pure, writes nothing.

    ``boroughs`` are the names of the BCU's boroughs. Raises ``MatrixFileError``
    if the columns are wrong; every cell problem becomes a ``RowError``.
    Two rows with the same full name and date of birth are an error (merge
    them): one person must not become two.
    """
    today = today or timezone.localdate()
    columns, ignored = column_map(table.headers)
    by_key = {header_key(name): name for name in boroughs}
    report = MatrixReport(kind=table.kind, sha256=table.sha256, ignored_columns=ignored)
    seen: dict[tuple[str, dt.date | None], int] = {}
    for number, cells in table.rows:
        if _blank(cells):
            report.blank_rows += 1
            continue
        row, errors = _check_row(
            number, cells, columns, headers=table.headers, boroughs=by_key, bcu_name=bcu_name, today=today
        )
        if row is not None:
            key = (normalise_name(row.full_name), row.date_of_birth)
            if key in seen:
                errors.append(
                    RowError(number, FULL_NAME, f"same full name and date of birth as row {seen[key]} (merge the rows)")
                )
                row = None
            else:
                seen[key] = number
        if row is not None:
            report.rows.append(row)
        report.errors.extend(errors)
    return report


# -- writing -------------------------------------------------------------------------


@dataclass
class ImportResult:
    people: int
    nominations: int
    counts: BulkCounts


def _reasons(row: MatrixRow, bcu: BCU) -> str:
    rank = row.rank or "none"
    return (
        f"Imported from the legacy {bcu.name} matrix (row {row.row}): corroborated by police and partner "
        f"intelligence. Legacy rank: {rank}; legacy score: {row.score}. Not applied: the band is decided by a "
        "named person with reasons (DPA 2018 s.50A-50D), after review of the imported intelligence."
    )


def _bundle(row: MatrixRow, *, bcu: BCU, boroughs: Mapping[str, Any], sha256: str, today: dt.date) -> PersonBundle:
    person = person_build(
        bcu=bcu,
        full_name=row.full_name,
        date_of_birth=row.date_of_birth,
        aliases=row.nicknames,
        addresses=row.addresses,
        borough=boroughs[row.borough],
        observed_ethnicity=row.identity_code,
        today=today,
        data_key=data_key_new(),
    )
    items = [
        intelligence_build(
            person=person,
            category=planned.category,
            occurred_on=today,
            source_type=planned.source_type,
            source_reference=f"legacy matrix {sha256[:16]} row {row.row} {planned.source_type}",
            source_grade=SourceGrade.UNTESTED,
            intel_grade=IntelGrade.C,
            handling=Handling.P,
            nature=Nature.ASSESSMENT,
            criterion=planned.criterion,
            summary=f"[Legacy matrix import; undated there, dated on import] {planned.text}",
            today=today,
        )
        for planned in row.items
    ]
    bundle = PersonBundle(
        person=person,
        items=items,
        event_detail={"source": "legacy matrix", "row": row.row, "findings": [str(f) for f in row.findings]},
    )
    if row.nominate:
        if nomination_corroboration(items) is None:  # pragma: no cover - _plan guarantees corroboration
            raise ValueError(f"row {row.row}: not corroborated by two independent sources")
        bundle.nomination = Nomination(
            data_key_id=person.data_key_id,
            person=person,
            bcu_id=bcu.pk,
            status=Nomination.Status.PROPOSED,
            reasons=_reasons(row, bcu),
        )
    return bundle


class AlreadyImported(ValueError):
    """This file was imported into this BCU before (the ``matrix.imported`` event ``seq`` says so)."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"this file was already imported into this BCU (audit event #{seq})")
        self.seq = seq


def _imported_before(bcu: BCU, sha256: str) -> None:
    seq = (
        AuditEvent.objects.filter(verb=Verb.MATRIX_IMPORTED, object_ref=f"bcu:{bcu.code}", detail__file_sha256=sha256)
        .values_list("seq", flat=True)
        .first()
    )
    if seq is not None:
        raise AlreadyImported(seq)


def matrix_import(
    *, actor: Actor, bcu: BCU, report: MatrixReport, today: dt.date | None = None, batch_size: int = 1000
) -> ImportResult:
    """Write a checked legacy matrix to the register: all of it, or nothing.

    Refuses a report with errors. One transaction holds every person, item,
    score and proposed nomination, their audit events (as the interactive
    services record them) and one ``matrix.imported`` event with the counts,
    the findings and the file's SHA-256. No band is set.

    Safe to re-run: a file (by SHA-256) already imported into the BCU raises
    ``AlreadyImported`` and writes nothing, so re-running an import that was
    interrupted after its commit does not make everyone twice. The check is
    repeated under the audit chain's lock, just before the summary event, so
    two imports of one file at once cannot both commit.
    """
    if not report.valid:
        raise ValueError(f"the file has {len(report.errors)} error(s): nothing imported")
    _imported_before(bcu, report.sha256)
    today = today or timezone.localdate()
    boroughs = {b.name: b for b in bcu.boroughs.all()}
    counts = BulkCounts()
    with transaction.atomic():
        rubric = rubric_active()
        for start in range(0, len(report.rows), batch_size):
            rows = report.rows[start : start + batch_size]
            try:
                bundles = [_bundle(r, bcu=bcu, boroughs=boroughs, sha256=report.sha256, today=today) for r in rows]
            except ValidationError as exc:
                raise ValueError("a row failed the register's own checks: " + " ".join(exc.messages)) from exc
            counts.add(bundles_write(actor=actor, bundles=bundles, rubric=rubric, today=today, purpose=PURPOSE))
        _imported_before(bcu, report.sha256)  # the chain's head is locked by now: a concurrent import has committed
        event_record(
            actor=actor,
            verb=Verb.MATRIX_IMPORTED,
            object_type="bcu",
            object_ref=f"bcu:{bcu.code}",
            purpose=PURPOSE,
            detail={
                "bcu": bcu.code,
                "format": report.kind,
                "file_sha256": report.sha256,
                "rows": len(report.rows),
                "blank_rows": report.blank_rows,
                "people": counts.people,
                "nominations_proposed": counts.nominations.get(Nomination.Status.PROPOSED, 0),
                "findings": {str(kind): len(rows) for kind, rows in report.findings().items()},
            },
        )
    return ImportResult(
        people=counts.people, nominations=counts.nominations.get(Nomination.Status.PROPOSED, 0), counts=counts
    )


# -- reporting -----------------------------------------------------------------------


def _row_list(rows: Sequence[int], limit: int = 30) -> str:
    shown = ", ".join(str(n) for n in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"({'row' if len(rows) == 1 else 'rows'} {shown}{more})"


def report_lines(report: MatrixReport, *, bcu_name: str, dry_run: bool, imported: bool) -> list[str]:
    """The report printed by ``custos import_matrix``: counts and row numbers, never personal data."""
    if dry_run:
        heading = f"Legacy matrix check for {bcu_name} (dry run: nothing written)"
    elif imported:
        heading = f"Legacy matrix imported into {bcu_name}"
    else:
        heading = f"Legacy matrix NOT imported into {bcu_name}: nothing written"
    lines = [heading, f"  file: {report.kind}, SHA-256 {report.sha256}"]
    lines.append(f"  rows: {report.rows_checked} checked, {report.blank_rows} blank skipped")
    if report.ignored_columns:
        lines.append("  columns not imported: " + ", ".join(repr(c) for c in report.ignored_columns))
    if not report.valid:
        lines.append(
            f"  errors: {len(report.errors)} (fix them and run again; nothing is imported until all are fixed)"
        )
        for error in report.errors[:MAX_ERRORS_SHOWN]:
            lines.append(f"    {error}")
        if len(report.errors) > MAX_ERRORS_SHOWN:
            lines.append(f"    ... and {len(report.errors) - MAX_ERRORS_SHOWN} more")
        return lines
    verb = "to import" if dry_run else "imported"
    items = sum(len(r.items) for r in report.rows)
    victim_items = sum(1 for r in report.rows for i in r.items if i.category == Category.VICTIM)
    lines.append(f"  people {verb}: {len(report.rows)}")
    lines.append(f"  intelligence items {verb}: {items} ({victim_items} recorded with the person as a victim)")
    lines.append(
        f"  nominations {'to propose' if dry_run else 'proposed'}: {report.nominations} "
        "(status proposed; legacy rank not applied: a named person decides any band)"
    )
    findings = report.findings()
    not_nominated = sum(1 for r in report.rows if not r.nominate)
    lines.append(f"  findings: {not_nominated} row(s) imported as people but not as nominals")
    for kind, rows in findings.items():
        where = f" {_row_list(rows)}" if rows else ""
        lines.append(f"    {kind}: {len(rows)}{where}: {kind.explanation}")
    return lines
