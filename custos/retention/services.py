"""Reviews, the retention sweep, erasure and restriction.

Nothing here removes anyone on its own (DPA 2018 s.50A-50D): the sweep opens
reviews and tells people; a named person decides each review with reasons;
a decision to remove is carried out, as erasure, when its grace period ends.

Erasure (``people_erase``): in one transaction per batch, a tombstone with no
personal data is written, the erasure ledger line is fsync'd (ADR 10), the
``person.erased`` event is recorded, the data key is shredded and every row
about the person is deleted. If any step fails nothing happens. On SQLite
the WAL is then checkpointed and truncated (with ``secure_delete`` on, the
freed pages are zeroed), so no copy of the ciphertext or the wrapped key is
left in the database file or its WAL.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.accounts.services import notify
from custos.audit.models import Verb
from custos.audit.services import Actor, EventSpec, event_record, events_record
from custos.crypto.envelope import preload, shred_many
from custos.register.models import (
    BCU,
    NON_HARM_CRITERIA,
    OFFENDER_CATEGORIES,
    Criterion,
    HarmScore,
    IntelligenceItem,
    Nomination,
    Person,
)
from custos.register.services import RuleBroken
from custos.register.signals import person_erasing
from custos.retention import ledger, policies
from custos.retention.models import (
    Decision,
    RemovalTally,
    Restriction,
    RetentionSchedule,
    Review,
    Tombstone,
    Trigger,
)
from custos.retention.schedule import (
    age_band,
    next_review_default,
    review_interval,
    schedule_default,
    schedule_validate,
)

log = logging.getLogger(__name__)

MIN_REASONS = 10
MAX_KEEP_DAYS = 366


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _reasons(text: str, field_name: str = "reasons") -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASONS:
        raise ValidationError({field_name: f"Give reasons (at least {MIN_REASONS} characters)."})
    return text


# --- The schedule --------------------------------------------------------------------------------


def schedule_active() -> RetentionSchedule:
    schedule = RetentionSchedule.objects.filter(is_active=True).order_by("-version").first()
    if schedule is None:
        raise RuleBroken("No retention schedule is loaded: run 'custos init'.")
    return schedule


def schedule_load(*, actor: User | Actor, definition: Mapping[str, Any], name: str = "") -> RetentionSchedule:
    """Load a new version of the retention schedule; it becomes the active one.

    Refused (``ScheduleError``) if the definition is unusable. Records
    ``retention_schedule.loaded``.
    """
    if isinstance(actor, User):
        _require(policies.may_load_schedule(actor), "Only central governance may load a retention schedule.")
    schedule_validate(definition)
    with transaction.atomic():
        last = RetentionSchedule.objects.select_for_update().order_by("-version").first()
        version = (last.version + 1) if last else 1
        schedule = RetentionSchedule.objects.create(
            version=version,
            name=(name or str(definition.get("name", "")) or f"Schedule v{version}")[:120],
            definition=dict(definition),
            created_by=actor if isinstance(actor, User) else None,
        )
        event_record(
            actor=actor,
            verb=Verb.RETENTION_SCHEDULE_LOADED,
            object_type="retention_schedule",
            object_ref=f"retention_schedule:{version}",
            detail={"version": version},
        )
    return schedule


def schedule_ensure_default(*, actor: User | Actor) -> RetentionSchedule:
    """Load the shipped default schedule if none is loaded (used by ``custos init``)."""
    existing = RetentionSchedule.objects.filter(is_active=True).order_by("-version").first()
    if existing is not None:
        return existing
    return schedule_load(actor=actor, definition=schedule_default())


# --- Opening reviews -----------------------------------------------------------------------------


@dataclass
class Candidate:
    person_id: uuid.UUID
    data_key_id: uuid.UUID
    bcu_id: int
    trigger: str
    due_on: dt.date
    nomination_id: uuid.UUID | None = None
    band: str = ""


@dataclass
class SweepReport:
    today: dt.date
    dry_run: bool
    schedule_version: int
    people_checked: int = 0
    opened: Counter[str] = field(default_factory=Counter)
    opened_by_bcu: Counter[str] = field(default_factory=Counter)
    escalated: int = 0
    erased: int = 0
    overdue: int = 0

    @property
    def opened_total(self) -> int:
        return sum(self.opened.values())

    def as_detail(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "schedule": self.schedule_version,
            "people_checked": self.people_checked,
            "opened": dict(self.opened),
            "escalated": self.escalated,
            "erased": self.erased,
            "overdue": self.overdue,
        }


def _date(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def candidates_find(
    definition: Mapping[str, Any], *, today: dt.date, progress: Callable[[int], None] | None = None
) -> tuple[list[Candidate], int]:
    """Everyone the schedule says is due a review today and has none open. Reads no personal data.

    Returns the candidates and how many people were checked. Restricted
    people are frozen (s.47) and people awaiting erasure are already decided,
    so neither is a candidate.
    """
    rules = definition["removal_rules"]
    busy = set(
        Review.objects.filter(status__in=[Review.Status.OPEN, Review.Status.REMOVAL_SCHEDULED]).values_list(
            "person_id", flat=True
        )
    )
    kept_until: dict[uuid.UUID, dt.date] = {
        row["person_id"]: row["until"]
        for row in Review.objects.filter(status=Review.Status.KEPT, person__isnull=False)
        .values("person_id")
        .annotate(until=Max("next_review_on"))
    }
    scores = dict(HarmScore.objects.filter(is_current=True).values_list("person_id", "total"))
    attention = dict(
        IntelligenceItem.objects.filter(category__in=OFFENDER_CATEGORIES)
        .exclude(criterion__in=NON_HARM_CRITERIA)
        .values("person_id")
        .annotate(last=Max("occurred_on"))
        .values_list("person_id", "last")
    )
    offenders = set(
        IntelligenceItem.objects.filter(category__in=OFFENDER_CATEGORIES).values_list("person_id", flat=True)
    )
    exits = set(IntelligenceItem.objects.filter(criterion=Criterion.GANG_EXIT).values_list("person_id", flat=True))
    last_record = dict(
        IntelligenceItem.objects.values("person_id").annotate(last=Max("created_at")).values_list("person_id", "last")
    )
    nominations = {
        row["person_id"]: row
        for row in Nomination.objects.filter(status__in=Nomination.OPEN_STATUSES).values(
            "id", "person_id", "status", "band", "review_due", "activated_at", "proposed_at"
        )
    }
    no_attention_since = today - dt.timedelta(days=rules["no_attention_days"])
    below = rules["zero_score"]["below"]
    needs_exit = rules["zero_score"]["requires_exit_evidence"]
    found: list[Candidate] = []
    checked = 0
    people = Person.objects.filter(restricted_at__isnull=True).values_list("id", "data_key_id", "bcu_id", "created_at")
    for person_id, data_key_id, bcu_id, created_at in people.iterator(chunk_size=5000):
        checked += 1
        if progress and checked % 5000 == 0:
            progress(5000)
        if person_id in busy:
            continue
        until = kept_until.get(person_id)
        if until is not None and until > today:
            continue
        candidate = Candidate(person_id, data_key_id, bcu_id, "", today)
        nomination = nominations.get(person_id)
        if nomination is not None:
            candidate.nomination_id = nomination["id"]
            candidate.band = nomination["band"] or ""
            if nomination["status"] == Nomination.Status.PROPOSED:
                proposed_on = _date(nomination["proposed_at"]) or today
                due = proposed_on + dt.timedelta(days=definition["proposed_max_days"])
                if due <= today:
                    candidate.trigger, candidate.due_on = Trigger.PROPOSAL_STALE, due
            else:
                total = scores.get(person_id)
                last = attention.get(person_id)
                listed_on = _date(nomination["activated_at"]) or _date(nomination["proposed_at"]) or today
                due = nomination["review_due"] or listed_on + dt.timedelta(
                    days=review_interval(definition, candidate.band)
                )
                if until is not None:
                    due = min(due, until)
                if total is not None and total < below and (person_id in exits or not needs_exit):
                    candidate.trigger = Trigger.ZERO_SCORE
                elif (last is None or last <= no_attention_since) and listed_on <= no_attention_since:
                    candidate.trigger = Trigger.NO_ATTENTION
                elif due <= today:
                    candidate.trigger, candidate.due_on = Trigger.REVIEW_DUE, due
        else:
            recorded = max(filter(None, [_date(created_at), _date(last_record.get(person_id))]))
            if person_id in offenders:
                due = recorded + dt.timedelta(days=definition["unlisted_review_days"])
                trigger = Trigger.NOT_LISTED
            else:
                due = recorded + dt.timedelta(days=definition["victim_review_days"])
                trigger = Trigger.VICTIM_SCHEDULE
            if until is not None:
                due = until
            if due <= today:
                candidate.trigger, candidate.due_on = trigger, due
        if candidate.trigger:
            if candidate.trigger not in (Trigger.REVIEW_DUE, Trigger.PROPOSAL_STALE):
                candidate.due_on = today + dt.timedelta(days=definition["review_due_days"])
            found.append(candidate)
    if progress and checked % 5000:
        progress(checked % 5000)
    return found, checked


def _reviews_open(
    *, actor: User | Actor, candidates: Sequence[Candidate], schedule_version: int | None, batch_size: int = 1000
) -> list[Review]:
    made: list[Review] = []
    for start in range(0, len(candidates), batch_size):
        batch = candidates[start : start + batch_size]
        with transaction.atomic():
            reviews = Review.objects.bulk_create(
                [
                    Review(
                        data_key_id=c.data_key_id,
                        person_id=c.person_id,
                        person_ref=f"person:{c.person_id}",
                        bcu_id=c.bcu_id,
                        nomination_id=c.nomination_id,
                        trigger=c.trigger,
                        band=c.band,
                        schedule_version=schedule_version,
                        due_on=c.due_on,
                        opened_by=actor if isinstance(actor, User) else None,
                    )
                    for c in batch
                ]
            )
            events_record(
                actor=actor,
                specs=[
                    EventSpec(
                        verb=Verb.REVIEW_OPENED,
                        object_type="review",
                        object_ref=review.ref,
                        targets=[review.person_ref],
                        detail={"trigger": review.trigger, "due_on": review.due_on.isoformat()},
                    )
                    for review in reviews
                ],
            )
        made.extend(reviews)
    return made


def review_open(
    *,
    actor: User | Actor,
    person: Person,
    trigger: str = Trigger.MANUAL,
    due_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Review:
    """Open a review of one person by hand or for a data-subject request; refuses a second open one."""
    if isinstance(actor, User):
        _require(policies.may_open_review(actor, person.bcu.code), "You may not open reviews in this BCU.")
    if trigger not in (Trigger.MANUAL, Trigger.SUBJECT_REQUEST):
        raise ValidationError({"trigger": "Only a manual or subject-request review can be opened by hand."})
    if Review.objects.filter(person=person, status=Review.Status.OPEN).exists():
        raise RuleBroken("This person already has an open review.")
    if Review.objects.filter(person=person, status=Review.Status.REMOVAL_SCHEDULED).exists():
        raise RuleBroken("This person is already due to be erased.")
    today = today or timezone.localdate()
    definition = schedule_active().definition
    nomination = Nomination.objects.filter(person=person, status__in=Nomination.OPEN_STATUSES).first()
    candidate = Candidate(
        person_id=person.pk,
        data_key_id=person.data_key_id,
        bcu_id=person.bcu_id,
        trigger=trigger,
        due_on=due_on or today + dt.timedelta(days=definition["review_due_days"]),
        nomination_id=nomination.pk if nomination else None,
        band=nomination.band if nomination else "",
    )
    with transaction.atomic():
        review = _reviews_open(actor=actor, candidates=[candidate], schedule_version=schedule_active().version)[0]
    notify(
        actor=actor,
        role=Role.BCU_SPOC,
        bcu_code=person.bcu.code,
        kind="review.opened",
        message=f"A review ({review.short_ref}) was opened in your BCU's queue.",
        link=f"/reviews/{review.pk}/",
    )
    return review


def _escalate(*, actor: User | Actor, today: dt.date, limit_days: int, dry_run: bool) -> int:
    overdue = Review.objects.filter(
        status=Review.Status.OPEN,
        escalated_at__isnull=True,
        due_on__lt=today - dt.timedelta(days=limit_days),
    )
    if dry_run:
        return overdue.count()
    reviews = list(overdue.only("id", "person_ref", "due_on"))
    if not reviews:
        return 0
    now = timezone.now()
    for start in range(0, len(reviews), 1000):
        batch = reviews[start : start + 1000]
        with transaction.atomic():
            Review.objects.filter(pk__in=[r.pk for r in batch]).update(escalated_at=now)
            events_record(
                actor=actor,
                specs=[
                    EventSpec(
                        verb=Verb.REVIEW_ESCALATED,
                        object_type="review",
                        object_ref=r.ref,
                        targets=[r.person_ref],
                        detail={"due_on": r.due_on.isoformat(), "limit_days": limit_days},
                    )
                    for r in batch
                ],
            )
    notify(
        actor=actor,
        role=Role.CENTRAL_GOVERNANCE,
        kind="review.escalated",
        message=f"{len(reviews)} review(s) are more than {limit_days} days overdue and were escalated to you.",
        link="/reviews/overdue/",
    )
    return len(reviews)


def retention_sweep(
    *,
    actor: User | Actor,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepReport:
    """Carry out due erasures already decided, open the reviews the schedule calls for, escalate.

    Safe to re-run: a person with an open review gets no second one, an
    escalated review is not escalated again. ``dry_run`` changes nothing and
    records nothing; it reports what a real run would do.
    """
    today = today or timezone.localdate()
    schedule = schedule_active()
    definition = schedule.definition
    report = SweepReport(today=today, dry_run=dry_run, schedule_version=schedule.version)
    due = Review.objects.filter(
        status=Review.Status.REMOVAL_SCHEDULED,
        erasure_due_at__lte=timezone.make_aware(dt.datetime.combine(today, dt.time.max)),
        person__isnull=False,
    )
    if dry_run:
        report.erased = due.count()
    else:
        report.erased = len(erasures_due_execute(actor=actor, today=today))
    candidates, report.people_checked = candidates_find(definition, today=today, progress=progress)
    bcu_codes = dict(BCU.objects.values_list("id", "code"))
    for candidate in candidates:
        report.opened[candidate.trigger] += 1
        report.opened_by_bcu[bcu_codes[candidate.bcu_id]] += 1
    if not dry_run:
        _reviews_open(actor=actor, candidates=candidates, schedule_version=schedule.version)
    report.escalated = _escalate(
        actor=actor, today=today, limit_days=definition["escalate_after_days"], dry_run=dry_run
    )
    report.overdue = Review.objects.filter(status=Review.Status.OPEN, due_on__lt=today).count()
    if dry_run:
        return report
    for bcu_code, count in sorted(report.opened_by_bcu.items()):
        overdue = Review.objects.filter(status=Review.Status.OPEN, due_on__lt=today, bcu__code=bcu_code).count()
        notify(
            actor=actor,
            role=Role.BCU_SPOC,
            bcu_code=bcu_code,
            kind="review.queue",
            message=f"{count} new review(s) in your BCU's queue; {overdue} overdue.",
            link=f"/reviews/?bcu={bcu_code}",
        )
    with transaction.atomic():
        event_record(
            actor=actor,
            verb=Verb.RETENTION_SWEPT,
            object_type="retention_schedule",
            object_ref=f"retention_schedule:{schedule.version}",
            detail=report.as_detail(),
        )
    return report


# --- Deciding reviews ----------------------------------------------------------------------------


def _decidable(actor: User, review: Review) -> Person:
    _require(policies.may_decide_review(actor, review.bcu.code), "You may not decide reviews in this BCU.")
    if review.status != Review.Status.OPEN:
        raise RuleBroken("This review has already been decided.")
    if review.person is None:
        raise RuleBroken("The person under review has been erased.")
    return review.person


def review_decide(
    *,
    actor: User,
    review: Review,
    decision: str,
    reasons: str,
    next_review_on: dt.date | None = None,
    restriction_ground: str = "",
    restriction_roles: Sequence[str] = (),
    today: dt.date | None = None,
) -> Review:
    """A named person's decision on a review, with reasons.

    keep: the person stays; ``next_review_on`` (default: the band's
    interval) becomes the listing's review date, at most a year ahead.
    remove: an open nomination is removed from the matrix at once; erasure
    follows when the schedule's grace period ends (``retention_sweep``).
    restrict: processing is restricted instead (s.47), see ``person_restrict``.
    Records ``review.decided``.
    """
    person = _decidable(actor, review)
    today = today or timezone.localdate()
    if decision not in Decision.values:
        raise ValidationError({"decision": "Choose keep, remove or restrict."})
    reasons = _reasons(reasons)
    definition = schedule_active().definition
    nomination = Nomination.objects.filter(person=person, status__in=Nomination.OPEN_STATUSES).first()
    detail: dict[str, Any] = {"decision": decision, "trigger": review.trigger}
    # Check everything before anything changes, in the database or on ``review``.
    if decision == Decision.KEEP:
        band = nomination.band if nomination else ""
        next_review_on = next_review_on or next_review_default(definition, band, today)
        if next_review_on <= today:
            raise ValidationError({"next_review_on": "The next review must be after today."})
        if next_review_on > today + dt.timedelta(days=MAX_KEEP_DAYS):
            raise ValidationError({"next_review_on": "The next review must be within a year."})
    elif decision == Decision.RESTRICT:
        if restriction_ground not in Restriction.Ground.values:
            raise ValidationError({"ground": "Choose why processing is restricted."})
        _roles_clean(restriction_roles)
    with transaction.atomic():
        if decision == Decision.RESTRICT:
            restriction = _restrict(
                actor=actor, person=person, ground=restriction_ground, reasons=reasons, roles=restriction_roles
            )
            detail["restriction"] = restriction.ref
        review.decision = decision
        review.reasons = reasons
        review.decided_at = timezone.now()
        review.decided_by = actor
        if decision == Decision.KEEP:
            assert next_review_on is not None
            review.next_review_on = next_review_on
            review.status = Review.Status.KEPT
            review.closed_at = review.decided_at
            if nomination is not None:
                nomination.review_due = next_review_on
                nomination.save(update_fields=["review_due"])
            detail["next_review_on"] = next_review_on.isoformat()
        elif decision == Decision.REMOVE:
            review.status = Review.Status.REMOVAL_SCHEDULED
            review.erasure_due_at = review.decided_at + dt.timedelta(days=definition["grace_days"])
            if nomination is not None:
                nomination.status = Nomination.Status.REMOVED
                nomination.save(update_fields=["status"])
                detail["nomination_removed"] = nomination.ref
            detail["erasure_due_at"] = review.erasure_due_at.isoformat()
        else:
            review.status = Review.Status.RESTRICTED
            review.closed_at = review.decided_at
        review.save()
        event_record(
            actor=actor,
            verb=Verb.REVIEW_DECIDED,
            object_type="review",
            object_ref=review.ref,
            targets=[review.person_ref],
            detail=detail,
        )
    return review


def removal_cancel(*, actor: User, review: Review, reasons: str) -> Review:
    """Stop a scheduled erasure during its grace period (the listing stays removed)."""
    _require(policies.may_decide_review(actor, review.bcu.code), "You may not decide reviews in this BCU.")
    if review.status != Review.Status.REMOVAL_SCHEDULED:
        raise RuleBroken("Only a scheduled erasure can be cancelled.")
    reasons = _reasons(reasons)
    with transaction.atomic():
        review.status = Review.Status.CANCELLED
        review.closed_at = timezone.now()
        review.save(update_fields=["status", "closed_at"])
        event_record(
            actor=actor,
            verb=Verb.REMOVAL_CANCELLED,
            object_type="review",
            object_ref=review.ref,
            targets=[review.person_ref],
            detail={"reasons_length": len(reasons)},
        )
    return review


# --- Restriction ---------------------------------------------------------------------------------


def _roles_clean(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles or policies.DEFAULT_RESTRICTION_ROLES))
    allowed = {str(role) for role in policies.RESTRICTION_ROLES}
    bad = [role for role in chosen if role not in allowed]
    if bad:
        raise ValidationError({"roles": "Only the DPO, the Information Rights Unit, central governance or SPOCs."})
    return chosen


def _restrict(*, actor: User, person: Person, ground: str, reasons: str, roles: Sequence[str]) -> Restriction:
    if ground not in Restriction.Ground.values:
        raise ValidationError({"ground": "Choose why processing is restricted."})
    if person.restricted_at is not None:
        raise RuleBroken("This person's processing is already restricted.")
    chosen = _roles_clean(roles)
    restriction = Restriction.objects.create(
        data_key_id=person.data_key_id,
        person=person,
        ground=ground,
        reasons=_reasons(reasons),
        roles=chosen,
        created_by=actor,
    )
    Person.objects.filter(pk=person.pk).update(
        restricted_at=restriction.created_at, restricted_to=f",{','.join(chosen)},"
    )
    person.restricted_at = restriction.created_at
    person.restricted_to = f",{','.join(chosen)},"
    event_record(
        actor=actor,
        verb=Verb.PERSON_RESTRICTED,
        object_type="restriction",
        object_ref=restriction.ref,
        targets=[person.ref],
        detail={"ground": ground, "roles": chosen},
    )
    return restriction


def person_restrict(
    *, actor: User, person: Person, ground: str, reasons: str, roles: Sequence[str] = ()
) -> Restriction:
    """Restrict processing (s.47): the person is hidden from every role not named, and frozen.

    Used where accuracy is contested and cannot be resolved, or the data
    must be kept as evidence, instead of erasure. Records ``person.restricted``.
    """
    _require(policies.may_restrict(actor, person.bcu.code), "You may not restrict processing.")
    with transaction.atomic():
        return _restrict(actor=actor, person=person, ground=ground, reasons=reasons, roles=roles)


def restriction_lift(*, actor: User, restriction: Restriction, reasons: str) -> Restriction:
    """Lift a restriction: the person is visible and may change again. Records ``person.unrestricted``."""
    _require(policies.may_lift_restriction(actor), "Only the DPO or central governance may lift a restriction.")
    if restriction.lifted_at is not None:
        raise RuleBroken("This restriction has already been lifted.")
    reasons = _reasons(reasons)
    with transaction.atomic():
        restriction.lifted_at = timezone.now()
        restriction.lifted_by = actor
        restriction.lift_reasons = reasons
        restriction.save(update_fields=["lifted_at", "lifted_by", "lift_reasons"])
        Person.objects.filter(pk=restriction.person_id).update(restricted_at=None, restricted_to="")
        event_record(
            actor=actor,
            verb=Verb.PERSON_UNRESTRICTED,
            object_type="restriction",
            object_ref=restriction.ref,
            targets=[f"person:{restriction.person_id}"],
            detail={"ground": restriction.ground},
        )
    return restriction


# --- Erasure -------------------------------------------------------------------------------------


def _actor_name(actor: User | Actor) -> str:
    return str(getattr(actor, "username", "") or actor)


def _tally_key(person: Person, band: str, on: dt.date) -> tuple[str, ...]:
    def safe(getter: Callable[[], Any]) -> str:
        try:
            value = getter()
        except Exception:  # noqa: BLE001 - an unreadable value is counted as unknown, never fatal
            return ""
        return str(value or "")

    dob = None
    try:
        dob = person.date_of_birth
    except Exception:  # noqa: BLE001
        dob = None
    return (
        on.strftime("%Y-%m"),
        person.bcu.code,
        band,
        age_band(dob, on),
        safe(lambda: person.observed_ethnicity),
        safe(lambda: person.self_defined_ethnicity),
        safe(lambda: person.gender),
    )


def _tally_add(counts: Counter[tuple[str, ...]]) -> None:
    fields = ("month", "bcu_code", "band", "age_band", "observed_ethnicity", "self_defined_ethnicity", "gender")
    for key, count in counts.items():
        values = dict(zip(fields, key, strict=True))
        updated = RemovalTally.objects.filter(**values).update(count=F("count") + count)
        if not updated:
            RemovalTally.objects.create(count=count, **values)


# One past the newest finished transaction: every erasure committed so far is older.
_NEXT_XID = "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
# The oldest transaction still running anywhere on the server, in any database (seen by every role).
_OLDEST_RUNNING_XID = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
# The sessions that may hold the horizon back, as far as this role may see them (pg_read_all_stats sees all).
_SESSIONS = """
    SELECT pid, backend_xid::text::bigint, backend_xmin::text::bigint,
           coalesce(datname = current_database(), true)
      FROM pg_stat_activity
     WHERE pid <> pg_backend_pid() AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)
