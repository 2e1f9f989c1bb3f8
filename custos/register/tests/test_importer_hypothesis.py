"""The legacy matrix import never crashes and never half-imports (issue 8).

Arbitrary bytes named .csv or .xlsx, workbooks cut short, and tables with the
right columns (or nearly) holding random, wrong, huge and badly encoded
cells: ``read_table`` returns a table or raises ``MatrixFileError``;
``matrix_check`` returns a report or raises ``MatrixFileError``; every cell
problem is a ``RowError`` with a reason. ``matrix_import`` writes a valid
report or raises ``ValueError``, and after a refusal the database is exactly
as it was.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.register.importer import COLUMNS, MatrixFileError, MatrixReport, matrix_check, matrix_import, read_table
from custos.register.models import BCU, HarmScore, IntelligenceItem, Nomination, Person
from custos.register.tests.fuzzing import says_why, write_csv, xlsx_bytes

TODAY = dt.date(2026, 3, 1)
BOROUGHS = ["Hackney", "Tower Hamlets"]
HEADERS = [
    "Full name",
    "Nickname",
    "Date of birth",
    "Home address",
    "Identity code",
    "Prolific firearms offender",
    "Knife carrier",
    "Rank",
    "Score",
    "Police intelligence",
    "Partner intelligence",
    "Borough",
    "Victim",
]
FUZZ = settings(
    max_examples=200, deadline=2000, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
#: Writing to the database is slower: fewer examples, each rolled back.
FUZZ_DB = settings(
    max_examples=100,
    deadline=10_000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="matrix-fuzz-") as name:
        yield Path(name)


# -- what cells may hold ------------------------------------------------------------------------------------------

plausible = st.sampled_from(
    [
        "",
        " ",
        "Jordan Example",
        "Hackney",
        "tower hamlets",
        "Tower_Hamlets",
        "Islington",
        "yes",
        "no",
        "Y",
        "x",
        "maybe",
        "red",
        "A",
        "purple",
        "IC1",
        "ic 3",
        "IC7",
        "17/05/2001",
        "2001-05-17",
        "31/02/2001",
        "01/01/1899",
        "01/01/2999",
        "0",
        "-0",
        "28",
        "-1",
        "1e400",
        "NaN",
        "sNaN",
        "Infinity",
        "0x1F",
        "Stopped with a lock knife",
        "Victim of a stabbing",
        "a; b;; c",
        "line one\nline two",
        "\x00",
        "\ufeff",
        "\u202e",
        "=cmd|' /C calc'!A0",
    ]
)
cell_text = plausible | st.text(max_size=60) | st.text(min_size=190, max_size=6000).map(lambda s: s or "x")
header_text = st.sampled_from(HEADERS) | st.sampled_from(list(COLUMNS)) | st.text(max_size=30)


@st.composite
def headers(draw: st.DrawFn) -> list[str]:
    """The right columns, often perturbed: dropped, duplicated, renamed, reordered, extra."""
    chosen = list(HEADERS)
    if draw(st.booleans()):
        chosen = draw(st.permutations(chosen))
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


def rows_for(width: int) -> st.SearchStrategy[list[list[str]]]:
    lengths = st.integers(min_value=0, max_value=width + 2)
    return st.lists(lengths.flatmap(lambda n: st.lists(cell_text, min_size=n, max_size=n)), min_size=0, max_size=6)


def check(path: Path) -> MatrixReport | None:
    """Read and check a file: a report, or ``None`` after a ``MatrixFileError`` with a message."""
    try:
        table = read_table(path)
        report = matrix_check(table, boroughs=BOROUGHS, bcu_name="Central East", today=TODAY)
    except MatrixFileError as exc:
        says_why(exc)
        return None
    for error in report.errors:
        assert error.row >= 1
        assert error.reason
    return report


# -- reading and checking (no database) --------------------------------------------------------------------------


@FUZZ
@given(suffix=st.sampled_from([".csv", ".xlsx"]), data=st.binary(max_size=4096))
def test_arbitrary_bytes_are_refused_with_a_reason(folder: Path, suffix: str, data: bytes) -> None:
    path = folder / f"matrix{suffix}"
    path.write_bytes(data)
    check(path)


@FUZZ
@given(
    header=headers(),
    data=st.data(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
)
def test_any_csv_table_is_checked_or_refused(
    folder: Path, header: list[str], data: st.DataObject, encoding: str
) -> None:
    rows = data.draw(rows_for(len(header)))
    path = folder / "matrix.csv"
    write_csv(path, header, rows, encoding)
    check(path)


xlsx_cell = (
    cell_text
    | st.none()
    | st.booleans()
    | st.integers(min_value=-(2**62), max_value=2**62)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2999, 12, 31))
    | st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2999, 12, 31))
)


@FUZZ
@given(header=headers(), rows=st.lists(st.lists(xlsx_cell, max_size=15), max_size=5), cut=st.integers(0, 100))
def test_any_workbook_whole_or_cut_short_is_checked_or_refused(
    folder: Path, header: list[str], rows: list[list[Any]], cut: int
) -> None:
    data = xlsx_bytes(header, rows, sheet="Matrix")
    path = folder / "matrix.xlsx"
    # Most examples whole; the rest cut at a point anywhere in the file.
    path.write_bytes(data if cut >= 50 else data[: len(data) * cut // 50])
    check(path)


# -- importing (database) -------------------------------------------------------------------------------------


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (Person, IntelligenceItem, Nomination, HarmScore, AuditEvent)
    }


short_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)
good_row = st.fixed_dictionaries(
    {
        "Full name": st.sampled_from(["Jordan Example", "Casey Madeup", "Robin Fictional", "Sam Nobody"]),
        "Nickname": short_text,
        "Date of birth": st.sampled_from(["", "17/05/2001", "2003-02-11"]),
        "Home address": short_text,
        "Identity code": st.sampled_from(["", "IC1", "IC9"]),
        "Prolific firearms offender": st.sampled_from(["", "yes", "no"]),
        "Knife carrier": st.sampled_from(["", "yes", "no"]),
        "Rank": st.sampled_from(["", "red", "amber", "green"]),
        "Score": st.sampled_from(["", "0", "28", "1e400"]),
        "Police intelligence": short_text,
        "Partner intelligence": short_text,
        "Borough": st.sampled_from(["Hackney", "Tower Hamlets"]),
        "Victim": st.sampled_from(["", "yes", "no"]),
    }
)
any_row = st.fixed_dictionaries(
    {
        "Full name": st.sampled_from(["Jordan Example", "Casey Madeup", "Robin Fictional", "Sam Nobody"]),
        "Nickname": plausible,
        "Date of birth": st.sampled_from(["", "17/05/2001", "2003-02-11", "31/02/2001", "01/01/2999"]),
        "Home address": cell_text,
        "Identity code": st.sampled_from(["", "IC1", "IC9", "IC7"]),
        "Prolific firearms offender": st.sampled_from(["", "yes", "no", "maybe"]),
        "Knife carrier": st.sampled_from(["", "yes", "no"]),
        "Rank": st.sampled_from(["", "red", "amber", "green", "purple"]),
        "Score": st.sampled_from(["", "0", "28", "1e400", "-1", "NaN"]),
        "Police intelligence": cell_text,
        "Partner intelligence": cell_text,
        "Borough": st.sampled_from(["Hackney", "Tower Hamlets", "Islington", ""]),
        "Victim": st.sampled_from(["", "yes", "no"]),
    }
)


@pytest.mark.django_db
@FUZZ_DB
@given(rows=st.one_of(st.lists(good_row, min_size=1, max_size=4), st.lists(any_row, min_size=1, max_size=4)))
def test_an_import_writes_everything_or_nothing(folder: Path, reference_data: None, rows: list[dict[str, str]]) -> None:
    bcu = BCU.objects.get(code="central-east")
    path = folder / "import.csv"
    write_csv(path, HEADERS, [[row[h] for h in HEADERS] for row in rows], "utf-8")
    report = check(path)
    assert report is not None, "the columns are right: the file must be read"
    with transaction.atomic():
        before = counts()
        try:
            result = matrix_import(actor=Actor.system("fuzz"), bcu=bcu, report=report, today=TODAY)
        except ValueError as exc:
            event("refused")
            says_why(exc)
            assert counts() == before, "a refused import must leave the database as it was"
        else:
            event("imported")
            assert report.valid
            assert result.people == len(report.rows)
            assert counts()["Person"] == before["Person"] + len(report.rows)
        transaction.set_rollback(True)
