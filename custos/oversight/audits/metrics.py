"""What a BCU audit counts, each from live data, and the trend against the audit before.

Every metric is a whole number for one BCU on one day; none names anyone.
Lower is better for all of them except where ``lower_is_better`` says not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from custos.accounts.models import BCU_SCOPED_ROLES, Suspension, User
from custos.accounts.selectors import dormancy_deadline, recertification_due, training_statuses_for
from custos.dlp.models import Export, Finding
from custos.register.models import (
    OFFENDER_CATEGORIES,
    Category,
    HarmScore,
    IntelligenceItem,
    Nomination,
    SourceType,
    Verification,
)
from custos.register.scoring import ScoringInput
from custos.register.services import corroborating_sources
from custos.retention.models import Review
from custos.sharing.models import Disclosure
from custos.sharing.review import disclosure_flags


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    lower_is_better: bool = True


METRICS: tuple[Metric, ...] = (
    Metric("overdue_reviews", "Reviews past their due date and still open"),
    Metric("zero_score_kept", "People kept on the matrix with a current harm score of 0"),
    Metric("victims_on_matrix", "People on the matrix recorded only as a victim or witness"),
    Metric("unverified_social_media", "Unverified social-media items held"),
    Metric("unverified_social_media_scored", "Unverified social-media items counted in a current score"),
    Metric("nominations_uncorroborated", "Open nominations without two independent corroborating sources"),
    Metric("disclosures_outside_policy", "Disclosures of the BCU's people that would fail the sharing rules today"),
    Metric("users_untrained", "Users of the BCU without both courses current"),
    Metric("users_unrecertified", "Users of the BCU whose access is past its recertification date"),
    Metric("users_dormant", "Users of the BCU not active within the dormancy period"),
    Metric("exports_overdue", "Exports past their destroy-by date and not confirmed destroyed"),
    Metric("open_dlp_findings", "Open scan findings naming the BCU's people"),
)

METRIC_KEYS = tuple(m.key for m in METRICS)


def _end_of(day: dt.date) -> dt.datetime:
    zone = timezone.get_current_timezone()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def compute(bcu_code: str, as_of: dt.date) -> dict[str, int]:
    """Every metric for one BCU as of a day (the day's end for time rules), from the live tables."""
    open_noms = Nomination.objects.filter(bcu__code=bcu_code, status__in=Nomination.OPEN_STATUSES)
    listed = list(open_noms.values_list("person_id", flat=True))
    metrics: dict[str, int] = {}
    metrics["overdue_reviews"] = Review.objects.filter(
        bcu__code=bcu_code, status=Review.Status.OPEN, due_on__lt=as_of
    ).count()
    metrics["zero_score_kept"] = HarmScore.objects.filter(person_id__in=listed, is_current=True, total=0).count()
    offenders = IntelligenceItem.objects.filter(person_id__in=listed, category__in=list(OFFENDER_CATEGORIES))
    victims = IntelligenceItem.objects.filter(person_id__in=listed, category__in=[Category.VICTIM, Category.WITNESS])
    metrics["victims_on_matrix"] = len(
        set(victims.values_list("person_id", flat=True)) - set(offenders.values_list("person_id", flat=True))
    )
    unverified = IntelligenceItem.objects.filter(
        bcu__code=bcu_code, source_type=SourceType.SOCIAL_MEDIA, verification=Verification.UNVERIFIED
    )
    unverified_ids = {str(i) for i in unverified.values_list("id", flat=True)}
    metrics["unverified_social_media"] = len(unverified_ids)
    counted: set[str] = set()
    for explanation in HarmScore.objects.filter(is_current=True, person__bcu__code=bcu_code).values_list(
        "explanation", flat=True
    ):
        counted |= {str(line.get("item")) for line in (explanation or {}).get("counted", [])}
    metrics["unverified_social_media_scored"] = len(unverified_ids & counted)
    metrics["nominations_uncorroborated"] = _uncorroborated(listed)
    metrics["disclosures_outside_policy"] = sum(
        1
        for disclosure in Disclosure.objects.filter(status=Disclosure.Status.DISCLOSED).select_related("agreement")
        if bcu_code in (disclosure.target_bcus or []) and disclosure_flags(disclosure, as_of)
    )
    users = list(User.objects.filter(bcu_code=bcu_code, role__in=list(BCU_SCOPED_ROLES)))
    active = [u for u in users if u.is_active]
    statuses = training_statuses_for(active, today=as_of)
    metrics["users_untrained"] = sum(1 for u in active if not all(s.is_current for s in statuses[u.pk]))
    moment = _end_of(as_of)
    metrics["users_unrecertified"] = sum(1 for u in active if recertification_due(u) < moment) + sum(
        1 for u in users if not u.is_active and u.suspended_reason == Suspension.NOT_RECERTIFIED
    )
    metrics["users_dormant"] = sum(1 for u in active if dormancy_deadline(u) < moment) + sum(
        1 for u in users if not u.is_active and u.suspended_reason == Suspension.DORMANT
    )
    metrics["exports_overdue"] = Export.objects.filter(
        bcu_code=bcu_code, destroyed_at__isnull=True, expires_on__lt=as_of
    ).count()
    people_refs = {
        f"person:{pk}"
        for pk in IntelligenceItem.objects.filter(bcu__code=bcu_code).values_list("person_id", flat=True).distinct()
    }
    metrics["open_dlp_findings"] = sum(
        1
        for refs in Finding.objects.filter(~Q(status=Finding.Status.CLOSED)).values_list("refs", flat=True)
        if people_refs & set(refs or [])
    )
    return metrics


def _uncorroborated(person_ids: Sequence[object]) -> int:
    """Open nominations whose person now has fewer than two independent sources that count (the proposal rule)."""
    columns = ("id", "person_id", *_INPUT_COLUMNS, "source_digest")
    by_person: dict[object, tuple[list[ScoringInput], dict[str, bytes]]] = {pk: ([], {}) for pk in person_ids}
    for row in IntelligenceItem.objects.filter(person_id__in=list(person_ids)).values_list(*columns):
        values = dict(zip(columns, row, strict=True))
        inputs, digests = by_person[values.pop("person_id")]
        item_id = str(values.pop("id"))
        digests[item_id] = bytes(values.pop("source_digest"))
        inputs.append(ScoringInput(item_id=item_id, **values))
    return sum(1 for inputs, digests in by_person.values() if len(corroborating_sources(inputs, digests)) < 2)


_INPUT_COLUMNS = (
    "category",
    "criterion",
    "occurred_on",
    "source_type",
    "source_grade",
    "intel_grade",
    "verification",
    "nature",
    "offence_code",
)


@dataclass(frozen=True)
class Row:
    """One metric of one audit, beside the audit before: its value, the previous one, the change."""

    metric: Metric
    value: int
    previous: int | None

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.value - self.previous

    @property
    def trend(self) -> str:
        """``better``, ``worse``, ``same`` or ``new`` (no audit before)."""
        if self.change is None:
            return "new"
        if self.change == 0:
            return "same"
        improved = self.change < 0 if self.metric.lower_is_better else self.change > 0
        return "better" if improved else "worse"


def rows(metrics: Mapping[str, int], previous: Mapping[str, int] | None) -> list[Row]:
    """Every metric with its previous value (None when there was no audit before, or it did not count it)."""
    return [
        Row(
            metric=m,
            value=int(metrics.get(m.key, 0)),
            previous=None if previous is None or m.key not in previous else int(previous[m.key]),
        )
        for m in METRICS
    ]
