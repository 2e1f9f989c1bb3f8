"""The legacy sharing-log import never crashes and never half-imports (issue 8).

Arbitrary bytes named .csv or .xlsx, workbooks cut short, and logs with the
right columns (or nearly, or a column of names) holding random, wrong, huge
and badly encoded cells: ``log_check`` returns a report or raises
``LogFileError``; every cell problem is a ``LineError`` with a reason.
``log_import`` stores a valid report or raises ``LogFileError``, and after a
refusal the database is exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from custos.accounts.models import User
from custos.audit.models import AuditEvent
from custos.register.tests.fuzzing import says_why, write_csv, xlsx_bytes
from custos.sharing.importer import COLUMNS, LogFileError, LogReport, log_check, log_import
from custos.sharing.models import LegacyShare

TODAY = dt.date(2026, 3, 1)
HEADERS = list(COLUMNS)
FUZZ = settings(
    max_examples=150,
    deadline=5000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sharing-log-fuzz-") as name:
        yield Path(name)


plausible = st.sampled_from(
    [
        "",
        " ",
        "2025-01-31",
        "31/01/2025",
        "31/02/2025",
        "2999-01-01",
        "0001-01-01",
        "Hackney Council",
        "statutory",
        "non-statutory",
        "Non_Statutory",
        "private",
        "ISA-001",
        "0",
        "3",
        "-1",
        "1.5",
        "99999999999999999999999",
        "1e3",
        "suspected_offender:3; victim:1",
        "victim=2",
        "victim:-1",
        "nonsense:3",
        "full_name; date_of_birth; intelligence",
        "full_name;;",
        "password",
        "P-1A2B3C4D",
        "P-1a2b3c4d; P-00000000",
        "P-XYZ",
        "\x00",
        "\ufeff",
        '=HYPERLINK("http://example.invalid")',
    ]
)
cell_text = plausible | st.text(max_size=60) | st.text(min_size=3990, max_size=5000)
header_text = (
    st.sampled_from(HEADERS)
    | st.sampled_from(["Name", "Date shared", "Agreement", "DOB", "none"])
    | st.text(max_size=30)
)


@st.composite
def headers(draw: st.DrawFn) -> list[str]:
    """The log's columns, often perturbed: dropped, duplicated, renamed, a column of names, extra."""
    chosen = list(draw(st.permutations(HEADERS)) if draw(st.booleans()) else HEADERS)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        action = draw(st.sampled_from(["drop", "duplicate", "rename", "add"]))
        if action == "drop" and chosen:
            chosen.pop(draw(st.integers(min_value=0, max_value=len(chosen) - 1)))
        elif action == "duplicate" and chosen:
            chosen.append(draw(st.sampled_from(chosen)))
        elif action == "rename" and chosen:
            chosen[draw(st.integers(min_value=0, max_value=len(chosen) - 1))] = draw(header_text)
        else:
            chosen.append(draw(header_text))
    return chosen


def check(path: Path) -> LogReport | None:
    """Read and check a file: a report, or ``None`` after a ``LogFileError`` with a message."""
    try:
        report = log_check(path, today=TODAY)
    except LogFileError as exc:
        says_why(exc)
        return None
    for error in report.errors:
        assert error.reason
    return report


def counts() -> dict[str, int]:
    return {"LegacyShare": LegacyShare.objects.count(), "AuditEvent": AuditEvent.objects.count()}


def import_all_or_nothing(actor: User, report: LogReport) -> None:
    """Import inside a savepoint that is rolled back: stored whole, or refused with nothing stored."""
    with transaction.atomic():
        before = counts()
        try:
            log_import(actor=actor, report=report)
        except LogFileError as exc:
            event("refused")
            says_why(exc)
            assert counts() == before, "a refused import must leave the database as it was"
        else:
            event("imported")
            assert report.valid
            assert counts()["LegacyShare"] == before["LegacyShare"] + len(report.lines)
        transaction.set_rollback(True)


@FUZZ
@given(suffix=st.sampled_from([".csv", ".xlsx"]), data=st.binary(max_size=4096))
def test_arbitrary_bytes_are_refused_with_a_reason(folder: Path, suffix: str, data: bytes) -> None:
    path = folder / f"log{suffix}"
    path.write_bytes(data)
    check(path)


@FUZZ
@given(
    header=headers(),
    data=st.data(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_any_csv_log_is_checked_or_refused_and_imported_whole_or_not_at_all(
    folder: Path, iru: User, header: list[str], data: st.DataObject, encoding: str
) -> None:
    width = st.integers(min_value=0, max_value=len(header) + 2)
    rows = data.draw(st.lists(width.flatmap(lambda n: st.lists(cell_text, min_size=n, max_size=n)), max_size=5))
    path = folder / "log.csv"
    write_csv(path, header, rows, encoding)
    report = check(path)
    if report is not None:
        import_all_or_nothing(iru, report)


good_line = st.fixed_dictionaries(
    {
        "date": st.sampled_from(["2025-01-31", "31/12/2024"]),
        "recipient": st.sampled_from(["Hackney Council", "A Housing Association"]),
        "recipient_kind": st.sampled_from(["", "statutory", "non_statutory"]),
        "legal_basis": st.text(st.characters(blacklist_categories=["Cs"]), max_size=40),
        "purpose": st.text(st.characters(blacklist_categories=["Cs"]), max_size=40),
        "isa": st.sampled_from(["", "ISA-001"]),
        "people": st.sampled_from(["", "0", "3"]),
        "red": st.sampled_from(["", "0", "1"]),
        "amber": st.sampled_from(["", "2"]),
        "green": st.sampled_from(["", "0"]),
        "unbanded": st.sampled_from(["", "0"]),
        "categories": st.sampled_from(["", "suspected_offender:3", "victim:1; witness:0"]),
        "fields": st.sampled_from(["", "full_name; date_of_birth"]),
        "person_refs": st.sampled_from(["", "P-1A2B3C4D", "P-00000000; P-FFFFFFFF"]),
    }
)


@FUZZ
@given(lines=st.lists(good_line, min_size=1, max_size=4), cut=st.integers(min_value=0, max_value=100))
def test_a_workbook_log_whole_or_cut_short_is_imported_whole_or_not_at_all(
    folder: Path, iru: User, lines: list[dict[str, str]], cut: int
) -> None:
    data = xlsx_bytes(HEADERS, [[line[h] for h in HEADERS] for line in lines], sheet="Log")
    path = folder / "log.xlsx"
    path.write_bytes(data if cut >= 50 else data[: len(data) * cut // 50])
    report = check(path)
    if report is not None:
        import_all_or_nothing(iru, report)