"""
_SLOT_XMINS = "SELECT xmin::text::bigint FROM pg_replication_slots WHERE xmin IS NOT NULL"
#: Stands for what holds the horizon back but has no session this role can see (another role's, a slot).
UNSEEN = -1


def _precedes(xid32: int, xid: int) -> bool:
    """PostgreSQL's ``TransactionIdPrecedes`` for a 32-bit xid (as ``pg_stat_activity`` shows it) and a full one."""
    return (xid32 - xid) & 0xFFFFFFFF >= 0x80000000


def _in_the_way(cursor: Any, horizon: int) -> set[int]:
    """The sessions (pids, or ``UNSEEN``) in whose presence ``VACUUM FULL`` of this database would keep a row
    deleted before ``horizon`` (a transaction id) "recently dead", copying it into the new table file.

    Two kinds: a transaction begun before it and still running in **any** database of the server (VACUUM's own
    snapshot counts it as running, so what was deleted after it began is kept), and a snapshot of **this**
    database older than it (a report, a backup, autovacuum's ANALYZE; a standby's feedback, shown with no
    database; a replication slot).
    """
    cursor.execute("SELECT pg_stat_clear_snapshot()")  # activity is otherwise read once per transaction
    cursor.execute(_SESSIONS)
    found = set()
    for pid, xid, xmin, here in cursor.fetchall():
        if (xid is not None and _precedes(xid, horizon)) or (here and xmin is not None and _precedes(xmin, horizon)):
            found.add(pid)
    cursor.execute(_SLOT_XMINS)
    if any(_precedes(xmin, horizon) for (xmin,) in cursor.fetchall()):
        found.add(UNSEEN)
    if not found:
        cursor.execute(_OLDEST_RUNNING_XID)
        if cursor.fetchone()[0] < horizon:
            found.add(UNSEEN)
    return found


