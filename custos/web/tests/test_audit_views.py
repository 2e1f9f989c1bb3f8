"""The auditors' pages: who may see them, what they find, what they never show, what they log."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.accounts.tests.helpers import with_purpose
from custos.audit.checkpoints import exported_checkpoint_read
from custos.audit.models import AuditEvent, Verb
from custos.audit.selectors import EXPORT_COLUMNS
from custos.audit.services import consultation_record
from custos.audit.verify import exported_checkpoint_verify
from custos.crypto import signing
from custos.register.models import BCU, Person
from custos.register.tests.factories import a_person, an_item

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
NAME = "Oriel Auditshaw"
SUMMARY = "Seen at the Quillfeather estate"


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)


@pytest.fixture
def person(officer_a: User) -> Person:
    """A person of BCU A with one item, recorded by officer A."""
    person = a_person(officer_a, full_name=NAME, aliases=["Ori"])
    an_item(officer_a, person, summary=SUMMARY)
    return person


def consult(client_for: ClientFor, user: User, person: Person) -> None:
    response = with_purpose(client_for(user)).get(reverse("web:person", args=[person.pk]))
    assert response.status_code == 200


def seqs(response: Any) -> list[int]:
    """The events a page lists, by sequence number, in the order shown."""
    return [row.event.seq for row in response.context["rows"]] if response.context.get("rows") is not None else []


def search(client: Client, **filters: str) -> Any:
    response = client.get(reverse("web:audit_log"), filters)
    assert response.status_code == 200, response.content.decode()[:500]
    return response


def expected(**lookup: Any) -> list[int]:
    return list(AuditEvent.objects.filter(**lookup).order_by("-seq").values_list("seq", flat=True))


# --- who may read the log ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("auditor", 200),
        ("dpo", 200),
        ("central", 200),
        ("officer_a", 403),
        ("analyst_a", 403),
        ("spoc_a", 403),
        ("sysadmin", 403),
    ],
)
def test_only_log_readers_may_search_and_see_the_patterns(
    request: pytest.FixtureRequest, persona: str, status: int, client_for: ClientFor
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    events = AuditEvent.objects.count()
    assert client.get(reverse("web:audit_log")).status_code == status
    assert client.get(reverse("web:audit_patterns")).status_code == status
    if status == 403:
        assert AuditEvent.objects.count() == events  # a refusal shows and records nothing


@pytest.mark.parametrize(("persona", "status"), [("auditor", 200), ("dpo", 200), ("central", 403), ("officer_a", 403)])
def test_only_auditors_and_the_dpo_may_export(
    request: pytest.FixtureRequest, persona: str, status: int, client_for: ClientFor
) -> None:
    user: User = request.getfixturevalue(persona)
    a_person(request.getfixturevalue("officer_a"))
    response = client_for(user).get(reverse("web:audit_export"))
    assert response.status_code == status
    page = client_for(user).get(reverse("web:audit_log"))
    if page.status_code == 200:
        assert ('id="audit-export"' in page.content.decode()) == (status == 200)


def test_an_inactive_auditor_is_refused(auditor: User, client_for: ClientFor) -> None:
    client = client_for(auditor)
    auditor.is_active = False
    auditor.save(update_fields=["is_active"])
    assert client.get(reverse("web:audit_log")).status_code in {302, 403}


def test_the_header_offers_the_log_to_its_readers_only(auditor: User, officer_a: User, client_for: ClientFor) -> None:
    assert "Audit log" in client_for(auditor).get(reverse("web:audit_log")).content.decode()
    assert client_for(auditor).get(reverse("web:home"))["Location"] == reverse("web:audit_log")
    officer_page = with_purpose(client_for(officer_a)).get(reverse("web:matrix")).content.decode()
    assert reverse("web:audit_log") not in officer_page


# --- what the log shows, and never shows -------------------------------------------------------


def test_the_auditor_finds_a_persons_events_by_reference_and_never_sees_their_name(
    auditor: User, officer_a: User, person: Person, client_for: ClientFor
) -> None:
    consult(client_for, officer_a, person)
    client = client_for(auditor)
    wanted = list(AuditEvent.objects.filter(object_ref=person.ref).values_list("seq", flat=True)) + list(
        AuditEvent.objects.filter(targets__icontains=person.ref).values_list("seq", flat=True)
    )
    for ref in (person.short_ref, person.short_ref.lower(), person.ref, str(person.pk)):
        response = search(client, person=ref)
        body = response.content.decode()
        assert sorted(seqs(response)) == sorted(set(wanted)), ref
        for needle in (NAME, "Oriel", "Auditshaw", "Ori<", SUMMARY, "Quillfeather", "CAD 1234"):
            assert needle not in body, needle
        assert person.short_ref in body
        assert "Person record consulted" in body
        assert "Intelligence added" in body
        assert "OP-TEST: Testing the register" in body  # the officer's declared purpose


def test_a_reference_that_is_not_one_is_refused_with_a_message_and_nothing_is_logged(
    auditor: User, client_for: ClientFor
) -> None:
    client = client_for(auditor)
    events = AuditEvent.objects.count()
    response = search(client, person=NAME)
    assert "Enter a person reference like P-1A2B3C4D or person:&lt;id&gt;." in response.content.decode()
    assert response.context["form"].errors
    assert AuditEvent.objects.count() == events


def test_filters_by_user_bcu_action_and_period(
    auditor: User, officer_a: User, officer_b: User, central: User, client_for: ClientFor
) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 3, 12, 0, tzinfo=dt.UTC)):
        person_a = a_person(officer_a, full_name="First Person")
    with time_machine.travel(dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)):
        person_b = a_person(officer_b, full_name="Second Person")
        consult(client_for, central, person_a)
    client = client_for(auditor)

    assert seqs(search(client, user="officer_a")) == expected(actor_username="officer_a")
    assert seqs(search(client, user="OFFICER_A")) == expected(actor_username="officer_a")
    assert seqs(search(client, user=str(officer_b.pk))) == expected(actor_id=officer_b.pk)
    assert seqs(search(client, verb=Verb.PERSON_CREATED)) == expected(verb=Verb.PERSON_CREATED)
    # By BCU: what its users did, and what was done to its people (central's consultation of person A).
    by_bcu = set(seqs(search(client, bcu="central-east")))
    central_read = AuditEvent.objects.get(verb=Verb.PERSON_CONSULTED, actor_username="central", object_ref=person_a.ref)
    assert central_read.detail["bcu"] == "central-east"
    assert by_bcu == {*expected(actor_bcu="central-east"), central_read.seq}
    assert by_bcu.isdisjoint(expected(object_ref=person_b.ref))

    march_3 = {"date_from_0": "3", "date_from_1": "3", "date_from_2": "2025"}
    march_3_only = {**march_3, "date_to_0": "3", "date_to_1": "3", "date_to_2": "2025"}
    on_the_3rd = expected(occurred_at__date=dt.date(2025, 3, 3))
    assert on_the_3rd
    assert seqs(search(client, **march_3_only)) == on_the_3rd
    from_the_4th = seqs(search(client, date_from_0="4", date_from_1="3", date_from_2="2025"))
    assert not set(from_the_4th) & set(on_the_3rd)
    assert set(expected(occurred_at__date=dt.date(2025, 3, 10))) <= set(from_the_4th)
    combined = seqs(search(client, user="officer_a", verb=Verb.PERSON_CREATED, **march_3))
    assert combined == expected(actor_username="officer_a", verb=Verb.PERSON_CREATED)

    backwards = search(client, **{**march_3_only, "date_from_0": "4"})
    assert "The end of the period must be the same as or after its start." in backwards.content.decode()


def test_the_log_is_paginated_keeping_the_filters(
    auditor: User, officer_a: User, client_for: ClientFor, settings: Any
) -> None:
    settings.CUSTOS_AUDIT_PAGE_SIZE = 3
    for n in range(4):
        a_person(officer_a, full_name=f"Paged Person {n}")
    client = client_for(auditor)
    wanted = expected(actor_username="officer_a")
    assert len(wanted) >= 4
    first = search(client, user="officer_a")
    second = search(client, user="officer_a", page="2")
    assert seqs(first) == wanted[:3]
    assert seqs(second) == wanted[3:6]
    assert "user=officer_a&amp;page=2" in first.content.decode()
    assert f"{len(wanted)} events matching the filters" in first.content.decode()


def test_searching_the_log_is_itself_logged(
    auditor: User, officer_a: User, person: Person, client_for: ClientFor
) -> None:
    client = client_for(auditor)
    search(client, person=person.short_ref, verb=Verb.PERSON_CREATED)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.verb == Verb.AUDIT_SEARCHED
    assert (event.actor_id, event.actor_username, event.actor_role) == (auditor.pk, "auditor", Role.AUDITOR)
    assert event.detail["filters"] == {"person": "person:" + person.pk.hex[:8], "verb": Verb.PERSON_CREATED}
    assert event.detail["matching"] == 1
    assert event.purpose == "web: audit log search"
    declared = with_purpose(client_for(auditor))
    search(declared)
    assert AuditEvent.objects.order_by("-seq").first().purpose.startswith("OP-TEST: ")  # type: ignore[union-attr]


# --- export with a signed checkpoint ----------------------------------------------------------


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def recomputed_hash(row: dict[str, str]) -> str:
    """An event's hash from its CSV row, exactly as README.txt in the export tells an outsider to do it."""
    row = {k: _unescape(v) for k, v in row.items()}
    payload = {
        "seq": int(row["seq"]),
        "occurred_at": row["occurred_at"],
        "actor_id": int(row["actor_id"]) if row["actor_id"] else None,
        "actor_username": row["actor_username"],
        "actor_role": row["actor_role"],
        "actor_bcu": row["actor_bcu"],
        "verb": row["verb"],
        "object_type": row["object_type"],
        "object_ref": row["object_ref"],
        "targets": json.loads(row["targets"]),
        "purpose": row["purpose"],
        "recipients": json.loads(row["recipients"]),
        "detail": json.loads(row["detail"]),
        "request_id": row["request_id"],
        "prev_hash": row["prev_hash"],
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_export_is_a_csv_with_a_signed_checkpoint_an_outsider_can_check(
    auditor: User, officer_a: User, person: Person, client_for: ClientFor, tmp_path: Path
) -> None:
    consult(client_for, officer_a, person)
    # A purpose that a spreadsheet would run as a formula.
    consultation_record(
        actor=officer_a, verb=Verb.PERSON_CONSULTED, object_ref=person.ref, object_type="person", purpose="=1+1 café"
    )
    response = client_for(auditor).get(reverse("web:audit_export"), {"person": person.short_ref})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    names = set(archive.namelist())
    assert {"events.csv", "checkpoint.json", "manifest.json", "README.txt"} <= names
    assert "custos audit_verify --checkpoint checkpoint.json" in archive.read("README.txt").decode()

    events_csv = archive.read("events.csv")
    text = events_csv.decode("utf-8")
    for needle in (NAME, "Oriel", "Auditshaw", SUMMARY):
        assert needle not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0].keys()) == EXPORT_COLUMNS
    matching = AuditEvent.objects.filter(seq__in=[int(r["seq"]) for r in rows])
    assert [int(r["seq"]) for r in rows] == sorted(
        set(AuditEvent.objects.filter(object_ref=person.ref).values_list("seq", flat=True))
        | set(AuditEvent.objects.filter(targets__icontains=person.ref).values_list("seq", flat=True))
        - set(AuditEvent.objects.filter(verb=Verb.AUDIT_EXPORTED).values_list("seq", flat=True))
    )
    by_seq = {e.seq: e for e in matching}
    for row in rows:
        assert recomputed_hash(row) == row["hash"] == by_seq[int(row["seq"])].hash
    formula = next(r for r in rows if "1+1" in r["purpose"])
    assert formula["purpose"] == "'=1+1 café"

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["events_sha256"] == hashlib.sha256(events_csv).hexdigest()
    assert manifest["rows"] == len(rows)
    assert manifest["filters"] == {"person": "person:" + person.pk.hex[:8]}
    assert manifest["exported_by"]["username"] == "auditor"

    document = json.loads(archive.read("checkpoint.json"))
    exported = exported_checkpoint_read(document)
    assert exported.public_key == signing.public_key_bytes()
    assert max(int(r["seq"]) for r in rows) <= exported.tree_size
    assert response["X-Custos-Checkpoint"] == str(exported.checkpoint_id)
    assert archive.read("checkpoint-statement.txt").decode() == document["statement"]
    assert archive.read("checkpoint-signature.bin") == bytes.fromhex(document["signature"])
    assert signing.verify(
        exported.public_key, archive.read("checkpoint-statement.txt"), archive.read("checkpoint-signature.bin")
    )
    assert exported_checkpoint_verify(exported).ok

    path = tmp_path / "checkpoint.json"
    path.write_bytes(archive.read("checkpoint.json"))
    out = io.StringIO()
    call_command("audit_verify", checkpoint=str(path), stdout=out)
    assert f"the log extends exported checkpoint #{exported.checkpoint_id}" in out.getvalue()

    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.verb == Verb.AUDIT_EXPORTED
    assert event.actor_username == "auditor"
    assert event.object_ref == f"audit_checkpoint:{exported.checkpoint_id}"
    assert event.detail["events_sha256"] == manifest["events_sha256"]
    assert event.detail["rows"] == len(rows)


