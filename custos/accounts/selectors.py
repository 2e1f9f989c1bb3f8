"""Reads about accounts: training status, recertification and dormancy.

Nothing here is personal data of the register (no data subject is named), so
these reads are not consultations under s.62 and log nothing. They decide,
with ``custos.accounts.policies``, who may see personal data at all.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from custos.accounts.models import (
    BCU_SCOPED_ROLES,
    Attestation,
    Course,
    Role,
    Suspension,
    TrainingRecord,
    User,
    quarter_of,
)

#: Attribute caching a user's latest expiry per course on the instance, for one day.
_CACHE = "_custos_training_expiry"


class CourseState(enum.StrEnum):
    CURRENT = "current"
    EXPIRING = "expiring"  # current, but expires within CUSTOS_TRAINING_WARNING_DAYS
    EXPIRED = "expired"
    MISSING = "missing"


@dataclass(frozen=True)
class CourseStatus:
    """One course for one user: its latest expiry and what that means today."""

    course: Course
    expires_on: dt.date | None
    today: dt.date

    @property
    def state(self) -> CourseState:
        if self.expires_on is None:
            return CourseState.MISSING
        if self.expires_on <= self.today:
            return CourseState.EXPIRED
        if (self.expires_on - self.today).days <= settings.CUSTOS_TRAINING_WARNING_DAYS:
            return CourseState.EXPIRING
        return CourseState.CURRENT

    @property
    def is_current(self) -> bool:
        return self.state in {CourseState.CURRENT, CourseState.EXPIRING}

    @property
    def label(self) -> str:
        return Course(self.course).label

    def describe(self) -> str:
        """In words, e.g. "Mandatory data protection training expired on 3 March 2026"."""
        if self.expires_on is None:
            return f"{self.label}: no record"
        when = date_format(self.expires_on, "j F Y")
        if self.state == CourseState.EXPIRED:
            return f"{self.label}: expired on {when}"
        return f"{self.label}: valid until {when}"


def _expiries(user: User, today: dt.date) -> dict[str, dt.date]:
    cached = getattr(user, _CACHE, None)
    if cached is not None and cached[0] == today:
        return dict(cached[1])
    expiries: dict[str, dt.date] = {}
    if user.pk is not None:
        rows = TrainingRecord.objects.filter(user_id=user.pk).values("course").annotate(latest=Max("expires_on"))
        expiries = {row["course"]: row["latest"] for row in rows}
    setattr(user, _CACHE, (today, expiries))
    return dict(expiries)


def training_cache_clear(user: User) -> None:
    """Forget the cached training status of this instance (after a record is added)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def training_status_of(user: User, *, today: dt.date | None = None) -> list[CourseStatus]:
    """Both courses for one user, in ``Course`` order. One query, cached on the instance for the day."""
    today = today or timezone.localdate()
    expiries = _expiries(user, today)
    return [CourseStatus(course=course, expires_on=expiries.get(course.value), today=today) for course in Course]


def training_gaps(user: User) -> list[CourseStatus]:
    """The courses that are missing or expired (empty: fully trained)."""
    return [status for status in training_status_of(user) if not status.is_current]


def training_statuses_for(users: Sequence[User], *, today: dt.date | None = None) -> dict[int, list[CourseStatus]]:
    """Both courses for many users, in one query."""
    today = today or timezone.localdate()
    expiries: dict[int, dict[str, dt.date]] = {user.pk: {} for user in users}
    rows = (
        TrainingRecord.objects.filter(user_id__in=list(expiries))
        .values("user_id", "course")
        .annotate(latest=Max("expires_on"))
    )
    for row in rows:
        expiries[row["user_id"]][row["course"]] = row["latest"]
    return {
        pk: [CourseStatus(course=course, expires_on=given.get(course.value), today=today) for course in Course]
        for pk, given in expiries.items()
    }


