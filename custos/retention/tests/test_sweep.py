"""The retention sweep: each rule of the schedule opens a review; nothing is removed on its own."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from custos.accounts.models import Notification
from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.register.models import HarmScore, Nomination, Person
from custos.register.services import RuleBroken
from custos.register.tests.factories import a_person, an_item
from custos.retention.models import RetentionSchedule, Review, Trigger
from custos.retention.schedule import ScheduleError, age_band, schedule_default, schedule_validate
from custos.retention.services import candidates_find, retention_sweep, review_open, schedule_active, schedule_load
from custos.retention.tests.builders import a_nominal, later

SYSTEM = Actor.system("test-sweep")


def sweep(on: dt.date, **kwargs):  # type: ignore[no-untyped-def]
    return retention_sweep(actor=SYSTEM, today=on, **kwargs)


def open_review(person: Person) -> Review:
    return Review.objects.get(person=person, status=Review.Status.OPEN)


# -- the schedule is data, validated ---------------------------------------------------------------


def test_the_default_schedule_is_loaded_and_valid(reference_data):
    schedule = schedule_active()
    assert schedule.version == 1
    schedule_validate(schedule.definition)
    assert schedule.definition["removal_rules"]["no_attention_days"] == 183
    assert schedule.definition["victim_review_days"] < schedule.definition["unlisted_review_days"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["review_interval_days"].pop("green"), "review_interval_days.green"),
        (lambda d: d["review_interval_days"].update(red=400), "may not exceed a year"),
        (lambda d: d.update(grace_days=-1), "grace_days"),
        (lambda d: d.update(escalate_after_days="soon"), "escalate_after_days"),
        (lambda d: d["removal_rules"]["zero_score"].update(below=0), "below"),
        (lambda d: d["removal_rules"]["zero_score"].update(requires_exit_evidence="yes"), "true or false"),
        (lambda d: d.update(victim_review_days=999), "victims and witnesses"),
        (lambda d: d.pop("removal_rules"), "removal_rules"),
    ],
)
def test_a_broken_schedule_is_refused_naming_the_problem(change, message, reference_data):
    definition = schedule_default()
    change(definition)
    with pytest.raises(ScheduleError, match=message):
        schedule_load(actor=SYSTEM, definition=definition)
    assert RetentionSchedule.objects.count() == 1


def test_a_new_version_becomes_active_and_is_logged(reference_data, central, officer_a):
    definition = schedule_default()
    definition["grace_days"] = 7
    with pytest.raises(PermissionDenied):
        schedule_load(actor=officer_a, definition=definition)
    loaded = schedule_load(actor=central, definition=definition)
    assert (loaded.version, schedule_active().definition["grace_days"]) == (2, 7)
    assert AuditEvent.objects.filter(verb="retention_schedule.loaded", object_ref="retention_schedule:2").exists()


def test_age_bands_of_the_equality_monitor():
    on = dt.date(2026, 6, 1)
    assert age_band(dt.date(2010, 6, 2), on) == "under16"
    assert age_band(dt.date(2010, 6, 1), on) == "16-17"
    assert age_band(dt.date(2008, 6, 1), on) == "18-24"
    assert age_band(dt.date(2001, 6, 2), on) == "18-24"
    assert age_band(dt.date(2001, 6, 1), on) == "25+"
    assert age_band(None, on) == ""


# -- each rule opens a review -------------------------------------------------------------------------


def test_a_listing_past_its_review_date_is_queued_and_its_spoc_told(officer_a, spoc_a, spoc_b):
    person = a_nominal(officer_a, spoc_a, band="red")
    Nomination.objects.filter(person=person).update(review_due=later(10))
    assert sweep(later(9)).opened_total == 0
    report = sweep(later(10))
    review = open_review(person)
    assert (review.trigger, review.band, review.due_on) == (Trigger.REVIEW_DUE, "red", later(10))
    assert report.opened == {Trigger.REVIEW_DUE: 1}
    notices = Notification.objects.filter(kind="review.queue")
    assert [n.recipient.username for n in notices] == ["spoc_a"]  # not the other BCU's SPOC
    assert "1 new review(s)" in notices[0].message
    assert "Example" not in notices[0].message
    assert AuditEvent.objects.filter(verb="review.opened", targets__icontains=str(person.pk)).count() == 1


def test_a_listing_without_a_review_date_falls_due_by_its_bands_interval(officer_a, spoc_a):
    person = a_nominal(officer_a, spoc_a, band="amber")
    Nomination.objects.filter(person=person).update(review_due=None)
    interval = schedule_active().definition["review_interval_days"]["amber"]
    # keep recent attention so the no-attention rule does not fire first
    then = later(interval - 1)
    with time_machine.travel(dt.datetime.combine(then, dt.time(12)), tick=False):
        an_item(officer_a, person, source_reference="CAD 3", occurred_on=then)
    assert sweep(later(interval - 1)).opened_total == 0
    sweep(later(interval))
    assert open_review(person).trigger == Trigger.REVIEW_DUE


def test_zero_score_with_evidence_of_exit_triggers_the_removal_rule(officer_a, spoc_a):
    person = a_nominal(officer_a, spoc_a)
    Nomination.objects.filter(person=person).update(review_due=later(300))
    HarmScore.objects.filter(person=person, is_current=True).update(total=0)
    assert sweep(timezone.localdate()).opened_total == 0  # score 0 but no evidence of exit
    an_item(officer_a, person, source_reference="YOT 9", criterion="gang_exit", summary="Left the group; in work")
    HarmScore.objects.filter(person=person, is_current=True).update(total="0.5")
    sweep(timezone.localdate())
    assert open_review(person).trigger == Trigger.ZERO_SCORE
    assert Person.objects.filter(pk=person.pk).exists()  # queued, never removed by the sweep


def test_evidence_of_exit_never_scores(officer_a, spoc_a):
    person = a_person(officer_a)
    an_item(officer_a, person, criterion="gang_exit", summary="Completed the exit programme")
    assert HarmScore.objects.get(person=person, is_current=True).total == 0


def test_six_months_without_gang_related_attention_triggers_removal_review(officer_a, spoc_a):
    person = a_nominal(officer_a, spoc_a, occurred_on=timezone.localdate() - dt.timedelta(days=30))
    Nomination.objects.filter(person=person).update(review_due=later(400))
    # Victimisation and exit records are not gang-related police attention.
    then = later(100)
    with time_machine.travel(dt.datetime.combine(then, dt.time(12)), tick=False):
        an_item(
            officer_a,
            person,
            source_reference="V1",
            category="victim",
            criterion="victimisation",
            occurred_on=then,
        )
        an_item(officer_a, person, source_reference="Y1", criterion="gang_exit", occurred_on=then)
    # counted from the listing (today), which was itself attention
    assert sweep(later(182)).opened_total == 0
    sweep(later(183))
    assert open_review(person).trigger == Trigger.NO_ATTENTION


def test_victims_and_witnesses_have_their_own_shorter_schedule(officer_a):
    victim = a_person(officer_a, full_name="Vic Tim")
    an_item(officer_a, victim, category="victim", criterion="victimisation", summary="Robbed at knifepoint")
    unlisted = a_person(officer_a, full_name="Una Listed")
    an_item(officer_a, unlisted)
    definition = schedule_active().definition
    sweep(later(definition["victim_review_days"]))
    assert open_review(victim).trigger == Trigger.VICTIM_SCHEDULE
    assert not Review.objects.filter(person=unlisted).exists()
    sweep(later(definition["unlisted_review_days"]))
    assert open_review(unlisted).trigger == Trigger.NOT_LISTED


def test_a_proposal_left_undecided_is_queued(officer_a, spoc_a):
    from custos.register.services import nomination_propose

    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1")
    an_item(officer_a, person, source_reference="CAD 2", source_type="partner_agency")
    nomination_propose(actor=officer_a, person=person, reasons="Corroborated by two independent sources.")
    sweep(later(schedule_active().definition["proposed_max_days"]))
    assert open_review(person).trigger == Trigger.PROPOSAL_STALE


# -- re-running, dry runs, escalation, restriction --------------------------------------------------


def test_rerunning_opens_no_second_review_and_a_dry_run_changes_nothing(officer_a, spoc_a):
    person = a_nominal(officer_a, spoc_a)
    Nomination.objects.filter(person=person).update(review_due=later(5))
    events, notices = AuditEvent.objects.count(), Notification.objects.count()
    dry = sweep(later(5), dry_run=True)
    assert dry.opened == {Trigger.REVIEW_DUE: 1}
    assert not Review.objects.exists()
    assert (AuditEvent.objects.count(), Notification.objects.count()) == (events, notices)
    sweep(later(5))
    again = sweep(later(6))
    assert again.opened_total == 0
    assert Review.objects.filter(person=person).count() == 1
    assert AuditEvent.objects.filter(verb="retention.swept").count() == 2


def test_a_review_overdue_beyond_the_hard_limit_escalates_once_to_central_governance(officer_a, spoc_a, central):
    person = a_nominal(officer_a, spoc_a)
    Nomination.objects.filter(person=person).update(review_due=later(1))
    sweep(later(1))
    limit = schedule_active().definition["escalate_after_days"]
    assert sweep(later(1 + limit)).escalated == 0
    report = sweep(later(2 + limit))
    assert report.escalated == 1
    assert open_review(person).escalated_at is not None
    notice = Notification.objects.get(kind="review.escalated")
    assert notice.recipient == central
    assert sweep(later(3 + limit)).escalated == 0
    assert AuditEvent.objects.filter(verb="review.escalated").count() == 1


def test_restricted_people_are_frozen_and_never_queued(officer_a, spoc_a, dpo):
    from custos.retention.services import person_restrict

    person = a_nominal(officer_a, spoc_a)
    Nomination.objects.filter(person=person).update(review_due=later(1))
    person_restrict(actor=dpo, person=person, ground="evidence", reasons="Exhibit in a live prosecution.")
    assert sweep(later(400)).opened_total == 0
    found, _ = candidates_find(schedule_active().definition, today=later(400))
    assert person.pk not in {c.person_id for c in found}


def test_opening_a_review_by_hand(officer_a, spoc_a, spoc_b):
    person = a_nominal(officer_a, spoc_a)
    with pytest.raises(PermissionDenied):
        review_open(actor=officer_a, person=person)
    with pytest.raises(PermissionDenied):
        review_open(actor=spoc_b, person=person)
    review = review_open(actor=spoc_a, person=person)
    assert review.trigger == Trigger.MANUAL
    with pytest.raises(RuleBroken, match="already has an open review"):
        review_open(actor=spoc_a, person=person)
    with pytest.raises(ValidationError):
        review_open(actor=spoc_a, person=a_nominal(officer_a, spoc_a, name="Other"), trigger=Trigger.ZERO_SCORE)
