"""The s.62 log: append-only, chained, fail-closed, pseudonymous."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from custos.audit.models import AuditEvent
from custos.audit.services import AuditUnavailable
from custos.audit.verify import chain_verify
from custos.register.models import Person
from custos.register.tests.factories import a_person, an_item
from tests.server import custos_instance

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _drop_triggers() -> None:
    if connection.vendor == "sqlite":
        _raw("DROP TRIGGER audit_event_no_update")
        _raw("DROP TRIGGER audit_event_no_delete")
    else:
        _raw("DROP TRIGGER audit_event_no_update_delete ON audit_auditevent")


def test_database_refuses_update_and_delete_of_events(officer_a):
    a_person(officer_a)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(purpose="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.get(pk=event.pk).purpose == event.purpose


def test_change_is_rolled_back_when_audit_insert_fails(officer_a):
    """A trigger makes every audit insert fail: the person must not be written."""
    if connection.vendor == "sqlite":
        _raw(
            "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_auditevent "
            "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
        )
    else:
        _raw(
            "CREATE FUNCTION audit_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit store unavailable'; "
            "END; $$ LANGUAGE plpgsql"
        )
        _raw("CREATE TRIGGER audit_fail BEFORE INSERT ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_fail()")
    people_before = Person.objects.count()
    with pytest.raises(AuditUnavailable):
        a_person(officer_a, full_name="Never Stored")
    assert Person.objects.count() == people_before


@pytest.mark.cli
def test_event_outside_a_transaction_is_refused():
    """Outside a transaction there is no change to tie the event to: refused."""
    with custos_instance(demo_users=False) as inst:
        result = inst.custos(
            "shell",
            "-c",
            "from custos.audit.services import Actor, event_record; from custos.audit.models import Verb; "
            "event_record(actor=Actor.system('t'), verb=Verb.SYSTEM_INITIALISED)",
            check=False,
        )
        assert result.returncode != 0
        assert "AuditUnavailable" in result.stderr


@pytest.mark.cli
def test_audit_verify_command_exits_non_zero_naming_the_event():
    with custos_instance() as inst:
        assert "audit chain intact" in inst.custos("audit_verify").stdout
        tamper = (
            "from django.db import connection; c = connection.cursor(); "
            + (
                "c.execute('DROP TRIGGER audit_event_no_update'); "
                if inst.database_url.startswith("sqlite")
                else "c.execute('DROP TRIGGER audit_event_no_update_delete ON audit_auditevent'); "
            )
            + "c.execute(\"UPDATE audit_auditevent SET actor_username = 'someone_else' WHERE seq = 3\")"
        )
        inst.custos("shell", "-c", tamper)
        result = inst.custos("audit_verify", check=False)
        assert result.returncode == 1
        assert "#3" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_chain_verifies_and_each_event_hashes_the_previous(officer_a):
    person = a_person(officer_a)
    an_item(officer_a, person)
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 3
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    result = chain_verify()
    assert result.ok
    assert result.checked == len(events)


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder", "truncate"])
def test_verify_names_the_first_bad_event(officer_a, tamper):
    person = a_person(officer_a)
    an_item(officer_a, person)
    an_item(officer_a, person, source_reference="CAD 2")
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    target = seqs[2]
    _drop_triggers()
    if tamper == "edit":
        _raw("UPDATE audit_auditevent SET purpose = %s WHERE seq = %s", ["rewritten", target])
        expected = target
    elif tamper == "delete":
        _raw("DELETE FROM audit_auditevent WHERE seq = %s", [target])
        expected = target
    elif tamper == "reorder":
        a, b = AuditEvent.objects.get(seq=target), AuditEvent.objects.get(seq=target + 1)
        _raw("UPDATE audit_auditevent SET seq = -1 WHERE seq = %s", [a.seq])
        _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [a.seq, b.seq])
        _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [b.seq])
        expected = target
    else:
        _raw("DELETE FROM audit_auditevent WHERE seq >= %s", [seqs[-2]])
        expected = seqs[-2]
    result = chain_verify()
    assert not result.ok
    assert result.first_bad_seq == expected, result.reason


def test_events_hold_no_plaintext_personal_data(officer_a):
    person = a_person(officer_a, full_name="Oswaldo Pemberton-Quince", aliases=["Ozzy P"])
    an_item(officer_a, person, summary="Seen at the Pembury estate with a blade")
    dump = json.dumps(list(AuditEvent.objects.values()), default=str)
    for needle in ("Oswaldo", "Pemberton", "Ozzy", "Pembury", "blade", "CAD 1234", "2001-05-17"):
        assert needle not in dump
    assert person.ref in dump
