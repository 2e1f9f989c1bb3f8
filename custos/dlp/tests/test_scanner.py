"""The scanner: each file kind, each disguise, canaries, erased people, bad files, thresholds, resuming."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.accounts.models import User
from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.crypto.dlp_key import dlp_hasher
from custos.dlp import scanner, scanning
from custos.dlp.fingerprints import normalise
from custos.dlp.index import index_load
from custos.dlp.models import Finding, ScanRun
from custos.dlp.scanner import SUBJECT_REGISTER, Matcher, normalise_text, parse_date
from custos.dlp.services import canary_register, scan_run
from custos.dlp.tests.corpus import (
    DATE_FORMATS,
    DISGUISES,
    FILE_KINDS,
    Someone,
    bad_files,
    csv_bytes,
    file_bytes,
    someone,
)
from custos.register.tests.factories import a_person
from custos.retention.models import Tombstone
from custos.retention.services import people_erase

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def five_people(officer: User) -> list[Someone]:
    made = []
    for n, (name, street) in enumerate(
        [
            ("Tariq Okonkwo-Brennan", "14 Kestrel Road"),
            ("Siobhan Achterberg", "203 Vale Street"),
            ("Priya Lindqvist", "7 Marten Close"),
            ("Kwame Fairweather", "88 Heron Lane"),
            ("Zofia Pemberton", "31 Willow Grove"),
        ]
    ):
        dob = dt.date(1995 + n, n + 3, 10 + n)
        address = f"{street}, Hackney, London E{n + 1} {n + 1}AB"
        person = a_person(officer, full_name=name, date_of_birth=dob, addresses=[address], aliases=[f"Nick{n}"])
        made.append(someone(person.ref, name, dob, address))
    return made


def scan(folder: Path, actor: Any = SYSTEM) -> dict[str, list[Finding]]:
    scan_run(actor=actor, paths=[str(folder)])
    found: dict[str, list[Finding]] = {}
    for finding in Finding.objects.order_by("path"):
        found.setdefault(Path(finding.path.split("!/")[0]).name, []).append(finding)
    return found


@pytest.mark.parametrize("kind", FILE_KINDS)
@pytest.mark.parametrize("disguise", DISGUISES)
def test_each_kind_and_disguise_is_found(kind: str, disguise: str, officer_a: User, tmp_path: Path) -> None:
    people = five_people(officer_a)
    (tmp_path / f"copy.{kind}").write_bytes(file_bytes(kind, disguise, people, random.Random(3)))
    found = scan(tmp_path)
    [finding] = [f for f in found[f"copy.{kind}"] if f.kind == "register_data"]
    assert set(finding.refs) == {p.ref for p in people}
    assert finding.people == 5
    assert len(finding.field_kinds) >= 2


def test_fewer_people_than_the_threshold_is_not_reported(officer_a: User, tmp_path: Path, settings: Any) -> None:
    people = five_people(officer_a)
    (tmp_path / "two.csv").write_bytes(file_bytes("csv", "plain", people[:2], random.Random(1)))
    assert scan(tmp_path) == {}
    settings.CUSTOS_DLP_MIN_PEOPLE = 2
    assert [f.kind for f in scan(tmp_path)["two.csv"]] == ["register_data"]


def test_one_field_alone_corroborates_nobody(officer_a: User, tmp_path: Path) -> None:
    people = five_people(officer_a)
    names = csv_bytes(["Name"], [[p.full_name] for p in people])
    dates = csv_bytes(["Date"], [[f"{p.dob:%d/%m/%Y}"] for p in people])
    (tmp_path / "names.csv").write_bytes(names)
    (tmp_path / "dates.csv").write_bytes(dates)
    rotated = people[1:] + people[:1]
    mixed = csv_bytes(
        ["Name", "DOB"], [[a.full_name, f"{b.dob:%d/%m/%Y}"] for a, b in zip(people, rotated, strict=True)]
    )
    (tmp_path / "shuffled.csv").write_bytes(mixed)  # names with someone else's date of birth
    assert scan(tmp_path) == {}


def test_findings_hold_no_plaintext(officer_a: User, tmp_path: Path) -> None:
    people = five_people(officer_a)
    (tmp_path / "copy.csv").write_bytes(file_bytes("csv", "plain", people, random.Random(1)))
    scan(tmp_path)
    stored = json.dumps(list(Finding.objects.values("field_kinds", "refs", "detail", "owner"))).lower()
    events = json.dumps(list(AuditEvent.objects.filter(verb__startswith="dlp.").values("detail", "targets")))
    for person in people:
        for value in (person.first, person.last, person.postcode, person.street):
            assert value.lower() not in stored
            assert value.lower() not in events.lower()
    assert "copy.csv" not in events


def test_canary_names_its_export_user_and_date(officer_a: User, central: User, tmp_path: Path) -> None:
    five_people(officer_a)
    when = timezone.now() - dt.timedelta(days=3)
    canary = canary_register(
        actor=central,
        export_ref="export:1234",
        exported_by=officer_a,
        exported_at=when,
        full_name="Fennimore Quayle",
        date_of_birth=dt.date(1999, 2, 3),
        addresses=["5 Nowhere Row, London E9 9ZZ"],
    )
    export = csv_bytes(["Name", "DOB", "Postcode"], [["QUAYLE, Fennimore", "3 Feb 1999", "E99ZZ"]])
    (tmp_path / "export-copy.csv").write_bytes(export)
    [finding] = scan(tmp_path)["export-copy.csv"]
    assert finding.kind == "canary"
    assert finding.refs == [canary.ref]
    [detail] = finding.detail["canaries"]
    assert detail["export"] == "export:1234"
    assert detail["exported_by"] == "officer_a"
    assert detail["exported_at"] == when.isoformat()
    assert AuditEvent.objects.filter(verb="dlp.canary_registered", object_ref=canary.ref).exists()


def test_a_canary_needs_a_second_field(officer_a: User, central: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        canary_register(
            actor=central, export_ref="export:1", exported_by=officer_a, exported_at=timezone.now(), full_name="A B"
        )


def test_an_erased_person_is_flagged_as_an_informal_list(officer_a: User, tmp_path: Path) -> None:
    people = five_people(officer_a)
    gone = people[0]
    from custos.register.models import Person

    people_erase(
        actor=SYSTEM, people=[Person.objects.get(pk=gone.ref.split(":")[1])], reason=Tombstone.Reason.REVIEW,
        compact=False,
    )  # fmt: skip
    (tmp_path / "old-list.txt").write_text(f"Still on my list: {gone.full_name}, DOB {gone.dob:%d.%m.%y}\n")
    [finding] = scan(tmp_path)["old-list.txt"]
    assert finding.kind == "erased_person"
    assert finding.refs == [gone.ref]
    assert finding.detail["erased"][0]["erased_on"] == timezone.localdate().isoformat()
    out = io.StringIO()
    call_command("dlp_scan", str(tmp_path), "--no-progress", "--workers", "1", stdout=out)
    assert "informal list of someone who should no longer be held" in out.getvalue()


def test_erased_people_past_the_watch_period_are_not_flagged(officer_a: User, tmp_path: Path, settings: Any) -> None:
    people = five_people(officer_a)
    from custos.register.models import Person

    people_erase(actor=SYSTEM, people=list(Person.objects.all()), reason=Tombstone.Reason.REVIEW, compact=False)
    (tmp_path / "list.csv").write_bytes(file_bytes("csv", "plain", people, random.Random(1)))
    settings.CUSTOS_DLP_ERASED_WATCH_DAYS = 1
    import time_machine

    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert scan(tmp_path) == {}


@pytest.mark.parametrize("name", sorted(bad_files()))
def test_bad_files_are_reported_and_never_stop_the_scan(name: str, officer_a: User, tmp_path: Path) -> None:
    people = five_people(officer_a)
    content, expect = bad_files()[name]
    (tmp_path / f"a-{name}").write_bytes(content)
    (tmp_path / "z-copy.csv").write_bytes(file_bytes("csv", "plain", people, random.Random(1)))
    found = scan(tmp_path)
    assert [f.kind for f in found[f"a-{name}"]] == [expect]
    assert found[f"a-{name}"][0].detail["reason"]
    assert [f.kind for f in found["z-copy.csv"]] == ["register_data"]  # scanned after the bad one
    run = ScanRun.objects.get()
    assert run.status == "finished"
    assert run.files_failed == 1
    assert run.files_flagged == 1


def test_an_unreadable_file_is_reported(officer_a: User, tmp_path: Path) -> None:
    import os

    path = tmp_path / "secret.csv"
    path.write_text("nothing")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: every file is readable")
        assert [f.kind for f in scan(tmp_path)["secret.csv"]] == ["unreadable"]
    finally:
        path.chmod(0o600)


def test_members_of_archives_and_attachments_are_named(officer_a: User, tmp_path: Path) -> None:
    people = five_people(officer_a)
    (tmp_path / "bundle.zip").write_bytes(file_bytes("zip", "plain", people, random.Random(1)))
    (tmp_path / "mail.eml").write_bytes(file_bytes("eml", "plain", people, random.Random(2)))
    found = scan(tmp_path)
    paths = sorted(f.path.split(str(tmp_path))[1] for fs in found.values() for f in fs)
    assert "/bundle.zip!/nested.zip!/copy/list.xlsx" in paths
    assert any(p.startswith("/mail.eml") for p in paths)


def test_a_scan_is_resumable_and_reports_a_file_once(officer_a: User, tmp_path: Path) -> None:
    people = five_people(officer_a)
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "copy.csv").write_bytes(file_bytes("csv", "plain", people, random.Random(1)))
    real = scanning.FileScanner.scan
    calls: list[str] = []

    def interrupted(self: Any, cursor: Any, path: Path) -> Any:
        if "/b/" in str(path) and not calls:
            calls.append(str(path))
            raise KeyboardInterrupt
        return real(self, cursor, path)

    scanning.FileScanner.scan = interrupted  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            scan_run(actor=SYSTEM, paths=[str(tmp_path)])
    finally:
        scanning.FileScanner.scan = real  # type: ignore[method-assign]
    run = ScanRun.objects.get()
    assert run.status == "interrupted"
    assert run.cursor == [0, ["a", "copy.csv"]]
    assert Finding.objects.count() == 1
    resumed = scan_run(actor=SYSTEM, paths=[str(tmp_path)], resume=True)
    assert resumed.pk == run.pk
    assert resumed.status == "finished"
    assert resumed.files_scanned == 3
    assert sorted(Path(f.path).parent.name for f in Finding.objects.all()) == ["a", "b", "c"]
    scan_run(actor=SYSTEM, paths=[str(tmp_path)])  # again: the same findings, updated
    assert Finding.objects.count() == 3
    verbs = list(AuditEvent.objects.filter(verb__startswith="dlp.").values_list("verb", flat=True))
    assert verbs.count("dlp.scan_started") == 3
    assert verbs.count("dlp.scanned") == 3


def test_nothing_to_resume_is_refused(tmp_path: Path) -> None:
    from custos.register.services import RuleBroken

    with pytest.raises(RuleBroken, match="no unfinished scan"):
        scan_run(actor=SYSTEM, paths=[str(tmp_path)], resume=True)


def test_only_central_governance_sysadmin_or_the_system_may_scan(
    officer_a: User, spoc_a: User, sysadmin: User, central: User, tmp_path: Path
) -> None:
    for who in (officer_a, spoc_a):
        with pytest.raises(PermissionDenied):
            scan_run(actor=who, paths=[str(tmp_path)])
    assert scan_run(actor=sysadmin, paths=[str(tmp_path)]).started_by == "sysadmin"
    assert scan_run(actor=central, paths=[str(tmp_path)]).status == "finished"
    assert not ScanRun.objects.filter(started_by__in=["officer_a", "spoc_a"]).exists()


def test_the_command_prints_json_without_plaintext(officer_a: User, tmp_path: Path) -> None:
    people = five_people(officer_a)
    (tmp_path / "copy.xlsx").write_bytes(file_bytes("xlsx", "split_names", people, random.Random(1)))
    out = io.StringIO()
    call_command("dlp_scan", str(tmp_path), "--json", "--no-progress", "--workers", "1", stdout=out)
    result = json.loads(out.getvalue())
    assert result["files_scanned"] == 1
    assert result["status"] == "finished"
    [finding] = result["findings"]
    assert finding["kind"] == "register_data"
    assert finding["people"] == 5
    for person in people:
        assert person.last.lower() not in out.getvalue().lower()


def test_the_command_runs_as_a_named_user_only_if_allowed(officer_a: User, tmp_path: Path) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="central governance or a system administrator"):
        call_command("dlp_scan", str(tmp_path), "--as-user", "officer_a", "--no-progress", stdout=io.StringIO())
    with pytest.raises(CommandError, match="does not exist"):
        call_command("dlp_scan", str(tmp_path / "nope"), "--no-progress", stdout=io.StringIO())


# --- the engine -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("write", DATE_FORMATS)
def test_dates_in_every_written_form_parse_to_one(write: Any) -> None:
    from custos.dlp.scanner import _DATE

    for day in (dt.date(2001, 5, 17), dt.date(1999, 1, 3), dt.date(2010, 12, 1)):
        text = normalise_text(f"born {write(day)} in".encode())
        found = [d for m in _DATE.finditer(text) for d in parse_date(m, dt.date(2026, 1, 1))]
        assert day in found, (write(day), text)


def test_prose_corroborates_within_a_few_lines_not_across_the_file(officer_a: User) -> None:
    people = five_people(officer_a)
    index, _ = index_load()
    matcher = Matcher(index, dlp_hasher(), min_fields=2)
    p = people[0]
    near = f"Subject: {p.full_name}\nNotes\nBorn {p.dob:%d %B %Y}\n"
    far = f"Subject: {p.full_name}\n" + "nothing here\n" * 5 + f"Born {p.dob:%d %B %Y}\n"
    assert len(matcher.match([near], tabular=False).found) == 1
    assert matcher.match([far], tabular=False).found == {}
    # In a table, one row only.
    assert matcher.match([f"{p.full_name},x\ny,{p.dob:%d/%m/%Y}\n".encode()], tabular=True).found == {}


def test_matches_are_the_same_across_chunk_boundaries(officer_a: User) -> None:
    people = five_people(officer_a)
    index, _ = index_load()
    matcher = Matcher(index, dlp_hasher())
    text = "".join(f"{p.full_name}\nborn {p.dob:%d/%m/%Y}\n" for p in people).encode()
    whole = matcher.match([text], tabular=False).subjects_of(index, SUBJECT_REGISTER)
    lines = text.split(b"\n")
    parts = [b"\n".join(lines[i : i + 3]) for i in range(0, len(lines), 3)]
    split = matcher.match(parts, tabular=False).subjects_of(index, SUBJECT_REGISTER)
    assert [s.ref for s, _ in whole] == [s.ref for s, _ in split]
    assert len(whole) == 5


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"], exclude_characters="\n"),
        min_size=1,
        max_size=40,
    )
)
def test_the_scanner_normalises_text_as_the_index_normalises_values(value: str) -> None:
    scanned = normalise_text(value).decode("utf-8").split()
    assert scanned == normalise(value).split()
    if value.isascii():
        assert normalise_text(value.encode("ascii")).split() == normalise_text(value).split()


def test_matches_are_the_same_when_the_word_caches_are_cleared_half_way(
    officer_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = five_people(officer_a)
    index, _ = index_load()
    rows = "".join(f"{p.street},{p.full_name.split()[-1]},{p.dob:%d/%m/%Y},{p.full_name.split()[0]}\n" for p in people)
    text = ("filler words of a letter\n" * 20 + rows).encode()
    expected = Matcher(index, dlp_hasher()).match([text], tabular=True).subjects_of(index, SUBJECT_REGISTER)
    monkeypatch.setattr(scanner, "CACHE_LIMIT", 12)  # cleared many times in one chunk
    cleared = Matcher(index, dlp_hasher())
    found = cleared.match([text], tabular=True).subjects_of(index, SUBJECT_REGISTER)
    assert cleared._cleared > 0
    assert len(expected) == 5
    assert found == expected