def test_an_export_is_refused_when_the_log_does_not_verify(
    auditor: User, officer_a: User, client_for: ClientFor
) -> None:
    from custos.audit.tests.test_log import _drop_triggers, _raw

    a_person(officer_a)
    _drop_triggers()
    _raw("UPDATE audit_auditevent SET purpose = %s WHERE seq = %s", ["rewritten", 1])
    response = client_for(auditor).get(reverse("web:audit_export"))
    assert response.status_code == 503
    assert "event #1 was altered after it was written" in response.content.decode()
    assert not AuditEvent.objects.filter(verb=Verb.AUDIT_EXPORTED).exists()


# --- suspicious patterns ------------------------------------------------------------------------


def test_the_patterns_report_names_the_users_to_look_at(
    auditor: User,
    officer_a: User,
    officer_b: User,
    central: User,
    bcu_b: BCU,
    client_for: ClientFor,
    settings: Any,
) -> None:
    settings.CUSTOS_AUDIT_DAILY_CONSULTATION_LIMIT = 2
    people_a = [a_person(officer_a, full_name=f"Busy Person {n}") for n in range(3)]
    person_b = a_person(officer_b, full_name="Elsewhere Person")
    # officer A lists their BCU's three people (over the limit of 2) with a declared operation...
    with_purpose(client_for(officer_a)).get(reverse("web:people"))
    # ...and, as if their reach were wrong, reads a person of BCU B with the screen's default purpose.
    consultation_record(
        actor=officer_a,
        verb=Verb.PERSON_CONSULTED,
        object_type="person",
        object_ref=person_b.ref,
        purpose="web: person page",
        detail={"bcu": bcu_b.code},
    )
    # Central governance reads everyone's people: London-wide, never "outside their BCU".
    consult(client_for, central, person_b)

    response = client_for(auditor).get(reverse("web:audit_patterns"))
    assert response.status_code == 200
    report = response.context["report"]
    assert [(r.actor.username, r.people, r.bcus) for r in report.outside_bcu] == [("officer_a", 1, ["north-area"])]
    assert [(r.actor.username, r.people) for r in report.busy_days] == [("officer_a", 4)]
    assert report.busy_days[0].day == timezone.localdate()
    assert [(r.actor.username, r.consultations, r.people) for r in report.undeclared] == [("officer_a", 1, 1)]
    body = response.content.decode()
    for p in [*people_a, person_b]:
        assert p.full_name not in body
    assert "More than 2 people consulted in a day" in body

    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.verb == Verb.AUDIT_PATTERNS_REVIEWED
    assert event.detail["outside_bcu"] == 1
    assert event.detail["daily_limit"] == 2


def test_the_patterns_report_covers_the_period_asked_for(
    auditor: User, officer_a: User, person: Person, client_for: ClientFor
) -> None:
    consultation_record(
        actor=officer_a, verb=Verb.PERSON_CONSULTED, object_type="person", object_ref=person.ref, purpose=""
    )
    client = client_for(auditor)
    today = timezone.localdate()
    assert client.get(reverse("web:audit_patterns")).context["report"].undeclared
    last_year = today - dt.timedelta(days=400)
    old = {
        "date_from_0": str(last_year.day),
        "date_from_1": str(last_year.month),
        "date_from_2": str(last_year.year),
        "date_to_0": str(last_year.day),
        "date_to_1": str(last_year.month),
        "date_to_2": str(last_year.year),
    }
    report = client.get(reverse("web:audit_patterns"), old).context["report"]
    assert report.consultations == 0
    assert report.undeclared == []
