"""Importing a legacy sharing log: the example file, references, every refusal (and nothing stored)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from custos.accounts.models import User
from custos.audit.models import AuditEvent, Verb
from custos.retention.tests.builders import a_nominal
from custos.sharing.importer import LogFileError, log_check, log_import, report_lines
from custos.sharing.models import LegacyShare
from custos.sharing.review import ReviewFilters, review_build
from custos.sharing.tests.builders import an_agreement

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "legacy-sharing-log.csv"
HEADER = "date,recipient,recipient_kind,isa,people,red,amber,green,unbanded,categories,fields,person_refs\n"


def write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(LogFileError) as caught:
        log_check(path)
    assert not LegacyShare.objects.exists()
    return str(caught.value)


def test_the_example_log_is_imported_and_every_share_without_an_isa_flagged(central: User, iru: User) -> None:
    isa = an_agreement(central, iru)  # ISA-0001: the only code of the log the register knows
    report = log_check(EXAMPLE)
    assert report.valid, report.errors
    assert report.without_isa == [4, 5, 8, 12, 14, 16]
    assert report.unknown_isa_codes == ["CPS-2020-11", "HOUS-07", "ISA-0002", "ISA-0003", "TH-CSP-2018"]
    log_import(actor=iru, report=report)
    assert LegacyShare.objects.count() == 15
    assert set(LegacyShare.objects.filter(agreement=isa).values_list("line", flat=True)) == {2, 7, 15}
    line = LegacyShare.objects.get(line=6)
    assert (line.shared_on, line.recipient_kind, line.isa_code, line.agreement) == (
        dt.date(2019, 7, 15),
        "statutory",
        "TH-CSP-2018",
        None,
    )
    assert line.band_counts == {"red": 2, "amber": 3}
    assert line.fields == ["full_name", "postcode", "band", "gang"]
    clarion = LegacyShare.objects.get(line=4)
    assert clarion.recipient_kind == "non_statutory"
    assert clarion.category_counts == {"suspected_offender": 4, "victim": 2}
    assert LegacyShare.objects.get(line=8).recipient_kind == ""
    assert LegacyShare.objects.get(line=5).band_counts == {"none": 2}
    event = AuditEvent.objects.get(verb=Verb.SHARING_LOG_IMPORTED)
    assert event.actor_id == iru.pk
    assert event.detail["lines"] == 15
    assert event.detail["without_isa"] == 6
    assert event.detail["people"] == 46
    review = review_build(filters=ReviewFilters())
    assert review.legacy_shares == 15
    assert review.legacy_without_isa == 6
    no_isa = sorted(f.ref for f in review.flags if f.rule == "no_isa")
    assert no_isa == sorted(f"legacy-sharing-log.csv line {n}" for n in (4, 5, 8, 12, 14, 16))
    assert sum(1 for f in review.flags if f.rule == "unknown_isa") == 6


def test_person_references_are_stored_only_when_they_resolve(
    tmp_path: Path, officer_a: User, spoc_a: User, iru: User
) -> None:
    person = a_nominal(officer_a, spoc_a, band="red")
    path = write(
        tmp_path, HEADER + f"2020-02-01,Probation,statutory,,2,2,0,0,0,,,{person.short_ref.lower()}; P-00000000\n"
    )
    report = log_check(path)
    assert (report.refs_resolved, report.refs_unresolved) == (1, 1)
    log_import(actor=iru, report=report)
    share = LegacyShare.objects.get()
    assert share.people_refs == [person.ref]
    lines = report_lines(report, dry_run=False, imported=True)
    assert "  person references: 1 matched, 1 not found (not stored)" in lines
    assert AuditEvent.objects.get(verb=Verb.SHARING_LOG_IMPORTED).targets == [person.ref]


def test_an_xlsx_log_with_other_headings_is_imported(tmp_path: Path, iru: User) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date Shared", "Recipient Name", "KIND", "ISA code", "People", "Green", "Fields"])
    sheet.append([dt.datetime(2020, 5, 1), "Peabody Trust", "Non-Statutory", None, 3, 3, "Full Name"])  # noqa: DTZ001
    path = tmp_path / "log.xlsx"
    book.save(path)
    report = log_check(path)
    assert report.valid, report.errors
    log_import(actor=iru, report=report)
    share = LegacyShare.objects.get()
    assert (share.shared_on, share.recipient_kind, share.people_count) == (dt.date(2020, 5, 1), "non_statutory", 3)
    assert (share.band_counts, share.fields, share.line) == ({"green": 3}, ["full_name"], 2)


def test_every_bad_line_is_listed_by_line_and_column_and_nothing_stored(tmp_path: Path, iru: User) -> None:
    path = write(
        tmp_path,
        HEADER
        + "31/02/2020,Probation,statutory,,1,1,0,0,0,,,\n"
        + "2020-03-01,,private,,x,0,0,0,0,offender:2,,\n"
        + "2020-03-02,Council,statutory,,1,2,0,0,0,victim,shoe_size,Jane Doe\n"
        + "2020-03-03,Council,statutory,,1,1,0,0,0,,,\n",
    )
    report = log_check(path)
    assert [str(e) for e in report.errors] == [
        "line 2, date: '31/02/2020' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
        "line 3, recipient: enter the organisation the data was shared with",
        "line 3, recipient_kind: 'private' is not a kind of recipient (use statutory, non_statutory or leave blank)",
        "line 3, people: 'x' is not a whole number",
        "line 3, categories: 'offender' is not a category (use: suspected_offender, convicted_offender, victim, "
        "witness, other)",
        "line 4, categories: 'victim' is not 'category:count' (e.g. suspected_offender:3; victim:1)",
        "line 4, fields: 'shoe_size' not a field code (use: reference, full_name, aliases, date_of_birth, address, "
        "postcode, borough, bcu, band, harm_score, categories, gang, intelligence)",
        "line 4, person_refs: holds something that is not a Custos reference: only P-XXXXXXXX, separated by ';'",
    ]
    assert "Jane" not in " ".join(report_lines(report, dry_run=False, imported=False))
    with pytest.raises(LogFileError, match="8 error"):
        log_import(actor=iru, report=report)
    assert not LegacyShare.objects.exists()
    assert not AuditEvent.objects.filter(verb=Verb.SHARING_LOG_IMPORTED).exists()


def test_more_in_bands_than_people_is_refused(tmp_path: Path) -> None:
    report = log_check(write(tmp_path, HEADER + "2020-03-01,Council,statutory,,1,2,1,0,0,,,\n"))
    assert [str(e) for e in report.errors] == ["line 2, people: 1 is fewer than the band counts (3)"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("log.csv", "date,people\n2020-01-01,3\n", "missing required column(s): recipient"),
        ("log.csv", "date,recipient,full name\n2020-01-01,Council,A\n", "looks like people's details"),
        ("log.csv", "date,recipient,Surname\n2020-01-01,Council,A\n", "looks like people's details"),
        ("log.csv", "date,recipient,notes\n2020-01-01,Council,A\n", "unknown column 'notes'"),
        ("log.csv", "", "the file is empty"),
        ("log.csv", "date,recipient\n", "header row but no data rows"),
        ("log.txt", "date,recipient\n2020-01-01,Council\n", "must be a .csv or .xlsx file"),
        ("log.xlsx", "not a workbook", "not a readable .xlsx workbook"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(tmp_path: Path, name: str, content: str, message: str) -> None:
    assert message in refused(write(tmp_path, content, name))


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(b"%PDF-1.7\n\xff\xfe\x00binary")
    assert "not UTF-8 text" in refused(path)


def test_the_same_file_is_imported_once(tmp_path: Path, iru: User) -> None:
    path = write(tmp_path, HEADER + "2020-03-01,Council,statutory,,1,1,0,0,0,,,\n")
    log_import(actor=iru, report=log_check(path))
    copy = write(tmp_path, path.read_text(encoding="utf-8"), "renamed.csv")
    with pytest.raises(LogFileError, match=r"was already imported as 'log.csv' on "):
        log_check(copy)
    report = log_check(write(tmp_path, HEADER + "2020-03-02,Council,statutory,,1,1,0,0,0,,,\n", "other.csv"))
    LegacyShare.objects.update(source_sha256=report.sha256)  # as if imported meanwhile, after the check
    with pytest.raises(LogFileError, match="already imported"):
        log_import(actor=iru, report=report)
    assert LegacyShare.objects.count() == 1


def test_only_the_iru_or_central_governance_may_import(tmp_path: Path, officer_a: User, dpo: User) -> None:
    report = log_check(write(tmp_path, HEADER + "2020-03-01,Council,statutory,,1,1,0,0,0,,,\n"))
    for user in (officer_a, dpo):
        with pytest.raises(PermissionDenied):
            log_import(actor=user, report=report)
    assert not LegacyShare.objects.exists()


# -- the command ---------------------------------------------------------------------------------------------------


def test_the_command_dry_run_writes_nothing(central: User) -> None:
    out = io.StringIO()
    call_command("import_sharing_log", str(EXAMPLE), "--as-user", "central", "--dry-run", stdout=out)
    assert "dry run: nothing written" in out.getvalue()
    assert "lines to import: 15" in out.getvalue()
    assert "shares without an ISA: 6 (lines 4, 5, 8, 12, 14, 16)" in out.getvalue()
    assert not LegacyShare.objects.exists()
    assert not AuditEvent.objects.filter(verb=Verb.SHARING_LOG_IMPORTED).exists()


def test_the_command_refuses_a_role_that_may_not_import(officer_a: User) -> None:
    with pytest.raises(CommandError, match="only the Information Rights Unit or central governance"):
        call_command("import_sharing_log", str(EXAMPLE), "--as-user", "officer_a", stdout=io.StringIO())
    assert not LegacyShare.objects.exists()
