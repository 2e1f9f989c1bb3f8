"""Review decisions, removal as erasure, the erasure ledger, restriction."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.crypto.envelope import DataKeyShredded, clear_cache
from custos.crypto.models import DataKey
from custos.register.models import HarmScore, IntelligenceItem, Nomination, Person, PersonIndex, RagDecision
from custos.register.selectors import people_visible_to
from custos.register.services import RuleBroken, intelligence_add, person_rescore
from custos.register.tests.factories import an_item
from custos.retention import ledger
from custos.retention.models import RemovalTally, Restriction, Review, Tombstone
from custos.retention.services import (
    erase_now,
    ledger_reapply,
    people_erase,
    person_restrict,
    removal_cancel,
    restriction_lift,
    retention_sweep,
    review_decide,
    review_open,
    schedule_active,
)
from custos.retention.tests.builders import a_nominal, later

SYSTEM = Actor.system("test-erasure")
WHY = "Reviewed the record against the removal criteria."
NAME = "Quintessa Marblethorpe"


@pytest.fixture
def review(officer_a, spoc_a) -> Review:
    person = a_nominal(officer_a, spoc_a, name=NAME)
    return review_open(actor=spoc_a, person=person)


# -- deciding ---------------------------------------------------------------------------------------


def test_only_the_bcus_spoc_or_central_governance_decide(review, officer_a, spoc_b, dpo):
    for who in (officer_a, spoc_b, dpo):
        with pytest.raises(PermissionDenied):
            review_decide(actor=who, review=review, decision="keep", reasons=WHY)
    review.refresh_from_db()
    assert review.status == Review.Status.OPEN


@pytest.mark.parametrize(
    ("decision", "reasons", "next_review", "field"),
    [
        ("keep", "short", None, "reasons"),
        ("keep", WHY, -1, "next_review_on"),
        ("keep", WHY, 0, "next_review_on"),
        ("keep", WHY, 400, "next_review_on"),
        ("forget", WHY, None, "decision"),
        ("restrict", WHY, None, "ground"),
    ],
)
def test_a_bad_decision_is_refused_and_changes_nothing(review, spoc_a, decision, reasons, next_review, field):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        review_decide(
            actor=spoc_a,
            review=review,
            decision=decision,
            reasons=reasons,
            next_review_on=None if next_review is None else later(next_review),
        )
    assert field in caught.value.message_dict
    review = Review.objects.get(pk=review.pk)
    assert (review.status, review.decision, AuditEvent.objects.count()) == (Review.Status.OPEN, "", events)


def test_keep_sets_the_next_review_on_the_listing(review, spoc_a):
    decided = review_decide(actor=spoc_a, review=review, decision="keep", reasons=WHY, next_review_on=later(60))
    assert decided.status == Review.Status.KEPT
    assert Nomination.objects.get(person=review.person).review_due == later(60)
    with pytest.raises(RuleBroken, match="already been decided"):
        review_decide(actor=spoc_a, review=decided, decision="remove", reasons=WHY)
    # the next sweeps leave the person alone until then, and queue them again when it comes
    assert retention_sweep(actor=SYSTEM, today=later(59)).opened_total == 0
    assert retention_sweep(actor=SYSTEM, today=later(60)).opened_total == 1


def test_keep_defaults_to_the_bands_interval(review, spoc_a):
    decided = review_decide(actor=spoc_a, review=review, decision="keep", reasons=WHY)
    interval = schedule_active().definition["review_interval_days"]["green"]
    assert decided.next_review_on == timezone.localdate() + dt.timedelta(days=interval)


def test_remove_takes_the_listing_off_at_once_and_erases_only_after_the_grace_period(review, spoc_a):
    person = review.person
    decided = review_decide(actor=spoc_a, review=review, decision="remove", reasons=WHY)
    grace = schedule_active().definition["grace_days"]
    assert decided.status == Review.Status.REMOVAL_SCHEDULED
    assert decided.erasure_due_at.date() == (decided.decided_at + dt.timedelta(days=grace)).date()
    assert Nomination.objects.get(person=person).status == Nomination.Status.REMOVED
    assert retention_sweep(actor=SYSTEM, today=later(grace - 1)).erased == 0
    assert Person.objects.filter(pk=person.pk).exists()
    assert retention_sweep(actor=SYSTEM, today=later(grace)).erased == 1
    assert not Person.objects.filter(pk=person.pk).exists()
    after = Review.objects.filter(pk=review.pk).values("status", "person_id").get()
    assert after == {"status": Review.Status.ERASED, "person_id": None}


def test_a_scheduled_erasure_can_be_cancelled_in_the_grace_period(review, spoc_a, officer_a):
    decided = review_decide(actor=spoc_a, review=review, decision="remove", reasons=WHY)
    with pytest.raises(PermissionDenied):
        removal_cancel(actor=officer_a, review=decided, reasons=WHY)
    removal_cancel(actor=spoc_a, review=decided, reasons="New intelligence arrived during the grace period.")
    assert retention_sweep(actor=SYSTEM, today=later(60)).erased == 0
    assert Person.objects.filter(pk=review.person_id).exists()


def test_only_central_governance_erases_before_the_grace_period_ends(review, spoc_a, central):
    decided = review_decide(actor=spoc_a, review=review, decision="remove", reasons=WHY)
    with pytest.raises(PermissionDenied):
        erase_now(actor=spoc_a, review=decided, reasons=WHY)
    tombstone = erase_now(actor=central, review=decided, reasons=WHY)
    assert tombstone.reason == Tombstone.Reason.REVIEW
    assert not Person.objects.filter(pk=tombstone.person_ref.split(":")[1]).exists()


# -- erasure ----------------------------------------------------------------------------------------


def test_erasure_shreds_the_key_deletes_every_row_and_leaves_a_tombstone_without_personal_data(review, spoc_a):
    person = review.person
    pid, key_id, bcu = person.pk, person.data_key_id, person.bcu.code
    assert IntelligenceItem.objects.filter(person_id=pid).count() == 2
    review_decide(actor=spoc_a, review=review, decision="remove", reasons=WHY)
    [tombstone] = people_erase(
        actor=SYSTEM, people=[Person.objects.get(pk=pid)], reason="review", reviews={pid: review}
    )

    for model in (Person, IntelligenceItem, Nomination, HarmScore, PersonIndex):
        field = "pk" if model is Person else "person_id"
        assert not model.objects.filter(**{field: pid}).exists(), model.__name__
    assert not RagDecision.objects.filter(nomination__person_id=pid).exists()
    key = DataKey.objects.get(pk=key_id)
    assert key.wrapped is None
    assert key.shredded_at is not None
    clear_cache()
    with pytest.raises(DataKeyShredded):
        Review.objects.get(pk=review.pk).reasons  # noqa: B018 - the reviewer's reasons went with the key

    assert (tombstone.person_ref, tombstone.bcu_code, tombstone.was_listed) == (f"person:{pid}", bcu, True)
    assert tombstone.categories == ["suspected_offender"]
    assert tombstone.band == "green"
    stored = json.dumps(list(Tombstone.objects.filter(pk=tombstone.pk).values())[0], default=str) + json.dumps(
        list(RemovalTally.objects.values()), default=str
    )
    for fragment in ("Quintessa", "Marblethorpe", "2001-05-17", "JJ", "Example Road", "E8 1AA"):
        assert fragment not in stored
    tally = RemovalTally.objects.get()
    assert (tally.bcu_code, tally.band, tally.age_band, tally.count) == (bcu, "green", "25+", 1)

    event = AuditEvent.objects.get(verb="person.erased")
    assert event.targets == [f"person:{pid}"]
    assert NAME not in json.dumps(event.detail)
    [entry] = ledger.read()
    assert (entry.person_ref, entry.data_key_id, entry.reason) == (f"person:{pid}", str(key_id), "review")
    assert NAME not in ledger.ledger_path().read_text()


def test_erasing_an_already_erased_person_does_nothing(review, spoc_a):
    person = review.person
    people_erase(actor=SYSTEM, people=[person], reason="review")
    assert people_erase(actor=SYSTEM, people=[person], reason="review") == []
    assert Tombstone.objects.count() == 1
    assert len(ledger.read()) == 1


def test_if_the_ledger_cannot_be_written_nothing_is_erased(review, tmp_path):
    person = review.person
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the ledger's directory should be")
    events = AuditEvent.objects.count()
    with override_settings(ERASURE_LEDGER_PATH=blocker / "erasure-ledger.jsonl"):
        with pytest.raises(ledger.LedgerError, match="cannot be written"):
            people_erase(actor=SYSTEM, people=[person], reason="review")
    clear_cache()
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.full_name == NAME
    assert DataKey.objects.get(pk=person.data_key_id).wrapped is not None
    assert not Tombstone.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_tampered_ledger_is_detected(review):
    people_erase(actor=SYSTEM, people=[review.person], reason="review")
    path = ledger.ledger_path()
    record = json.loads(path.read_text())
    record["bcu_code"] = "somewhere-else"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(ledger.LedgerError, match="broken at line 1"):
        ledger.read()
    path.write_text("not json\n")
    with pytest.raises(ledger.LedgerError, match="line 1"):
        ledger_reapply()


def test_the_ledger_erases_again_a_person_restored_from_an_older_copy(officer_a, spoc_a):
    """Simulates a backup from before the erasure: the rows come back, the ledger removes them again."""
    person = a_nominal(officer_a, spoc_a, name=NAME)
    other = a_nominal(officer_a, spoc_a, name="Stays Here")
    pid, key_id = person.pk, person.data_key_id
    wrapped = bytes(DataKey.objects.get(pk=key_id).wrapped)
    rows = {
        "person": list(Person.objects.filter(pk=pid).values()),
        "items": list(IntelligenceItem.objects.filter(person_id=pid).values()),
    }
    people_erase(actor=SYSTEM, people=[person], reason="review")
    # "restore": the old key and rows are back, the tombstone is not
    DataKey.objects.filter(pk=key_id).update(wrapped=wrapped, shredded_at=None)
    Tombstone.objects.all().delete()
    Person.objects.bulk_create([Person(**row) for row in rows["person"]])
    IntelligenceItem.objects.bulk_create([IntelligenceItem(**row) for row in rows["items"]])
    clear_cache()
    assert Person.objects.get(pk=pid).full_name == NAME

    report = ledger_reapply()

    assert report.reapplied == [f"person:{pid}"]
    assert not Person.objects.filter(pk=pid).exists()
    assert not IntelligenceItem.objects.filter(person_id=pid).exists()
    assert DataKey.objects.get(pk=key_id).wrapped is None
    assert Tombstone.objects.filter(person_ref=f"person:{pid}").exists()
    assert Person.objects.filter(pk=other.pk).exists()
    assert AuditEvent.objects.filter(verb="erasure.reapplied", object_ref=f"person:{pid}").exists()
    assert ledger_reapply().reapplied == []  # idempotent


# -- restriction ------------------------------------------------------------------------------------


def test_restriction_hides_the_person_from_all_but_the_named_roles_and_freezes_them(
    officer_a, spoc_a, analyst_a, central, dpo
):
    person = a_nominal(officer_a, spoc_a, name=NAME)
    with pytest.raises(PermissionDenied):
        person_restrict(actor=officer_a, person=person, ground="evidence", reasons=WHY)
    with pytest.raises(ValidationError):
        person_restrict(actor=dpo, person=person, ground="evidence", reasons=WHY, roles=["officer"])
    restriction = person_restrict(
        actor=dpo, person=person, ground="accuracy_contested", reasons="The subject disputes the 2024 item."
    )
    assert restriction.roles == ["dpo", "iru"]
    for who in (officer_a, analyst_a, spoc_a, central):
        assert not people_visible_to(viewer=who).filter(pk=person.pk).exists(), who.username
    assert people_visible_to(viewer=dpo).filter(pk=person.pk).exists()
    fresh = Person.objects.get(pk=person.pk)
    with pytest.raises(RuleBroken, match="restricted"):
        an_item(officer_a, fresh, source_reference="CAD 9")
    with pytest.raises(RuleBroken, match="restricted"):
        person_rescore(actor=SYSTEM, person=fresh)
    with pytest.raises(RuleBroken, match="already"):
        person_restrict(actor=dpo, person=fresh, ground="evidence", reasons=WHY)
    assert AuditEvent.objects.filter(verb="person.restricted", object_ref=restriction.ref).exists()

    with pytest.raises(PermissionDenied):
        restriction_lift(actor=spoc_a, restriction=restriction, reasons=WHY)
    restriction_lift(actor=dpo, restriction=restriction, reasons="Accuracy resolved with the subject.")
    assert people_visible_to(viewer=officer_a).filter(pk=person.pk).exists()
    intelligence_add  # noqa: B018 - the freeze is lifted: writes work again
    an_item(officer_a, Person.objects.get(pk=person.pk), source_reference="CAD 10")
    with pytest.raises(RuleBroken, match="already been lifted"):
        restriction_lift(actor=dpo, restriction=Restriction.objects.get(pk=restriction.pk), reasons=WHY)


def test_a_review_can_restrict_instead_of_erasing(review, spoc_a, officer_a):
    decided = review_decide(
        actor=spoc_a,
        review=review,
        decision="restrict",
        reasons="Held as evidence for a trial next spring.",
        restriction_ground="evidence",
        restriction_roles=["bcu_spoc", "dpo"],
    )
    assert decided.status == Review.Status.RESTRICTED
    assert not people_visible_to(viewer=officer_a).filter(pk=review.person_id).exists()
    assert people_visible_to(viewer=spoc_a).filter(pk=review.person_id).exists()


def _other_session(dbname: str | None = None) -> Any:
    import psycopg

    params = connection.get_connection_params()
    keep = ("dbname", "user", "host", "port", "password")
    kwargs = {k: v for k, v in params.items() if k in keep}
    if dbname:
        kwargs["dbname"] = dbname
    return psycopg.connect(**kwargs, autocommit=True)


def _an_erasure_commits() -> int:
    """A transaction with an id commits in a session of its own (as an erasure's would); the horizon after it."""
    from custos.retention import services as retention_services

    eraser = _other_session()
    try:
        eraser.execute("SELECT pg_current_xact_id()")  # autocommit: takes an id and commits
        return int(eraser.execute(retention_services._NEXT_XID).fetchone()[0])
    finally:
        eraser.close()


def _in_the_way(horizon: int) -> set[int]:
    from custos.retention import services as retention_services

    with connection.cursor() as cursor:
        return retention_services._in_the_way(cursor, horizon)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: snapshots and VACUUM FULL")
def test_an_older_snapshot_of_this_database_is_waited_for() -> None:
    """While another session holds a snapshot from before the erasure, VACUUM FULL would carry the shredded key's
    old row version into the new file: the compaction waits for it. (Other sessions on the server, another test
    worker's, may be in the way too: the test asks only about its own.)"""
    other = _other_session()
    try:
        other.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        other.execute("SELECT count(*) FROM crypto_datakey")  # takes the snapshot
        horizon = _an_erasure_commits()
        assert other.info.backend_pid in _in_the_way(horizon)
        other.execute("COMMIT")
        assert other.info.backend_pid not in _in_the_way(horizon)
    finally:
        other.close()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: snapshots and VACUUM FULL")
def test_an_older_transaction_in_another_database_is_waited_for() -> None:
    """A transaction that began before the erasure in *another* database of the server also keeps the deleted row
    version "recently dead" for VACUUM FULL (its snapshot counts that transaction as still running): found when a
    second test worker's transactions left the shredded key in the key table's file."""
    other = _other_session("postgres")
    try:
        other.execute("BEGIN")
        other.execute("SELECT pg_current_xact_id()")  # a transaction id, as any write would take
        horizon = _an_erasure_commits()
        assert other.info.backend_pid in _in_the_way(horizon)
        other.execute("COMMIT")
        assert other.info.backend_pid not in _in_the_way(horizon)
        other.execute("BEGIN")
        other.execute("SELECT pg_current_xact_id()")  # begun after the erasure: not in the way
        assert other.info.backend_pid not in _in_the_way(horizon)
        other.execute("COMMIT")
    finally:
        other.close()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: snapshots and VACUUM FULL")
@override_settings(CUSTOS_ERASURE_COMPACT_WAIT_SECONDS=0)
def test_the_wait_ends_at_the_setting_while_an_older_transaction_runs() -> None:
    """The wait is bounded (CUSTOS_ERASURE_COMPACT_WAIT_SECONDS): past it the key table is compacted anyway and the
    log says an old copy may remain (compact_after_erasure)."""
    from custos.retention import services as retention_services

    other = _other_session("postgres")
    try:
        other.execute("BEGIN")
        other.execute("SELECT pg_current_xact_id()")
        horizon = _an_erasure_commits()
        with connection.cursor() as cursor:
            assert retention_services._older_transactions_end(cursor, horizon) is False
    finally:
        other.execute("COMMIT")
        other.close()


def test_a_32_bit_transaction_id_is_compared_as_postgresql_does() -> None:
    from custos.retention.services import _precedes

    assert _precedes(5, 10)
    assert not _precedes(10, 10)
    assert not _precedes(11, 10)
    assert _precedes(2**32 - 5, 2**32 + 3)  # the 32-bit id wrapped: still before
    assert not _precedes(3, 2**32 + 3)