def _older_transactions_end(cursor: Any, horizon: int) -> bool:
    """Wait until nothing older than ``horizon`` (a transaction id) holds a row it deleted in the files (at most
    ``CUSTOS_ERASURE_COMPACT_WAIT_SECONDS``; see ``_in_the_way``); True when nothing does.

    A long report, a backup, an idle-in-transaction session elsewhere on the server: each would carry the shredded
    key's old version into the new file. Sessions of other roles are seen only with ``pg_read_all_stats``
    (docs/deployment.md); without it, their running transactions are still waited for, unnamed.
    """
    deadline = time.monotonic() + settings.CUSTOS_ERASURE_COMPACT_WAIT_SECONDS
    while _in_the_way(cursor, horizon):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def compact_after_erasure() -> bool:
    """Leave no old copy in the database files: on SQLite, checkpoint and truncate the WAL.

    On PostgreSQL the shredded key's old row version is vacuumed from the key
    table (see ADR 10), once no older transaction could still see it; dead rows
    elsewhere hold only ciphertext under a destroyed key. False when an older
    transaction outlived the wait, so that old version may remain until the
    next compaction.
    """
    if connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return True
        if connection.vendor != "postgresql":
            return False
        cursor.execute(_NEXT_XID)
        horizon = cursor.fetchone()[0]
        clean = _older_transactions_end(cursor, horizon)
        if not clean:
            log.warning(
                "erasure: a transaction older than the erasure outlived the %.0f s wait; the shredded keys' old "
                "row versions may stay in the key table's file until the next VACUUM FULL crypto_datakey",
                settings.CUSTOS_ERASURE_COMPACT_WAIT_SECONDS,
            )
        cursor.execute("VACUUM FULL crypto_datakey")
        return clean


