"""Reads of reviews, restrictions and the retention schedule, for the web pages.

Scope: a review is seen by the roles that review (``policies.may_view_reviews``:
a BCU's SPOC for that BCU, central governance and the DPO everywhere), and
only while its person is within the viewer's reach in the register
(``register.selectors.people_visible_to``, which also hides a restricted
person from every role the restriction does not name). A review out of
reach raises ``Http404``: nobody learns that it exists. A role that never
reviews is refused (403) before anything is looked up, saying why.

Logging: every read that hands personal data to a page records the
consultation (s.62) with the declared purpose and the BCU of the people it
names: ``review.listed`` for a page of the queue, ``review.consulted`` for
one review, ``people.listed`` for the restriction list and
``person.consulted`` for one restriction. The overdue dashboard and the
schedule page hold no personal data and log nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.audit.models import Verb
from custos.audit.services import consultation_record
from custos.crypto.envelope import preload
from custos.register import selectors as register_selectors
from custos.register.models import (
    NON_HARM_CRITERIA,
    OFFENDER_CATEGORIES,
    Band,
    Category,
    Criterion,
    HarmScore,
    IntelligenceItem,
    Nomination,
    Person,
    RagDecision,
)
from custos.retention import policies
from custos.retention.models import Restriction, RetentionSchedule, Review, Trigger
from custos.retention.schedule import review_interval
from custos.retention.services import MAX_KEEP_DAYS

REVIEW_PAGE_SIZE = 50

#: What the queue may be filtered by (GET parameter ``status``); codes only, never names.
QUEUE_STATUSES: dict[str, str] = {
    "open": "Open",
    "overdue": "Overdue",
    "escalated": "Escalated to central governance",
    "scheduled": "Erasure scheduled",
}


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _bcus_of(codes: Sequence[str]) -> dict[str, Any]:
    """The BCU of the people a consultation names (as ``custos.register.selectors`` records it)."""
    if not codes:
        return {}
    if len(set(codes)) == 1:
        return {"bcu": codes[0]}
    return {"target_bcus": list(codes)}


def _parse_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Http404 from exc


def _categories_of(person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    ids = list(person_ids)
    found: dict[uuid.UUID, list[str]] = {pid: [] for pid in ids}
    pairs = (
        IntelligenceItem.objects.filter(person_id__in=ids).order_by().values_list("person_id", "category").distinct()
    )
    for pid, category in pairs:
        found[pid].append(category)
    for categories in found.values():
        categories.sort(key=Category.values.index)
    return found


# --- Who may -----------------------------------------------------------------------------------------------------


def require_review_access(viewer: User) -> None:
    """Refuse (403) a user who may not see reviews, saying why (training first, then role)."""
    register_selectors.require_people_access(viewer)
    if not policies.may_view_reviews(viewer):
        raise PermissionDenied(
            "Reviews are for BCU single points of contact, central governance and the data protection officer."
        )


def require_restriction_access(viewer: User) -> None:
    """Refuse (403) a user who may not see or lift restrictions, saying why."""
    register_selectors.require_people_access(viewer)
    if not policies.may_lift_restriction(viewer):
        raise PermissionDenied("Only the data protection officer and central governance see and lift restrictions.")


def reviews_visible_to(*, viewer: User) -> QuerySet[Review]:
    """Reviews of people within the viewer's reach, in the BCUs the viewer reviews (logs nothing)."""
    if not policies.may_view_reviews(viewer):
        return Review.objects.none()
    qs = Review.objects.filter(person__in=register_selectors.people_visible_to(viewer=viewer))
    if viewer.is_bcu_scoped:
        qs = qs.filter(bcu__code=viewer.bcu_code)
    return qs


def overdue_days(review: Review, today: dt.date) -> int:
    """Whole days an open review is past its due date (0 if not overdue or not open)."""
    if review.status != Review.Status.OPEN:
        return 0
    return max(0, (today - review.due_on).days)


# --- The queue ---------------------------------------------------------------------------------------------------