class TrainingRequired(PermissionDenied):
    """Refusal of personal data to a user whose training is missing or expired (Annex 1 terms 8, 9).

    ``str()`` says which course and who to ask, so every interface can tell
    the user why.
    """

    def __init__(self, user: User, gaps: Sequence[CourseStatus]) -> None:
        self.user = user
        self.gaps = list(gaps)
        detail = "; ".join(gap.describe() for gap in self.gaps)
        super().__init__(
            f"You cannot see personal data until your training is current ({detail}). "
            f"Ask {who_records_training_for(user)} to record it."
        )


def require_current_training(user: User) -> None:
    """Raise ``TrainingRequired`` unless both courses are current."""
    gaps = training_gaps(user)
    if gaps:
        raise TrainingRequired(user, gaps)


def who_records_training_for(user: User) -> str:
    """Who to ask, in words: the BCU's SPOC for a BCU role, else central governance."""
    if user.role in BCU_SCOPED_ROLES and user.role != Role.BCU_SPOC:
        return "your BCU's single point of contact (SPOC)"
    return "central governance"


def training_contacts_for(user: User) -> QuerySet[User]:
    """The active accounts that may record this user's training: their SPOCs, else central governance."""
    if user.role in BCU_SCOPED_ROLES and user.role != Role.BCU_SPOC:
        return User.objects.filter(role=Role.BCU_SPOC, bcu_code=user.bcu_code, is_active=True).exclude(pk=user.pk)
    return User.objects.filter(role=Role.CENTRAL_GOVERNANCE, is_active=True).exclude(pk=user.pk)


# Recertification and dormancy ---------------------------------------------------------------------------------------


def recertification_due(user: User) -> dt.datetime:
    """When this user's access must next be re-attested (the grace period follows)."""
    start = user.access_confirmed_at or user.date_joined
    return start + dt.timedelta(days=settings.CUSTOS_RECERTIFICATION_DAYS)


def recertification_deadline(user: User) -> dt.datetime:
    """After this moment ``access_sweep`` suspends the user for want of recertification."""
    return recertification_due(user) + dt.timedelta(days=settings.CUSTOS_RECERTIFICATION_GRACE_DAYS)


def last_activity(user: User, last_token_use: dt.datetime | None = None) -> dt.datetime:
    """The latest of sign-in, API token use, reinstatement and the account's creation."""
    moments = [user.date_joined, user.last_login, user.reinstated_at, last_token_use]
    return max(moment for moment in moments if moment is not None)


def dormancy_deadline(user: User, last_token_use: dt.datetime | None = None) -> dt.datetime:
    return last_activity(user, last_token_use) + dt.timedelta(days=settings.CUSTOS_DORMANCY_DAYS)


@dataclass(frozen=True)
class SweepFinding:
    user: User
    reason: str  # a Suspension value
    since: dt.datetime  # the deadline that passed


def access_sweep_findings(*, now: dt.datetime | None = None) -> list[SweepFinding]:
    """Active accounts to suspend: dormant ones first, then those not re-attested in time."""
    now = now or timezone.now()
    findings = []
    users = User.objects.filter(is_active=True).annotate(last_token_use=Max("api_tokens__last_used_at"))
    for user in users.order_by("username"):
        dormant_after = dormancy_deadline(user, user.last_token_use)
        if now > dormant_after:
            findings.append(SweepFinding(user=user, reason=Suspension.DORMANT, since=dormant_after))
            continue
        deadline = recertification_deadline(user)
        if now > deadline:
            findings.append(SweepFinding(user=user, reason=Suspension.NOT_RECERTIFIED, since=deadline))
    return findings


def attestations_this_quarter(users: Iterable[User], *, today: dt.date | None = None) -> dict[int, Attestation]:
    """Each user's attestation this quarter for the BCU they are now in, if any."""
    quarter = quarter_of(today or timezone.localdate())
    users = list(users)
    by_user = {user.pk: user.bcu_code for user in users}
    found = Attestation.objects.filter(user_id__in=list(by_user), quarter=quarter).select_related("attested_by")
    return {a.user_id: a for a in found if by_user[a.user_id] == a.bcu_code}