def people_erase(
    *,
    actor: User | Actor,
    people: Sequence[Person],
    reason: str,
    reviews: Mapping[uuid.UUID, Review] | None = None,
    trigger: str = "",
    progress: Callable[[int], None] | None = None,
    batch_size: int = 500,
    compact: bool = True,
) -> list[Tombstone]:
    """Erase people: tombstone, ledger, event, shred, delete. One transaction per batch.

    Authorisation is the caller's: a review decided by a named person, a
    data-subject request granted, or the ledger being re-applied.
    """
    if reason not in Tombstone.Reason.values:
        raise ValueError("unknown erasure reason")
    reviews = reviews or {}
    tombstones: list[Tombstone] = []
    for start in range(0, len(people), batch_size):
        batch = list(people[start : start + batch_size])
        with transaction.atomic():
            ids = [p.pk for p in batch]
            live = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).select_related("bcu")}
            batch = [live[pid] for pid in ids if pid in live]
            if not batch:
                continue
            preload([p.data_key_id for p in batch])
            now = timezone.now()
            today = timezone.localdate(now)
            categories: dict[uuid.UUID, set[str]] = {p.pk: set() for p in batch}
            for pid, category in IntelligenceItem.objects.filter(person_id__in=ids).values_list(
                "person_id", "category"
            ):
                categories[pid].add(category)
            listed: dict[uuid.UUID, str] = {}
            for pid, status, band in Nomination.objects.filter(person_id__in=ids).values_list(
                "person_id", "status", "band"
            ):
                if status in (Nomination.Status.ACTIVE, Nomination.Status.UNDER_REVIEW, Nomination.Status.REMOVED):
                    listed[pid] = band or listed.get(pid, "")
            made = []
            entries = []
            tallies: Counter[tuple[str, ...]] = Counter()
            for person in batch:
                review = reviews.get(person.pk)
                tombstone = Tombstone(
                    person_ref=person.ref,
                    data_key_id=person.data_key_id,
                    bcu_code=person.bcu.code,
                    recorded_on=_date(person.created_at) or today,
                    erased_at=now,
                    reason=reason,
                    trigger=(review.trigger if review else trigger),
                    was_listed=person.pk in listed,
                    band=listed.get(person.pk, ""),
                    categories=sorted(categories[person.pk]),
                    review=review,
                    erased_by=_actor_name(actor),
                )
                made.append(tombstone)
                tallies[_tally_key(person, tombstone.band, today)] += 1
                entries.append(
                    ledger.LedgerEntry(
                        person_ref=tombstone.person_ref,
                        data_key_id=str(tombstone.data_key_id),
                        bcu_code=tombstone.bcu_code,
                        recorded_on=tombstone.recorded_on.isoformat(),
                        erased_at=now.isoformat(),
                        reason=reason,
                        trigger=tombstone.trigger,
                        was_listed=tombstone.was_listed,
                        band=tombstone.band,
                        categories=tombstone.categories,
                        erased_by=tombstone.erased_by,
                    )
                )
            Tombstone.objects.bulk_create(made)
            _tally_add(tallies)
            Review.objects.filter(person_id__in=ids).exclude(
                status__in=[Review.Status.KEPT, Review.Status.RESTRICTED, Review.Status.CANCELLED]
            ).update(status=Review.Status.ERASED, closed_at=now)
            events_record(
                actor=actor,
                specs=[
                    EventSpec(
                        verb=Verb.PERSON_ERASED,
                        object_type="tombstone",
                        object_ref=f"tombstone:{t.pk}",
                        targets=[t.person_ref],
                        detail={
                            "reason": reason,
                            "trigger": t.trigger,
                            "bcu": t.bcu_code,
                            "data_key": str(t.data_key_id),
                        },
                    )
                    for t in made
                ],
            )
            shred_many([p.data_key_id for p in batch])
            person_erasing.send(sender=Person, people=batch, erased_at=now)
            Person.objects.filter(pk__in=ids).delete()
            ledger.append(entries)  # last: if the ledger cannot be written, all of the above rolls back
        tombstones.extend(made)
        if progress:
            progress(len(batch))
    if compact and tombstones:
        compact_after_erasure()
    return tombstones