@dataclass
class QueueFilters:
    bcu: str = ""
    status: str = ""
    trigger: str = ""

    def as_detail(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class QueueRow:
    review: Review
    person: Person
    categories: list[str]
    overdue_days: int


@dataclass
class QueuePage:
    page: Page[Review]
    rows: list[QueueRow]
    total: int
    counts: dict[str, int]
    today: dt.date


def _queue_counts(qs: QuerySet[Review], today: dt.date) -> dict[str, int]:
    open_ = Q(status=Review.Status.OPEN)
    counts = qs.aggregate(
        open=Count("id", filter=open_),
        overdue=Count("id", filter=open_ & Q(due_on__lt=today)),
        escalated=Count("id", filter=open_ & Q(escalated_at__isnull=False)),
        scheduled=Count("id", filter=Q(status=Review.Status.REMOVAL_SCHEDULED)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def review_queue_queryset(*, viewer: User, filters: QueueFilters, today: dt.date) -> QuerySet[Review]:
    """The queue in scope, filtered; nothing logged (callers log what they show)."""
    qs = reviews_visible_to(viewer=viewer)
    if filters.bcu:
        qs = qs.filter(bcu__code=filters.bcu)
    if filters.trigger:
        qs = qs.filter(trigger=filters.trigger)
    if filters.status == "open":
        qs = qs.filter(status=Review.Status.OPEN)
    elif filters.status == "overdue":
        qs = qs.filter(status=Review.Status.OPEN, due_on__lt=today)
    elif filters.status == "escalated":
        qs = qs.filter(status=Review.Status.OPEN, escalated_at__isnull=False)
    elif filters.status == "scheduled":
        qs = qs.filter(status=Review.Status.REMOVAL_SCHEDULED)
    else:
        qs = qs.filter(status__in=[Review.Status.OPEN, Review.Status.REMOVAL_SCHEDULED])
    return qs


def review_queue_for(
    *,
    viewer: User,
    filters: QueueFilters,
    purpose: str,
    page_number: Any = 1,
    per_page: int = REVIEW_PAGE_SIZE,
    today: dt.date | None = None,
) -> QueuePage:
    """A page of the review queue, oldest due first, with counts; logs ``review.listed``.

    The event names every person shown on the page, the filters (codes
    only) and the BCU of each person.
    """
    require_review_access(viewer)
    today = _today(today)
    scoped = reviews_visible_to(viewer=viewer)
    if filters.bcu:
        scoped = scoped.filter(bcu__code=filters.bcu)
    counts = _queue_counts(scoped, today)
    qs = review_queue_queryset(viewer=viewer, filters=filters, today=today)
    paginator = Paginator(
        qs.select_related("person", "person__bcu", "bcu").order_by("due_on", "opened_at", "pk"), per_page
    )
    page = paginator.get_page(page_number)
    reviews: Sequence[Review] = page.object_list  # type: ignore[assignment]
    people = [r.person for r in reviews if r.person is not None]
    preload(p.data_key_id for p in people)
    categories = _categories_of(p.pk for p in people)
    rows = [
        QueueRow(review=r, person=r.person, categories=categories[r.person.pk], overdue_days=overdue_days(r, today))
        for r in reviews
        if r.person is not None
    ]
    consultation_record(
        actor=viewer,
        verb=Verb.REVIEWS_LISTED,
        object_type="reviews",
        targets=[row.review.person_ref for row in rows],
        purpose=purpose,
        detail={
            "filters": filters.as_detail(),
            "page": page.number,
            **_bcus_of([row.person.bcu.code for row in rows]),
        },
    )
    return QueuePage(page=page, rows=rows, total=paginator.count, counts=counts, today=today)


# --- One review --------------------------------------------------------------------------------------------------


@dataclass
class Explained:
    """Why a review was opened, in words, and the rule of the schedule that fired."""

    why: str
    rule: str


@dataclass
class ReviewDetail:
    review: Review
    person: Person
    categories: list[str]
    intelligence: list[IntelligenceItem]
    score: HarmScore | None
    counted: list[tuple[dict[str, Any], IntelligenceItem | None]]
    excluded: list[tuple[dict[str, Any], IntelligenceItem | None]]
    nomination: Nomination | None
    latest_decision: RagDecision | None
    history: list[Review]
    restriction: Restriction | None
    schedule: RetentionSchedule | None
    explained: Explained
    today: dt.date
    overdue_days: int
    grace_days: int
    erasure_on_if_removed: dt.date
    default_next_review: dt.date
    latest_next_review: dt.date
    listed: bool = False
    restriction_roles: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def _days_in_words(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


def _long_date(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _band_words(band: str) -> str:
    return dict(Band.choices).get(band, "unbanded").lower() if band else "unbanded"


def trigger_explained(
    *, review: Review, definition: Mapping[str, Any], version: int | None, facts: Mapping[str, Any]
) -> Explained:
    """The trigger of a review in plain words, and the schedule rule behind it. Pure.

    ``facts``: ``score`` (current total or None), ``exit_evidence`` (bool),
    ``last_attention`` (date or None), ``listed_on`` (date or None),
    ``review_due`` (the listing's review date or None), ``opened_by`` (name).
    """
    where = f"retention schedule version {version}" if version else "the retention schedule"
    rules = definition.get("removal_rules", {})
    trigger = review.trigger
    if trigger == Trigger.REVIEW_DUE:
        days = review_interval(definition, review.band)
        due = facts.get("review_due") or review.due_on
        return Explained(
            why=f"The listing's review date, {_long_date(due)}, was reached. Every listing is looked at again "
            "on its review date and kept only with reasons.",
            rule=f"Review interval for a {_band_words(review.band)} listing: {_days_in_words(days)} ({where}).",
        )
    if trigger == Trigger.PROPOSAL_STALE:
        days = int(definition.get("proposed_max_days", 0))
        return Explained(
            why="The nomination was proposed but has been neither confirmed nor withdrawn in time.",
            rule=f"A proposed nomination must be decided within {_days_in_words(days)} ({where}).",
        )
    if trigger == Trigger.ZERO_SCORE:
        zero = rules.get("zero_score", {})
        below = zero.get("below", 1)
        score = facts.get("score")
        shown = "not scored" if score is None else f"{score}"
        needs_exit = bool(zero.get("requires_exit_evidence"))
        exit_words = (
            " and there is intelligence that the person has left gang activity"
            if facts.get("exit_evidence")
            else (" (no evidence of exit is needed under this schedule)" if not needs_exit else "")
        )
        return Explained(
            why=f"The current harm score ({shown}) is below {below}{exit_words}. "
            "The Model says such a person should be considered for removal from the matrix.",
            rule=f"Removal rule: score below {below}"
            + (" with evidence of exit" if needs_exit else "")
            + f" ({where}).",
        )
    if trigger == Trigger.NO_ATTENTION:
        days = int(rules.get("no_attention_days", 0))
        last = facts.get("last_attention")
        last_words = f"the last was on {_long_date(last)}" if last else "there has been none on record"
        return Explained(
            why=f"There has been no gang-related police attention for {_days_in_words(days)} ({last_words}). "
            "The Model says such a person should be considered for removal from the matrix.",
            rule=f"Removal rule: no gang-related police attention for {_days_in_words(days)} ({where}).",
        )
    if trigger == Trigger.VICTIM_SCHEDULE:
        days = int(definition.get("victim_review_days", 0))
        return Explained(
            why="This person is recorded only as a victim, witness or other, never as an offender, and their "
            "records have reached their review date. Victim and safeguarding records are kept no longer than needed.",
            rule=f"Victim and witness records are reviewed {_days_in_words(days)} after the latest record ({where}).",
        )
    if trigger == Trigger.NOT_LISTED:
        days = int(definition.get("unlisted_review_days", 0))
        return Explained(
            why="This person is recorded as a suspected or convicted offender but is not on the matrix, "
            "and their records have reached their review date.",
            rule=f"Records of people not on the matrix are reviewed {_days_in_words(days)} after the latest "
            f"record ({where}).",
        )
    if trigger == Trigger.SUBJECT_REQUEST:
        return Explained(
            why="The data subject asked for their data to be erased or its processing restricted "
            "(Data Protection Act 2018, s.47).",
            rule="A data-subject request is decided by a named person: erase, or restrict where accuracy is "
            "contested or the data must be kept as evidence.",
        )
    opened_by = facts.get("opened_by") or "a reviewer"
    return Explained(
        why=f"Opened by hand by {opened_by}.",
        rule=f"Anyone who decides reviews may open one at any time ({where} sets the date it is due).",
    )


def _review_in_scope(viewer: User, review_id: Any) -> Review:
    review = (
        reviews_visible_to(viewer=viewer)
        .select_related("person", "person__bcu", "person__borough", "bcu", "opened_by", "decided_by")
        .filter(pk=_parse_uuid(review_id))
        .first()
    )
    if review is None or review.person is None:
        raise Http404("No such review.")
    return review


def _last_attention(items: Sequence[IntelligenceItem]) -> dt.date | None:
    dates = [i.occurred_on for i in items if i.category in OFFENDER_CATEGORIES and i.criterion not in NON_HARM_CRITERIA]
    return max(dates) if dates else None


def review_get_for(*, viewer: User, review_id: Any, purpose: str, today: dt.date | None = None) -> ReviewDetail:
    """One review and what its reviewer needs to decide, or ``Http404``; logs ``review.consulted``.

    The person's record summary (name, date of birth, categories, the current
    score with its explanation, the latest band decision, intelligence dates
    and grades), the trigger in words with the schedule rule that fired, the
    due date, and the person's earlier reviews.
    """
    require_review_access(viewer)
    today = _today(today)
    review = _review_in_scope(viewer, review_id)
    person = review.person
    assert person is not None  # _review_in_scope refuses an erased person
    consultation_record(
        actor=viewer,
        verb=Verb.REVIEW_CONSULTED,
        object_type="review",
        object_ref=review.ref,
        targets=[review.person_ref],
        purpose=purpose,
        detail=_bcus_of([person.bcu.code]),
    )
    preload([person.data_key_id])
    intelligence = list(person.intelligence.select_related("gang").order_by("-occurred_on", "-created_at"))
    items = {str(item.pk): item for item in intelligence}
    score = person.scores.filter(is_current=True).select_related("rubric").first()
    explanation: dict[str, Any] = score.explanation if score else {}
    nomination = (
        Nomination.objects.filter(person=person).order_by("-proposed_at").first()
        if review.nomination_id is None
        else Nomination.objects.filter(pk=review.nomination_id).first()
    )
    latest_decision = (
        RagDecision.objects.filter(nomination__person=person)
        .select_related("decided_by")
        .order_by("-decided_at")
        .first()
    )
    history = list(
        Review.objects.filter(person=person)
        .exclude(pk=review.pk)
        .select_related("decided_by", "opened_by")
        .order_by("-opened_at")
    )
    restriction = Restriction.objects.filter(person=person, lifted_at__isnull=True).first()
    version = review.schedule_version
    schedule = (
        RetentionSchedule.objects.filter(version=version).first()
        if version
        else RetentionSchedule.objects.filter(is_active=True).order_by("-version").first()
    )
    active = RetentionSchedule.objects.filter(is_active=True).order_by("-version").first()
    definition: Mapping[str, Any] = schedule.definition if schedule else (active.definition if active else {})
    current: Mapping[str, Any] = active.definition if active else definition
    listed_on = None
    if nomination is not None:
        listed = nomination.activated_at or nomination.proposed_at
        listed_on = timezone.localdate(listed) if listed else None
    facts: dict[str, Any] = {
        "score": score.total if score else None,
        "exit_evidence": any(i.criterion == Criterion.GANG_EXIT for i in intelligence),
        "last_attention": _last_attention(intelligence),
        "listed_on": listed_on,
        "review_due": nomination.review_due if nomination else None,
        "opened_by": review.opened_by.username if review.opened_by else "",
    }
    band = nomination.band if nomination and nomination.status in Nomination.OPEN_STATUSES else ""
    grace = int(current.get("grace_days", 0))
    return ReviewDetail(
        review=review,
        person=person,
        categories=sorted({i.category for i in intelligence}, key=Category.values.index),
        intelligence=intelligence,
        score=score,
        counted=[(line, items.get(line["item"])) for line in explanation.get("counted", [])],
        excluded=[(line, items.get(line["item"])) for line in explanation.get("excluded", [])],
        nomination=nomination,
        latest_decision=latest_decision,
        history=history,
        restriction=restriction,
        schedule=schedule,
        explained=trigger_explained(review=review, definition=definition, version=version, facts=facts),
        today=today,
        overdue_days=overdue_days(review, today),
        grace_days=grace,
        erasure_on_if_removed=today + dt.timedelta(days=grace),
        default_next_review=today + dt.timedelta(days=review_interval(current, band)) if current else today,
        latest_next_review=today + dt.timedelta(days=MAX_KEEP_DAYS),
        listed=nomination is not None and nomination.status in Nomination.OPEN_STATUSES,
        restriction_roles=restriction_role_labels(restriction.roles) if restriction else [],
        facts=facts,
    )


# --- The overdue dashboard (no personal data) --------------------------------------------------------------------


@dataclass
class BcuLine:
    code: str
    name: str
    open: int = 0
    overdue: int = 0
    escalated: int = 0
    scheduled: int = 0
    next_erasure: dt.datetime | None = None
    oldest_overdue_days: int | None = None


@dataclass
class ScheduledErasure:
    review_id: uuid.UUID
    short_ref: str
    bcu_name: str
    decided_at: dt.datetime | None
    erasure_due_at: dt.datetime | None


@dataclass
class Dashboard:
    lines: list[BcuLine]
    totals: BcuLine
    erasures: list[ScheduledErasure]
    today: dt.date
    escalate_after_days: int | None


def overdue_dashboard_for(*, viewer: User, today: dt.date | None = None, erasures_limit: int = 200) -> Dashboard:
    """Counts per BCU (open, overdue, escalated, erasures scheduled, oldest overdue) and the erasures to come.

    Holds no personal data (counts, dates and review references only), so it
    needs no declared purpose and logs nothing; still only for the roles
    that review, and a SPOC sees their own BCU only.
    """
    require_review_access(viewer)
    today = _today(today)
    bcus = list(register_selectors.bcus_for(viewer=viewer).order_by("name"))
    base = Review.objects.filter(bcu__in=bcus)
    open_ = Q(status=Review.Status.OPEN)
    scheduled = Q(status=Review.Status.REMOVAL_SCHEDULED)
    by_bcu = {
        row["bcu_id"]: row
        for row in base.order_by()
        .values("bcu_id")
        .annotate(
            open=Count("id", filter=open_),
            overdue=Count("id", filter=open_ & Q(due_on__lt=today)),
            escalated=Count("id", filter=open_ & Q(escalated_at__isnull=False)),
            scheduled=Count("id", filter=scheduled),
            next_erasure=Min("erasure_due_at", filter=scheduled),
            oldest_due=Min("due_on", filter=open_ & Q(due_on__lt=today)),
        )
    }
    lines: list[BcuLine] = []
    totals = BcuLine(code="", name="All BCUs shown")
    for bcu in bcus:
        row = by_bcu.get(bcu.pk, {})
        oldest = row.get("oldest_due")
        line = BcuLine(
            code=bcu.code,
            name=bcu.name,
            open=int(row.get("open") or 0),
            overdue=int(row.get("overdue") or 0),
            escalated=int(row.get("escalated") or 0),
            scheduled=int(row.get("scheduled") or 0),
            next_erasure=row.get("next_erasure"),
            oldest_overdue_days=(today - oldest).days if oldest else None,
        )
        lines.append(line)
        totals.open += line.open
        totals.overdue += line.overdue
        totals.escalated += line.escalated
        totals.scheduled += line.scheduled
        if line.next_erasure and (totals.next_erasure is None or line.next_erasure < totals.next_erasure):
            totals.next_erasure = line.next_erasure
        if line.oldest_overdue_days is not None:
            totals.oldest_overdue_days = max(totals.oldest_overdue_days or 0, line.oldest_overdue_days)
    erasures = [
        ScheduledErasure(
            review_id=r.pk,
            short_ref=r.short_ref,
            bcu_name=r.bcu.name,
            decided_at=r.decided_at,
            erasure_due_at=r.erasure_due_at,
        )
        for r in base.filter(scheduled).select_related("bcu").order_by("erasure_due_at", "pk")[:erasures_limit]
    ]
    active = RetentionSchedule.objects.filter(is_active=True).order_by("-version").first()
    escalate = int(active.definition.get("escalate_after_days", 0)) if active else None
    return Dashboard(lines=lines, totals=totals, erasures=erasures, today=today, escalate_after_days=escalate)


# --- The schedule in words (no personal data) --------------------------------------------------------------------


@dataclass
class ScheduleLine:
    label: str
    value: str


@dataclass
class SchedulePage:
    schedule: RetentionSchedule | None
    intervals: list[ScheduleLine]
    removal: list[ScheduleLine]
    others: list[ScheduleLine]
    versions: list[RetentionSchedule]


_BAND_LABELS = {"red": "Red listing", "amber": "Amber listing", "green": "Green listing", "unbanded": "No band yet"}


def schedule_described(
    definition: Mapping[str, Any],
) -> tuple[list[ScheduleLine], list[ScheduleLine], list[ScheduleLine]]:
    """A schedule definition as lines of plain words: review intervals, removal rules, everything else. Pure."""
    intervals = [
        ScheduleLine(_BAND_LABELS[band], f"reviewed every {_days_in_words(int(days))}")
        for band, days in definition.get("review_interval_days", {}).items()
        if band in _BAND_LABELS
    ]
    rules = definition.get("removal_rules", {})
    zero = rules.get("zero_score", {})
    removal = [
        ScheduleLine(
            "Low score",
            f"a listed person whose harm score is below {zero.get('below', '?')}"
            + (" and who has evidence of exit from gang activity" if zero.get("requires_exit_evidence") else "")
            + " is put in the review queue to be considered for removal",
        ),
        ScheduleLine(
            "No police attention",
            "a listed person with no gang-related police attention for "
            f"{_days_in_words(int(rules.get('no_attention_days', 0)))} is put in the review queue "
            "to be considered for removal",
        ),
    ]
    others = [
        ScheduleLine(
            "Victims and witnesses",
            "records of a person recorded only as a victim, witness or other are reviewed "
            f"{_days_in_words(int(definition.get('victim_review_days', 0)))} after the latest record",
        ),
        ScheduleLine(
            "People not on the matrix",
            "records of a suspected or convicted offender who is not listed are reviewed "
            f"{_days_in_words(int(definition.get('unlisted_review_days', 0)))} after the latest record",
        ),
        ScheduleLine(
            "Proposed nominations",
            f"must be confirmed or withdrawn within {_days_in_words(int(definition.get('proposed_max_days', 0)))}",
        ),
        ScheduleLine(
            "Time to decide a review",
            f"{_days_in_words(int(definition.get('review_due_days', 0)))} from when a removal rule opens it",
        ),
        ScheduleLine(
            "Escalation",
            f"a review more than {_days_in_words(int(definition.get('escalate_after_days', 0)))} overdue "
            "is escalated to central governance",
        ),
        ScheduleLine(
            "Grace period",
            f"{_days_in_words(int(definition.get('grace_days', 0)))} between a decision to remove and erasure, "
            "during which the decision can be cancelled",
        ),
    ]
    return intervals, removal, others


def schedule_page_for(*, viewer: User) -> SchedulePage:
    """The active retention schedule in words, and its earlier versions; for anyone who may see people."""
    register_selectors.require_people_access(viewer)
    versions = list(RetentionSchedule.objects.order_by("-version"))
    active = next((s for s in versions if s.is_active), None)
    intervals, removal, others = schedule_described(active.definition) if active else ([], [], [])
    return SchedulePage(schedule=active, intervals=intervals, removal=removal, others=others, versions=versions)


# --- Restrictions ------------------------------------------------------------------------------------------------


@dataclass
class RestrictionRow:
    restriction: Restriction
    #: None when the viewer's role is not named on the restriction: the person stays hidden.
    person: Person | None
    bcu_name: str
    roles: list[str] = field(default_factory=list)


def restrictions_for(*, viewer: User, purpose: str) -> list[RestrictionRow]:
    """Every restriction in force, for the DPO and central governance; logs ``people.listed``.

    A person is named only to a role the restriction names (otherwise the
    row shows the reference alone), and the event names exactly the people
    shown. Nothing shown by name, nothing logged.
    """
    require_restriction_access(viewer)
    restrictions = list(
        Restriction.objects.filter(lifted_at__isnull=True)
        .select_related("person", "person__bcu", "created_by")
        .order_by("-created_at")
    )
    ids = [r.person_id for r in restrictions]
    visible = set(register_selectors.people_visible_to(viewer=viewer).filter(pk__in=ids).values_list("pk", flat=True))
    shown = [r.person for r in restrictions if r.person_id in visible]
    preload(p.data_key_id for p in shown)
    if shown:
        consultation_record(
            actor=viewer,
            verb=Verb.PEOPLE_LISTED,
            object_type="restrictions",
            targets=[p.ref for p in shown],
            purpose=purpose,
            detail={"list": "restrictions", **_bcus_of([p.bcu.code for p in shown])},
        )
    return [
        RestrictionRow(restriction=r, person=r.person if r.person_id in visible else None, bcu_name=r.person.bcu.name)
        for r in restrictions
    ]


def restriction_get_for(*, viewer: User, restriction_id: Any, purpose: str) -> RestrictionRow:
    """One restriction in force, or ``Http404``; logs ``person.consulted`` if the person is shown."""
    require_restriction_access(viewer)
    restriction = (
        Restriction.objects.filter(pk=_parse_uuid(restriction_id), lifted_at__isnull=True)
        .select_related("person", "person__bcu", "created_by")
        .first()
    )
    if restriction is None:
        raise Http404("No such restriction in force.")
    person: Person | None = restriction.person
    if not register_selectors.people_visible_to(viewer=viewer).filter(pk=restriction.person_id).exists():
        person = None
    if person is not None:
        consultation_record(
            actor=viewer,
            verb=Verb.PERSON_CONSULTED,
            object_type="restriction",
            object_ref=person.ref,
            targets=[person.ref],
            purpose=purpose,
            detail={"restriction": restriction.ref, **_bcus_of([person.bcu.code])},
        )
    return RestrictionRow(
        restriction=restriction,
        person=person,
        bcu_name=restriction.person.bcu.name,
        roles=restriction_role_labels(restriction.roles),
    )


def restriction_role_labels(roles: Iterable[str]) -> list[str]:
    labels = dict(Role.choices)
    return [labels.get(role, role) for role in roles]


# --- For the person page -----------------------------------------------------------------------------------------


@dataclass
class PersonReviewState:
    may_open: bool
    current: Review | None
    may_see: bool


def person_review_state(*, viewer: User, person: Person) -> PersonReviewState:
    """Whether the viewer may open a review of a person already in reach, and the one open now. No log."""
    current = (
        Review.objects.filter(person=person, status__in=[Review.Status.OPEN, Review.Status.REMOVAL_SCHEDULED])
        .order_by("-opened_at")
        .first()
    )
    return PersonReviewState(
        may_open=current is None and person.restricted_at is None and policies.may_open_review(viewer, person.bcu.code),
        current=current,
        may_see=policies.may_view_reviews(viewer, person.bcu.code),
    )
