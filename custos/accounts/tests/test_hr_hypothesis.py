"""The HR movers-and-leavers import never crashes and never half-applies (issue 8).

Arbitrary bytes named .csv, and lists with the right columns (or nearly)
holding random, wrong, huge and badly encoded cells: ``hr_read`` returns rows
or raises ``HrFileError``; ``hr_check`` returns a report whose errors each
name a row; ``hr_apply`` applies a valid report or raises ``ValueError``, and
after a refusal every account and the event log are exactly as they were.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from custos.accounts.hr import HrFileError, HrReport, hr_apply, hr_check, hr_read
from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.register.models import BCU
from custos.register.tests.fuzzing import says_why, write_csv

FUZZ = settings(
    max_examples=150,
    deadline=5000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HEADERS = ["username", "event", "effective_date", "new_bcu"]
USERNAMES = ["hr_officer", "hr_analyst", "hr_central"]

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="hr-fuzz-") as name:
        yield Path(name)


@pytest.fixture
def accounts(make_user: Callable[..., User], bcu_a: BCU) -> dict[str, str]:
    """Three accounts HR may name, and the BCU codes and names as ``import_hr`` maps them."""
    make_user("hr_officer", Role.OFFICER, bcu_a)
    make_user("hr_analyst", Role.ANALYST, bcu_a)
    make_user("hr_central", Role.CENTRAL_GOVERNANCE)
    bcus: dict[str, str] = {}
    for code, name in BCU.objects.values_list("code", "name"):
        bcus[code.lower()] = code
        bcus[name.lower()] = code
    return bcus


plausible = st.sampled_from(
    [
        "",
        " ",
        *USERNAMES,
        "nobody",
        "leaver",
        "Mover",
        "retired",
        "2025-01-31",
        "31/01/2025",
        "31/02/2025",
        "2999-12-31",
        "0001-01-01",
        "central-east",
        "North Area",
        "atlantis",
        "\x00",
        "\ufeff",
    ]
)
cell_text = plausible | st.text(max_size=40) | st.text(min_size=1000, max_size=200_000)
header_text = (
    st.sampled_from(HEADERS) | st.sampled_from(["User name", "Effective-Date", "New BCU"]) | st.text(max_size=20)
)


def state() -> tuple[object, ...]:
    accounts = tuple(User.objects.order_by("username").values_list("username", "is_active", "bcu_code", "role"))
    return accounts, AuditEvent.objects.count()


def read_check_apply(path: Path, bcus: dict[str, str]) -> None:
    try:
        rows = hr_read(path)
    except HrFileError as exc:
        says_why(exc)
        return
    report: HrReport = hr_check(rows, bcus=bcus)
    for error in report.errors:
        assert error.startswith("row ")
    with transaction.atomic():
        before = state()
        try:
            hr_apply(actor=Actor.system("fuzz"), report=report)
        except ValueError as exc:
            event("refused")
            says_why(exc)
            assert not report.valid
            assert state() == before, "a refused HR file must change nothing"
        else:
            event("applied")
            assert report.valid
        transaction.set_rollback(True)


@FUZZ
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes_are_refused_with_a_reason(folder: Path, accounts: dict[str, str], data: bytes) -> None:
    path = folder / "hr.csv"
    path.write_bytes(data)
    read_check_apply(path, accounts)


@FUZZ
@given(
    header=st.one_of(st.just(HEADERS), st.lists(header_text, max_size=6)),
    data=st.data(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_any_list_is_checked_and_applied_whole_or_not_at_all(
    folder: Path, accounts: dict[str, str], header: list[str], data: st.DataObject, encoding: str
) -> None:
    width = st.integers(min_value=0, max_value=len(header) + 2)
    rows = data.draw(st.lists(width.flatmap(lambda n: st.lists(cell_text, min_size=n, max_size=n)), max_size=4))
    path = folder / "hr.csv"
    write_csv(path, header, rows, encoding)
    read_check_apply(path, accounts)


good_row = st.tuples(
    st.sampled_from(USERNAMES),
    st.sampled_from(["leaver", "mover", "Mover"]),
    st.sampled_from(["2025-01-31", "31/01/2025", "2999-12-31"]),
    st.sampled_from(["", "central-east", "North Area"]),
).map(list)


@FUZZ
@given(rows=st.lists(good_row, min_size=1, max_size=3))
def test_a_plausible_list_is_applied_whole_or_not_at_all(
    folder: Path, accounts: dict[str, str], rows: list[list[str]]
) -> None:
    path = folder / "hr.csv"
    write_csv(path, HEADERS, rows, "utf-8")
    read_check_apply(path, accounts)