def _erasure_reason(review: Review) -> str:
    if review.trigger == Trigger.SUBJECT_REQUEST:
        return Tombstone.Reason.SUBJECT_REQUEST
    return Tombstone.Reason.REVIEW


def erasures_due_execute(
    *, actor: User | Actor, today: dt.date | None = None, progress: Callable[[int], None] | None = None
) -> list[Tombstone]:
    """Erase everyone whose removal was decided and whose grace period has ended."""
    today = today or timezone.localdate()
    reviews = list(
        Review.objects.filter(
            status=Review.Status.REMOVAL_SCHEDULED,
            erasure_due_at__lte=timezone.make_aware(dt.datetime.combine(today, dt.time.max)),
            person__isnull=False,
        ).select_related("person", "person__bcu")
    )
    by_person = {r.person_id: r for r in reviews if r.person_id is not None}
    people = [r.person for r in reviews if r.person is not None]
    reason_of = {
        r.person_id: (
            Tombstone.Reason.SUBJECT_REQUEST if r.trigger == Trigger.SUBJECT_REQUEST else Tombstone.Reason.REVIEW
        )
        for r in reviews
    }
    done: list[Tombstone] = []
    for reason in (Tombstone.Reason.REVIEW, Tombstone.Reason.SUBJECT_REQUEST):
        chosen = [p for p in people if reason_of[p.pk] == reason]
        if chosen:
            done.extend(people_erase(actor=actor, people=chosen, reason=reason, reviews=by_person, progress=progress))
    return done


