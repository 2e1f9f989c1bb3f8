"""Importing a legacy matrix: every row checked, all or nothing, no legacy judgement carried over."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from custos.audit.models import AuditEvent, Verb
from custos.audit.services import Actor
from custos.audit.verify import chain_verify
from custos.crypto.blind_index import name_digest
from custos.register.importer import (
    Finding,
    MatrixFileError,
    Table,
    column_map,
    header_key,
    matrix_check,
    matrix_import,
    read_table,
)
from custos.register.models import (
    BCU,
    Category,
    Criterion,
    HarmScore,
    IntelligenceItem,
    Nomination,
    Person,
    PersonIndex,
    RagDecision,
)

TODAY = dt.date(2026, 3, 1)
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "legacy-matrix.csv"
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
BOROUGHS = ["Hackney", "Tower Hamlets"]


def row(**values: object) -> list[object]:
    """A valid, corroborated, non-victim row; override by column key (``full_name=...``)."""
    base: dict[str, object] = {
        "full_name": "Jordan Example",
        "nickname": "JJ",
        "date_of_birth": "17/05/2001",
        "home_address": "12 Example Road, London",
        "identity_code": "IC1",
        "prolific_firearms_offender": "no",
        "knife_carrier": "yes",
        "rank": "red",
        "score": "28",
        "police_intelligence": "Stopped with a lock knife",
        "partner_intelligence": "YOS report of knife carrying",
        "borough": "Hackney",
        "victim": "no",
    }
    base.update(values)
    return [base[h.lower().replace(" ", "_")] for h in HEADERS]


def table(*rows: list[object], headers: list[str] | None = None) -> Table:
    return Table(
        kind="csv",
        sha256="0" * 64,
        header_row=1,
        headers=headers or HEADERS,
        rows=[(n, list(r)) for n, r in enumerate(rows, start=2)],
    )


def check(*rows: list[object], headers: list[str] | None = None):  # type: ignore[no-untyped-def]
    return matrix_check(table(*rows, headers=headers), boroughs=BOROUGHS, bcu_name="Central East", today=TODAY)


# -- columns ---------------------------------------------------------------------------


def test_headers_match_ignoring_case_spaces_and_underscores():
    assert header_key(" Full  Name ") == header_key("FULL_NAME") == header_key("fullname") == "fullname"
    columns, ignored = column_map([h.upper().replace(" ", "_") for h in HEADERS] + ["Notes"])
    assert columns["full name"] == 0
    assert columns["victim"] == 12
    assert ignored == ["Notes"]


def test_missing_required_columns_are_named():
    with pytest.raises(MatrixFileError, match="missing required column.*victim"):
        column_map([h for h in HEADERS if h != "Victim"])


def test_a_column_given_twice_is_refused():
    with pytest.raises(MatrixFileError, match="'score' appears twice"):
        column_map([*HEADERS, "SCORE"])


# -- rows ------------------------------------------------------------------------------


def test_an_impossible_date_is_reported_by_row_and_column():
    report = check(row(), row(full_name="Casey Sample"), row(full_name="Robin", date_of_birth="31/02/2001"))
    assert [str(e) for e in report.errors] == [
        "row 4, date of birth: '31/02/2001' is not a date (use DD/MM/YYYY or YYYY-MM-DD)"
    ]
    assert not report.valid


def test_every_problem_in_every_row_is_listed():
    report = check(
        row(rank="purple", score="abc", victim="maybe"),
        row(full_name="", borough="Camden", score="-1", identity_code="IC7", date_of_birth="01/01/2099"),
        row(full_name="Other", knife_carrier="often"),
    )
    got = {(e.row, e.column) for e in report.errors}
    assert got == {
        (2, "rank"),
        (2, "score"),
        (2, "victim"),
        (3, "full name"),
        (3, "borough"),
        (3, "score"),
        (3, "identity code"),
        (3, "date of birth"),
        (4, "knife carrier"),
    }
    assert "'Camden' is not a borough of Central East" in {e.reason for e in report.errors}


def test_error_messages_never_show_names_addresses_or_intelligence():
    report = check(
        row(full_name="Secret Name", home_address="Secret Address", borough="Nowhere"),
        row(full_name="Secret Name", home_address="Secret Address"),
        row(full_name="Secret Name", home_address="Secret Address", police_intelligence="Secret intel"),
    )
    text = "\n".join(str(e) for e in report.errors)
    assert "row 4, full name: same full name and date of birth as row 3 (merge the rows)" in text
    assert "Secret" not in text


def test_dates_accept_both_formats_and_excel_dates():
    report = check(
        row(date_of_birth="2001-05-17"),
        row(full_name="B", date_of_birth=dt.datetime(2001, 5, 17)),  # noqa: DTZ001 - as openpyxl returns
        row(full_name="C", date_of_birth=""),
    )
    assert report.valid
    assert [r.date_of_birth for r in report.rows] == [dt.date(2001, 5, 17), dt.date(2001, 5, 17), None]


def test_a_value_in_a_column_without_header_is_an_error():
    report = check([*row(), "stray"])
    assert [str(e) for e in report.errors] == ["row 2, column 14: has a value but no header"]


def test_blank_rows_are_skipped_and_counted():
    report = check(row(), [""] * len(HEADERS), row(full_name="Other"))
    assert report.valid
    assert report.blank_rows == 1
    assert len(report.rows) == 2


# -- findings ----------------------------------------------------------------------------


def test_corroborated_scored_row_is_nominated_with_criterion_from_flags():
    (imported,) = check(row(prolific_firearms_offender="yes", knife_carrier="yes")).rows
    assert imported.nominate
    assert imported.findings == ()
    assert [(i.source_type, i.category, i.criterion) for i in imported.items] == [
        ("police", Category.SUSPECTED_OFFENDER, Criterion.WEAPON_FIREARM),
        ("partner_agency", Category.SUSPECTED_OFFENDER, Criterion.WEAPON_FIREARM),
    ]
    (plain,) = check(row(knife_carrier="no")).rows
    assert {i.criterion for i in plain.items} == {Criterion.GANG_ASSOCIATION}


def test_flagged_victim_is_a_finding_and_every_record_is_a_victim_record():
    (victim,) = check(row(victim="yes")).rows
    assert victim.findings == (Finding.VICTIM,)
    assert not victim.nominate
    assert {(i.category, i.criterion) for i in victim.items} == {(Category.VICTIM, Criterion.VICTIMISATION)}


def test_intelligence_only_of_being_a_victim_makes_a_victim():
    (victim,) = check(row(police_intelligence="Was stabbed outside a shop", partner_intelligence="")).rows
    assert victim.findings == (Finding.VICTIM,)
    (mixed,) = check(row(police_intelligence="Victim of a robbery")).rows
    assert [i.category for i in mixed.items] == [Category.VICTIM, Category.SUSPECTED_OFFENDER]
    assert mixed.findings == (Finding.UNCORROBORATED,)


def test_uncorroborated_and_zero_score_rows_are_findings():
    report = check(
        row(partner_intelligence=""),
        row(full_name="B", score="0"),
        row(full_name="C", score=""),
        row(full_name="D", police_intelligence="", partner_intelligence="", score="0"),
    )
    assert [r.findings for r in report.rows] == [
        (Finding.UNCORROBORATED,),
        (Finding.ZERO_SCORE,),
        (Finding.ZERO_SCORE,),
        (Finding.UNCORROBORATED, Finding.ZERO_SCORE),
    ]
    assert report.nominations == 0
    assert report.findings()[Finding.ZERO_SCORE] == [3, 4, 5]


# -- reading files -------------------------------------------------------------------------


def test_reads_the_example_csv_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "matrix.csv"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    read = read_table(path)
    assert read.kind == "csv"
    assert read.headers[0] == "Full name"
    assert len(read.rows) == 6


def test_reads_an_xlsx_first_sheet_with_typed_cells(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Gangs matrix, Central East (legacy)"])  # a title above the header is skipped
    sheet.append([])
    sheet.append(HEADERS)
    sheet.append(row(date_of_birth=dt.datetime(2001, 5, 17), score=28.0, victim=False))  # noqa: DTZ001
    sheet.append(row(full_name="Casey", date_of_birth="2002-13-01", score=3))
    path = tmp_path / "matrix.xlsx"
    workbook.save(path)
    read = read_table(path)
    assert read.kind == "xlsx"
    assert read.header_row == 3
    report = matrix_check(read, boroughs=BOROUGHS, bcu_name="Central East", today=TODAY)
    assert [str(e) for e in report.errors] == [
        "row 5, date of birth: '2002-13-01' is not a date (use DD/MM/YYYY or YYYY-MM-DD)"
    ]
    (imported,) = report.rows
    assert imported.row == 4
    assert imported.date_of_birth == dt.date(2001, 5, 17)
    assert imported.score == Decimal(28)
    assert imported.victim is False


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("matrix.txt", b"a,b", "must be a .csv or .xlsx file"),
        ("matrix.csv", b"", "the file is empty"),
        ("matrix.csv", b"\n\n", "the file is empty"),
        ("matrix.csv", ",".join(HEADERS).encode() + b"\n", "no data rows"),
        ("matrix.csv", b"\xff\xfe\x00bad", "not UTF-8"),
        ("matrix.xlsx", b"full name,score\n", "not a readable .xlsx"),
    ],
)
def test_unusable_files_are_refused_in_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MatrixFileError, match=message) as caught:
        read_table(path)
    assert "\n" not in str(caught.value)


# -- writing -----------------------------------------------------------------------------------


needs_db = pytest.mark.django_db


@pytest.fixture
def central_east(reference_data: None) -> BCU:
    return BCU.objects.get(code="central-east")


@needs_db
def test_import_writes_people_items_and_proposed_nominations_only(central_east):
    report = matrix_check(
        table(
            row(),
            row(full_name="Casey Victim", victim="yes", date_of_birth="2003-02-11"),
            row(full_name="Robin Alone", partner_intelligence=""),
        ),
        boroughs=BOROUGHS,
        bcu_name="Central East",
    )
    result = matrix_import(actor=Actor.system("test"), bcu=central_east, report=report)
    assert result.people == 3
    assert result.nominations == 1
    nomination = Nomination.objects.get()
    assert nomination.status == Nomination.Status.PROPOSED
    assert nomination.band == ""
    assert "Legacy rank: red; legacy score: 28" in nomination.reasons
    assert "s.50A" in nomination.reasons
    assert len(nomination.corroborating_items) == 2
    assert not RagDecision.objects.exists()
    person = nomination.person
    assert person.full_name == "Jordan Example"
    assert person.aliases == ["JJ"]
    assert person.date_of_birth == dt.date(2001, 5, 17)
    assert person.observed_ethnicity == "IC1"
    assert person.borough is not None
    assert person.borough.name == "Hackney"
    assert PersonIndex.objects.filter(digest=name_digest("jordan  EXAMPLE")).get().person_id == person.pk
    victim = Person.objects.get(index_entries__digest=name_digest("Casey Victim"))
    assert set(victim.intelligence.values_list("category", flat=True)) == {Category.VICTIM}
    assert not victim.nominations.exists()
    item = IntelligenceItem.objects.filter(person=person, source_type="police").get()
    assert (item.grade, item.nature, item.criterion) == ("2CP", "assessment", Criterion.WEAPON_KNIFE)
    assert item.summary.endswith("Stopped with a lock knife")
    assert HarmScore.objects.filter(is_current=True).count() == 3


@needs_db
def test_import_audits_every_person_and_the_import(central_east):
    report = matrix_check(table(row(), row(full_name="B", victim="yes")), boroughs=BOROUGHS, bcu_name="Central East")
    matrix_import(actor=Actor.system("import_matrix"), bcu=central_east, report=report)
    created = AuditEvent.objects.filter(verb=Verb.PERSON_CREATED)
    assert {e.object_ref for e in created} == {p.ref for p in Person.objects.all()}
    assert {e.actor_username for e in created} == {"system:import_matrix"}
    assert AuditEvent.objects.filter(verb=Verb.INTELLIGENCE_ADDED).count() == IntelligenceItem.objects.count()
    assert AuditEvent.objects.filter(verb=Verb.NOMINATION_PROPOSED).count() == 1
    summary = AuditEvent.objects.get(verb=Verb.MATRIX_IMPORTED)
    assert summary.detail["people"] == 2
    assert summary.detail["findings"]["victim"] == 1
    assert "Jordan" not in str(list(AuditEvent.objects.values_list("detail", "targets", "object_ref")))
    assert chain_verify().ok


@needs_db
def test_import_refuses_an_invalid_report(central_east):
    report = check(row(date_of_birth="nonsense"))
    with pytest.raises(ValueError, match="1 error"):
        matrix_import(actor=Actor.system("test"), bcu=central_east, report=report)
    assert not Person.objects.exists()


# -- the command ------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_matrix", *args, stdout=out)
    return out.getvalue()


@needs_db
def test_command_imports_the_example_and_reports_without_personal_data(central_east):
    output = run(str(EXAMPLE), "--bcu", "CENTRAL east")
    assert "Legacy matrix imported into Central East" in output
    assert "people imported: 6" in output
    assert "nominations proposed: 2" in output
    assert "victim: 2 (rows 6, 7)" in output
    assert "uncorroborated: 1 (row 4)" in output
    assert "zero score: 1 (row 5)" in output
    for personal in ("Jordan", "Example Road", "lock knife", "17/05/2001"):
        assert personal not in output
    assert Person.objects.count() == 6
    assert Nomination.objects.count() == 2


@needs_db
def test_command_dry_run_writes_nothing(central_east):
    events = AuditEvent.objects.count()
    output = run(str(EXAMPLE), "--bcu", "central-east", "--dry-run")
    assert "dry run: nothing written" in output
    assert "nominations to propose: 2" in output
    assert not Person.objects.exists()
    assert AuditEvent.objects.count() == events


@needs_db
def test_command_lists_errors_and_writes_nothing(central_east, tmp_path):
    path = tmp_path / "bad.csv"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("09/09/2004", "31/02/2001")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = AuditEvent.objects.count()
    out = StringIO()
    with pytest.raises(CommandError, match=r"bad.csv: 1 error\(s\) found; nothing imported"):
        call_command("import_matrix", str(path), "--bcu", "central-east", stdout=out)
    assert "row 4, date of birth: '31/02/2001' is not a date" in out.getvalue()
    assert not Person.objects.exists()
    assert AuditEvent.objects.count() == events


@needs_db
def test_command_refuses_an_unknown_bcu(central_east):
    with pytest.raises(CommandError, match="unknown BCU 'atlantis'"):
        run(str(EXAMPLE), "--bcu", "atlantis")


@needs_db
def test_command_refuses_rows_in_another_bcu(central_east):
    out = StringIO()
    with pytest.raises(CommandError, match="error"):
        call_command("import_matrix", str(EXAMPLE), "--bcu", "north-area", stdout=out)
    assert "row 2, borough: 'Hackney' is not a borough of North Area" in out.getvalue()
