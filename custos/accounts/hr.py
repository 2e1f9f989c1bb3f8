"""Movers and leavers from HR (Annex 1 term 11; ``docs/import-hr.md``).

A CSV file, one row per event: ``username``, ``event`` (``leaver`` or
``mover``), ``effective_date`` and, for movers, ``new_bcu``. Every row is
checked first (``hr_check``); nothing is written unless the whole file is
valid, and then all of it is applied in one transaction (``hr_apply``):
leavers are suspended at once and their API tokens revoked, movers are
re-scoped to the new BCU at once and must be attested again there. Applying
the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from custos.accounts.models import BCU_SCOPED_ROLES, User
from custos.accounts.services import leaver_process, user_move
from custos.audit.services import Actor

REQUIRED_COLUMNS = ("username", "event", "effective_date")
OPTIONAL_COLUMNS = ("new_bcu",)
EVENTS = ("leaver", "mover")


class HrFileError(ValueError):
    """The file cannot be read as a movers-and-leavers list at all."""


@dataclass(frozen=True)
class HrRow:
    row: int
    user: User
    event: str
    effective_on: dt.date
    bcu_code: str = ""


@dataclass
class HrReport:
    rows: list[HrRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class HrOutcome:
    suspended: list[str] = field(default_factory=list)
    already_suspended: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    already_moved: list[str] = field(default_factory=list)


def _header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def hr_read(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a UTF-8 CSV file, numbered as in the file (the header is row 1)."""
    if path.suffix.lower() != ".csv":
        raise HrFileError(f"the file must be a .csv file, not {path.suffix or 'a file without an extension'}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    except FileNotFoundError as exc:
        raise HrFileError("no such file") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise HrFileError(f"not a readable UTF-8 CSV file ({exc.__class__.__name__})") from exc
    if any("\x00" in cell for line in lines for cell in line):
        # Binary, not text (the csv module reads NUL since Python 3.11; PostgreSQL refuses it in a query).
        raise HrFileError("not a readable UTF-8 CSV file (it holds NUL characters)")
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise HrFileError("the file is empty")
    header = [_header(cell) for cell in lines[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise HrFileError(f"missing required column(s): {', '.join(missing)}")
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((number, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}))
    if not rows:
        raise HrFileError("the file has no rows after its header")
    return rows


def _date(text: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


def hr_check(rows: list[tuple[int, dict[str, str]]], *, bcus: Mapping[str, str]) -> HrReport:
    """Check every row; ``bcus`` maps each BCU's code and lower-cased name to its code.

    Errors name the row and the column, and never hold more than the username
    and the values HR sent.
    """
    report = HrReport()
    usernames = [values.get("username", "") for _, values in rows]
    users = {u.username: u for u in User.objects.filter(username__in=[u for u in usernames if u])}
    seen: dict[str, int] = {}
    for number, values in rows:
        errors_before = len(report.errors)
        username = values.get("username", "")
        event = values.get("event", "").lower()
        date_text = values.get("effective_date", "")
        bcu_text = values.get("new_bcu", "")
        user = users.get(username)
        if not username:
            report.errors.append(f"row {number}, username: missing")
        elif user is None:
            report.errors.append(f"row {number}, username: no account {username!r}")
        elif username in seen:
            report.errors.append(f"row {number}, username: {username!r} is also on row {seen[username]}")
        else:
            seen[username] = number
        if event not in EVENTS:
            report.errors.append(f"row {number}, event: {values.get('event', '')!r} is not leaver or mover")
        effective_on = _date(date_text)
        if effective_on is None:
            report.errors.append(
                f"row {number}, effective date: {date_text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)"
            )
        bcu_code = ""
        if event == "mover":
            if not bcu_text:
                report.errors.append(f"row {number}, new BCU: a mover needs the BCU they move to")
            elif bcu_text.lower() not in bcus:
                report.errors.append(f"row {number}, new BCU: {bcu_text!r} is not a BCU code or name")
            else:
                bcu_code = bcus[bcu_text.lower()]
            if user is not None and user.role not in BCU_SCOPED_ROLES:
                report.errors.append(
                    f"row {number}, username: {username} has a London-wide role ({user.get_role_display()}); "
                    "a system administrator must change it"
                )
        elif event == "leaver" and bcu_text:
            report.errors.append(f"row {number}, new BCU: a leaver has no new BCU (leave it empty)")
        if len(report.errors) == errors_before and user is not None and effective_on is not None:
            report.rows.append(HrRow(row=number, user=user, event=event, effective_on=effective_on, bcu_code=bcu_code))
    return report


@transaction.atomic
def hr_apply(*, actor: Actor, report: HrReport) -> HrOutcome:
    """Apply a valid report in one transaction: leavers suspended, movers re-scoped; audited per account."""
    if not report.valid:
        raise ValueError("the file has errors")
    outcome = HrOutcome()
    for row in report.rows:
        if row.event == "leaver":
            done = leaver_process(actor=actor, user=row.user, effective_on=row.effective_on)
            (outcome.suspended if done else outcome.already_suspended).append(row.user.username)
        else:
            done = user_move(actor=actor, user=row.user, bcu_code=row.bcu_code, effective_on=row.effective_on)
            (outcome.moved if done else outcome.already_moved).append(row.user.username)
    return outcome