def erase_now(*, actor: User, review: Review, reasons: str) -> Tombstone:
    """Carry out a scheduled erasure before its grace period ends (central governance only)."""
    _require(
        actor.role == Role.CENTRAL_GOVERNANCE and policies.may_decide_review(actor, review.bcu.code),
        "Only central governance may erase before the grace period ends.",
    )
    if review.status != Review.Status.REMOVAL_SCHEDULED or review.person is None:
        raise RuleBroken("Only a scheduled erasure can be carried out.")
    _reasons(reasons)
    return people_erase(
        actor=actor, people=[review.person], reason=_erasure_reason(review), reviews={review.person.pk: review}
    )[0]


def _chunks(items: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    """Slices small enough for an IN (...) list on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class LedgerReport:
    entries: int
    reapplied: list[str]


def ledger_reapply(*, actor: Actor | None = None) -> LedgerReport:
    """Erase again anyone the erasure ledger names who is back in the database (after a restore).

    Also shreds their data keys if the rows are already gone, and writes the
    tombstones the restored database lacks. Run before serving (custos.wsgi)
    and after ``custos restore``. Raises ``LedgerError`` if the ledger is broken.
    """
    actor = actor or Actor.system("erasure-ledger")
    entries = ledger.read()
    if not entries:
        return LedgerReport(entries=0, reapplied=[])
    from custos.crypto.models import DataKey

    person_ids = [uuid.UUID(e.person_ref.split(":", 1)[1]) for e in entries]
    back: list[Person] = []
    have_tombstone: set[str] = set()
    live_keys: set[uuid.UUID] = set()
    for ids in _chunks(person_ids):
        back.extend(Person.objects.filter(pk__in=ids))
    for refs in _chunks([e.person_ref for e in entries]):
        have_tombstone.update(Tombstone.objects.filter(person_ref__in=refs).values_list("person_ref", flat=True))
    for keys in _chunks([uuid.UUID(e.data_key_id) for e in entries]):
        live_keys.update(DataKey.objects.filter(pk__in=keys, wrapped__isnull=False).values_list("pk", flat=True))
    if not back and not live_keys and len(have_tombstone) == len({e.person_ref for e in entries}):
        return LedgerReport(entries=len(entries), reapplied=[])
    reapplied: list[str] = []
    with transaction.atomic():
        for batch in _chunks(back):
            batch_ids = [p.pk for p in batch]
            Review.objects.filter(person_id__in=batch_ids).update(status=Review.Status.ERASED)
            shred_many([p.data_key_id for p in batch])
            Person.objects.filter(pk__in=batch_ids).delete()
        for keys in _chunks(sorted(live_keys)):
            shred_many(keys)
        # One tombstone per person: a sweep killed after its ledger line was written but before its commit
        # erases the person again when resumed, so the ledger can name them twice; the last line is the one
        # that committed.
        missing = list({e.person_ref: e for e in entries if e.person_ref not in have_tombstone}.values())
        Tombstone.objects.bulk_create(
            [
                Tombstone(
                    person_ref=e.person_ref,
                    data_key_id=uuid.UUID(e.data_key_id),
                    bcu_code=e.bcu_code,
                    recorded_on=dt.date.fromisoformat(e.recorded_on),
                    erased_at=dt.datetime.fromisoformat(e.erased_at),
                    reason=e.reason,
                    trigger=e.trigger,
                    was_listed=e.was_listed,
                    band=e.band,
                    categories=e.categories,
                    erased_by=e.erased_by,
                )
                for e in missing
            ]
        )
        reapplied = sorted({f"person:{p.pk}" for p in back} | {e.person_ref for e in missing})
        events_record(
            actor=actor,
            specs=[
                EventSpec(
                    verb=Verb.ERASURE_REAPPLIED,
                    object_type="tombstone",
                    object_ref=ref,
                    targets=[ref],
                    detail={"source": "erasure ledger"},
                )
                for ref in reapplied
            ],
        )
    compact_after_erasure()
    if reapplied:
        log.warning("erasure ledger re-applied to %d record(s) restored from an older copy", len(reapplied))
    return LedgerReport(entries=len(entries), reapplied=reapplied)
