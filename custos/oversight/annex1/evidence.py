"""Each Annex 1 term's status, computed from the live tables for one month (queries, not checkboxes).

One function per term takes a ``Period`` (a calendar month, up to its last
day or today if the month is not over) and returns ``Evidence``: the status
(met, partly met, not met), the figures it was computed from, a one-line
reason and what is outstanding. Figures are counts and settings, never
personal data. Where the database keeps no history of a fact (whether an
account is active, a nomination's status, a risk's status), the figure is as
it stands at generation and says so (``Figure.current``). The thresholds
are documented in ``docs/annex1.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Max, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from custos.accounts.models import BCU_SCOPED_ROLES, Attestation, Course, Role, Suspension, TrainingRecord, User
from custos.accounts.selectors import (
    CourseStatus,
    dormancy_deadline,
    recertification_deadline,
    recertification_due,
)
from custos.audit import checkpoints as audit_checkpoints
from custos.audit import verify as audit_verify
from custos.audit.models import AuditCheckpoint, AuditEvent, Verb
from custos.audit.selectors import CONSULTATION_VERBS
from custos.crypto import keys, signing
from custos.dlp.models import Canary, Export, Finding, IndexState, ScanRun
from custos.oversight.annex1.terms import TERMS_BY_CODE, Term
from custos.oversight.audits.models import BcuAudit
from custos.oversight.dpia.models import DpiaVersion, Risk, RiskStatus
from custos.oversight.guidance.selectors import tracker_evidence
from custos.register.models import (
    BCU,
    OFFENDER_CATEGORIES,
    Category,
    Gang,
    HarmScore,
    IntelligenceItem,
    Nomination,
    Person,
    SourceType,
    Verification,
)
from custos.retention.models import Decision, RetentionSchedule, Review, Tombstone
from custos.sharing import rules as sharing_rules
from custos.sharing.models import Agreement, Disclosure, LegacyShare, RecipientKind
from custos.sharing.review import legacy_flags

# -- thresholds (docs/annex1.md) ---------------------------------------------------------------------------------

#: A DPIA signed off longer ago than this is out of date (A1.1).
DPIA_MAX_AGE_DAYS = 365
#: A risk scoring this or more (likelihood x impact, 1-25) is high (A1.1).
HIGH_RISK_SCORE = 15
#: The sharing review must have been produced within this many months (A1.5).
SHARING_REVIEW_MONTHS = 6
#: A scan finding open longer than this is not being handled (A1.10).
FINDING_STALE_DAYS = 30
#: A social-media item unverified for longer than this is a backlog (A1.14).
UNVERIFIED_STALE_DAYS = 30
#: The guidance topics of A1.15 (the four decisions the notice lists); A1.14's topic is separate.
SOCIAL_MEDIA_TOPIC = "social_media"
DECISION_TOPICS_REQUIRED = 4
#: Roles that read personal data of the register (those with ``register.view_people``): A1.8.
PERSONAL_DATA_ROLES = frozenset(
    {Role.OFFICER, Role.ANALYST, Role.BCU_SPOC, Role.CENTRAL_GOVERNANCE, Role.IRU, Role.DPO}
)
#: Kinds of scan finding that are copies of register data (the rest are files the scanner could not read).
COPY_FINDINGS = (Finding.Kind.REGISTER_DATA, Finding.Kind.CANARY, Finding.Kind.ERASED_PERSON)


class Status(models.TextChoices):
    MET = "met", "Met"
    PARTLY_MET = "partly met", "Partly met"
    NOT_MET = "not met", "Not met"


@dataclass(frozen=True)
class Period:
    """A calendar month, described up to ``as_of``: its last day, or today while the month runs."""

    start: dt.date
    end: dt.date
    as_of: dt.date

    @property
    def month(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def is_complete(self) -> bool:
        return self.as_of == self.end

    @property
    def start_at(self) -> dt.datetime:
        return _midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """The end of ``as_of`` (exclusive): every moment before it is in or before the period."""
        return _midnight(self.as_of + dt.timedelta(days=1))

    def in_period(self, field_name: str) -> Q:
        """``field_name`` falls in the period (a datetime field)."""
        return Q(**{f"{field_name}__gte": self.start_at, f"{field_name}__lt": self.end_at})


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def month_start(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def month_last_day(first: dt.date) -> dt.date:
    following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def period_for(first: dt.date, today: dt.date | None = None) -> Period:
    """The month starting on ``first``, as of its last day or ``today`` if sooner. A future month is refused."""
    today = today or timezone.localdate()
    first = first.replace(day=1)
    if first > today:
        raise ValueError("the month is in the future")
    end = month_last_day(first)
    return Period(start=first, end=end, as_of=min(end, today))


@dataclass(frozen=True)
class Figure:
    """One number (or setting) the status was computed from. ``current``: as of generation, no history kept."""

    key: str
    label: str
    value: int | str
    current: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value, "current": self.current}


@dataclass(frozen=True)
class Evidence:
    """One term's status for one period, with its figures, reason and what is outstanding."""

    code: str
    status: Status
    reason: str
    figures: tuple[Figure, ...]
    outstanding: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def term(self) -> Term:
        return TERMS_BY_CODE[self.code]

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def link(self) -> str | None:
        """The feature's page, if it exists."""
        for name in self.term.url_names:
            try:
                return reverse(name)
            except NoReverseMatch:
                continue
        return None

    def figure(self, key: str) -> int | str:
        for item in self.figures:
            if item.key == key:
                return item.value
        raise KeyError(key)

    @property
    def values(self) -> dict[str, int | str]:
        return {item.key: item.value for item in self.figures}

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "status": str(self.status),
            "reason": self.reason,
            "figures": [f.as_dict() for f in self.figures],
            "outstanding": list(self.outstanding),
            "notes": list(self.notes),
        }


def _status(*, failed: bool, partial: bool) -> Status:
    if failed:
        return Status.NOT_MET
    if partial:
        return Status.PARTLY_MET
    return Status.MET


def _issues(*pairs: tuple[int | bool, str]) -> tuple[str, ...]:
    """The texts of the conditions that hold (what is outstanding)."""
    return tuple(text for condition, text in pairs if condition)


# -- A1.1 DPIA -----------------------------------------------------------------------------------------------------


def a1_1_dpia(period: Period) -> Evidence:
    """A DPIA version signed off by the DPO within 12 months of the period's end; open high risks."""
    signed = (
        DpiaVersion.objects.filter(status=DpiaVersion.Status.SIGNED_OFF, signed_off_at__lt=period.end_at)
        .order_by("-signed_off_at")
        .first()
    )
    versions = DpiaVersion.objects.filter(generated_at__lt=period.end_at).count()
    age = (period.as_of - timezone.localdate(signed.signed_off_at)).days if signed and signed.signed_off_at else None
    by_dpo = bool(signed and signed.signed_off_by and signed.signed_off_by.role == Role.DPO)
    high_open = sum(
        1 for r in Risk.objects.filter(status=RiskStatus.OPEN) if r.likelihood * r.impact >= HIGH_RISK_SCORE
    )
    figures = (
        Figure("versions", "DPIA versions generated", versions),
        Figure("signed_off_version", "Latest version signed off by the DPO", signed.number if signed else "none"),
        Figure("signed_off_days_ago", "Days since that sign-off", age if age is not None else "–"),
        Figure("open_high_risks", f"Open risks scoring {HIGH_RISK_SCORE} or more", high_open, current=True),
    )
    stale = age is not None and age > DPIA_MAX_AGE_DAYS
    failed = signed is None or not by_dpo or stale
    status = _status(failed=failed, partial=high_open > 0)
    if signed is None:
        reason = f"No DPIA version is signed off ({versions} generated)."
    elif stale:
        reason = f"The latest signed-off DPIA (version {signed.number}) is {age} days old, over {DPIA_MAX_AGE_DAYS}."
    else:
        reason = f"DPIA version {signed.number} signed off {age} days ago; {high_open} high risk(s) open."
    outstanding = _issues(
        (signed is None, "A DPIA version must be signed off by the DPO."),
        (stale, "The DPIA must be reviewed and signed off again (over 12 months old)."),
        (high_open, f"{high_open} open high risk(s) in the risk register need mitigation or acceptance."),
    )
    return Evidence("A1.1", status, reason, figures, outstanding)


# -- A1.2 victims --------------------------------------------------------------------------------------------------


def _victim_only_people(until: dt.datetime) -> models.QuerySet[Person]:
    victims = IntelligenceItem.objects.filter(category__in=[Category.VICTIM, Category.WITNESS]).values("person_id")
    offenders = IntelligenceItem.objects.filter(category__in=list(OFFENDER_CATEGORIES)).values("person_id")
    return Person.objects.filter(created_at__lt=until, pk__in=victims).exclude(pk__in=offenders)


def _counted_items() -> set[str]:
    """Every intelligence item a current harm score counts."""
    counted: set[str] = set()
    for explanation in HarmScore.objects.filter(is_current=True).values_list("explanation", flat=True):
        counted |= {str(line.get("item")) for line in (explanation or {}).get("counted", [])}
    return counted


def a1_2_victims(period: Period) -> Evidence:
    """Every person has an s.38(3) category; no victim or witness is a nominal, scored, or counted in a score."""
    people = Person.objects.filter(created_at__lt=period.end_at)
    total = people.count()
    uncategorised = people.filter(intelligence__isnull=True).count()
    victim_only = _victim_only_people(period.end_at)
    nominated = (
        Nomination.objects.filter(status__in=Nomination.OPEN_STATUSES, person__in=victim_only)
        .values("person_id")
        .distinct()
        .count()
    )
    scored = HarmScore.objects.filter(is_current=True, total__gt=0, person__in=victim_only).count()
    victim_items = {
        str(pk)
        for pk in IntelligenceItem.objects.filter(category__in=[Category.VICTIM, Category.WITNESS]).values_list(
            "id", flat=True
        )
    }
    counted = len(victim_items & _counted_items())
    figures = (
        Figure("people", "People recorded", total, current=True),
        Figure("uncategorised", "People with no record stating their s.38(3) category", uncategorised, current=True),
        Figure("victims_only", "People recorded only as victims or witnesses", victim_only.count(), current=True),
        Figure("victims_nominated", "Of them, on the matrix (open nomination)", nominated, current=True),
        Figure("victims_scored", "Of them, with a harm score above 0", scored, current=True),
        Figure("victim_records_counted", "Victim or witness records counted in a harm score", counted, current=True),
    )
    failed = bool(nominated or scored or counted)
    status = _status(failed=failed, partial=uncategorised > 0)
    reason = (
        f"{nominated} victim(s) or witness(es) on the matrix, {scored} scored, {counted} victim record(s) counted; "
        f"{uncategorised} of {total} people without a category."
    )
    outstanding = _issues(
        (nominated, f"Remove the {nominated} victim(s) or witness(es) from the matrix."),
        (scored, f"Rescore the {scored} victim(s) or witness(es) with a harm score above 0."),
        (counted, f"{counted} victim or witness record(s) are counted in a score."),
        (uncategorised, f"Record the category of the {uncategorised} people with no record."),
    )
    return Evidence("A1.2", status, reason, figures, outstanding)


# -- A1.3 retention ------------------------------------------------------------------------------------------------


def a1_3_retention(period: Period) -> Evidence:
    """A retention schedule in force; reviews overdue and erasures overdue at the period's end; erasures done."""
    schedule = RetentionSchedule.objects.filter(created_at__lt=period.end_at).order_by("-version").first()
    overdue = (
        Review.objects.filter(opened_at__lt=period.end_at, due_on__lt=period.as_of)
        .filter(Q(decided_at__isnull=True) | Q(decided_at__gte=period.end_at))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=period.end_at))
        .count()
    )
    erasures_overdue = (
        Review.objects.filter(decision=Decision.REMOVE, erasure_due_at__lt=period.end_at)
        .filter(
            Q(status=Review.Status.REMOVAL_SCHEDULED) | Q(status=Review.Status.ERASED, closed_at__gte=period.end_at)
        )
        .count()
    )
    erased = Tombstone.objects.filter(period.in_period("erased_at")).count()
    figures = (
        Figure("schedule_version", "Retention schedule in force (version)", schedule.version if schedule else "none"),
        Figure("reviews_overdue", "Reviews past their due date and undecided", overdue),
        Figure("erasures_overdue", "Erasures past their due time and not done", erasures_overdue),
        Figure("erased", "People erased in the month", erased),
    )
    status = _status(failed=schedule is None, partial=bool(overdue or erasures_overdue))
    if schedule is None:
        reason = "No retention schedule is in force."
    else:
        reason = (
            f"Schedule version {schedule.version} in force; {overdue} review(s) overdue, "
            f"{erasures_overdue} erasure(s) overdue, {erased} erased in the month."
        )
    outstanding = _issues(
        (schedule is None, "Load a retention schedule (custos init loads the default)."),
        (overdue, f"Decide the {overdue} overdue review(s)."),
        (erasures_overdue, f"Carry out the {erasures_overdue} overdue erasure(s) (custos retention_sweep)."),
    )
    return Evidence("A1.3", status, reason, figures, outstanding)


# -- A1.4 informal lists and A1.10 loss detection ---------------------------------------------------------------------


def _scans_in(period: Period) -> int:
    return ScanRun.objects.filter(period.in_period("finished_at"), status=ScanRun.Status.FINISHED).count()


def _findings_open_at(moment: dt.datetime) -> models.QuerySet[Finding]:
    """Copy findings recorded before ``moment`` and neither erased nor closed by then."""
    return (
        Finding.objects.filter(kind__in=COPY_FINDINGS, created_at__lt=moment)
        .filter(Q(erasure_confirmed_at__isnull=True) | Q(erasure_confirmed_at__gte=moment))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=moment))
    )


def _exports_overdue(period: Period) -> int:
    return (
        Export.objects.filter(created_at__lt=period.end_at, expires_on__lt=period.as_of)
        .filter(Q(destroyed_at__isnull=True) | Q(destroyed_at__gte=period.end_at))
        .count()
    )


def a1_4_informal_lists(period: Period) -> Evidence:
    """The scanner ran in the month; copies it found are erased; exports past expiry are destroyed."""
    scans = _scans_in(period)
    still_open = _findings_open_at(period.end_at)
    open_copies = still_open.count()
    open_erased = still_open.filter(kind=Finding.Kind.ERASED_PERSON).count()
    erased = Finding.objects.filter(period.in_period("erasure_confirmed_at")).count()
    overdue = _exports_overdue(period)
    figures = (
        Figure("scans", "Scans for copies finished in the month", scans),
        Figure("open_copies", "Copies found and not yet erased or closed", open_copies),
        Figure("open_erased_people", "Of them, copies naming people since erased", open_erased),
        Figure("copies_erased", "Copies confirmed erased in the month", erased),
        Figure("exports_overdue", "Exports past their destroy-by date, destruction not confirmed", overdue),
    )
    status = _status(failed=scans == 0, partial=bool(open_copies or overdue))
    reason = (
        f"{scans} scan(s) in the month; {open_copies} copy finding(s) open ({open_erased} of erased people); "
        f"{overdue} export(s) overdue for destruction."
    )
    outstanding = _issues(
        (scans == 0, "Run the copy scanner over the shared drives (custos dlp_scan)."),
        (open_copies, f"Erase or close the {open_copies} copy finding(s)."),
        (overdue, f"Confirm destruction of the {overdue} overdue export(s)."),
    )
    return Evidence("A1.4", status, reason, figures, outstanding)


def a1_10_loss_detection(period: Period) -> Evidence:
    """Exports go through the export service with a canary each; the scanner runs; findings are handled."""
    index = IndexState.objects.filter(pk=1).first()
    indexed = bool(index and index.rebuilt_at and index.rebuilt_at < period.end_at)
    exports = Export.objects.filter(period.in_period("created_at"))
    export_count = exports.count()
    canaries = Canary.objects.filter(period.in_period("created_at")).count()
    refs = set(Canary.objects.values_list("export_ref", flat=True))
    without = sum(1 for export in exports.only("id") if export.ref not in refs)
    scans = _scans_in(period)
    recorded = Finding.objects.filter(period.in_period("created_at")).count()
    handled = Finding.objects.filter(period.in_period("erasure_confirmed_at") | period.in_period("closed_at")).count()
    stale_at = period.end_at - dt.timedelta(days=FINDING_STALE_DAYS)
    stale = _findings_open_at(period.end_at).filter(created_at__lt=stale_at).count()
    figures = (
        Figure("indexed", "Fingerprint index built", "yes" if indexed else "no"),
        Figure("exports", "Exports made through the export service in the month", export_count),
        Figure("canaries", "Canaries planted in the month", canaries),
        Figure("exports_without_canary", "Exports in the month without a canary", without),
        Figure("scans", "Scans finished in the month", scans),
        Figure("findings_recorded", "Findings recorded in the month", recorded),
        Figure("findings_handled", "Findings erased or closed in the month", handled),
        Figure("findings_stale", f"Copy findings open more than {FINDING_STALE_DAYS} days", stale),
    )
    status = _status(failed=not indexed or scans == 0, partial=bool(without or stale))
    reason = (
        f"{export_count} export(s) with {canaries} canary(ies); {scans} scan(s); {recorded} finding(s) recorded, "
        f"{handled} handled, {stale} open over {FINDING_STALE_DAYS} days."
    )
    outstanding = _issues(
        (not indexed, "Build the fingerprint index (custos dlp_index)."),
        (scans == 0, "Run the copy scanner in the month (custos dlp_scan)."),
        (without, f"{without} export(s) carry no canary."),
        (stale, f"Handle the {stale} finding(s) open over {FINDING_STALE_DAYS} days."),
    )
    return Evidence("A1.10", status, reason, figures, outstanding)


# -- A1.5, A1.6, A1.7 sharing ----------------------------------------------------------------------------------------


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, month_last_day(dt.date(year, month + 1, 1)).day))


def a1_5_sharing_review(period: Period) -> Evidence:
    """A sharing review (``sharing.reviewed``) produced within the last months; legacy shares imported and flagged."""
    last = (
        AuditEvent.objects.filter(verb=Verb.SHARING_REVIEWED, occurred_at__lt=period.end_at)
        .order_by("-seq")
        .values_list("occurred_at", flat=True)
        .first()
    )
    since = _midnight(_months_before(period.as_of, SHARING_REVIEW_MONTHS))
    recent = last is not None and last >= since
    in_month = AuditEvent.objects.filter(period.in_period("occurred_at"), verb=Verb.SHARING_REVIEWED).count()
    legacy = list(LegacyShare.objects.filter(imported_at__lt=period.end_at).select_related("agreement"))
    flagged = sum(1 for share in legacy if legacy_flags(share))
    disclosures = Disclosure.objects.filter(status=Disclosure.Status.DISCLOSED, decided_at__lt=period.end_at).count()
    figures = (
        Figure(
            "last_review", "Last sharing review produced", timezone.localdate(last).isoformat() if last else "never"
        ),
        Figure("reviews_in_month", "Sharing reviews produced in the month", in_month),
        Figure("disclosures", "Disclosures made through Custos, in all", disclosures),
        Figure("legacy_shares", "Legacy shares imported from earlier logs", len(legacy)),
        Figure("legacy_flagged", "Of them, flagged (no agreement, or outside the rules)", flagged),
    )
    status = _status(failed=last is None, partial=not recent)
    if last is None:
        reason = "No sharing review has been produced."
    else:
        reason = (
            f"Last review on {timezone.localdate(last).isoformat()}; {len(legacy)} legacy share(s) imported, "
            f"{flagged} flagged; {disclosures} disclosure(s) covered."
        )
    outstanding = _issues(
        (last is None, "Produce the sharing review (custos sharing_review)."),
        (last is not None and not recent, f"The sharing review is older than {SHARING_REVIEW_MONTHS} months."),
    )
    return Evidence("A1.5", status, reason, figures, outstanding)


def _disclosed_in(period: Period) -> models.QuerySet[Disclosure]:
    return Disclosure.objects.filter(period.in_period("decided_at"), status=Disclosure.Status.DISCLOSED)


def _failed_checks(disclosure: Disclosure) -> bool:
    return any(not check.get("passed", False) for check in disclosure.checks or [])


def a1_6_sharing_guidance(period: Period) -> Evidence:
    """The sharing rules exist; every agreement in force records its recipient's kind; no disclosure failed them."""
    in_force = [a for a in Agreement.objects.filter(approved_at__lt=period.end_at) if a.in_force(period.as_of)]
    kinds = set(RecipientKind.values)
    unkinded = sum(1 for a in in_force if a.recipient_kind not in kinds)
    older = sum(1 for a in in_force if a.guidance_version < sharing_rules.GUIDANCE_VERSION)
    failed = sum(1 for d in _disclosed_in(period) if _failed_checks(d))
    statutory = sum(1 for a in in_force if a.recipient_kind == RecipientKind.STATUTORY)
    figures = (
        Figure("guidance_version", "Sharing guidance version", sharing_rules.GUIDANCE_VERSION, current=True),
        Figure("agreements_in_force", "Agreements in force", len(in_force), current=True),
        Figure("statutory", "Of them, with a recipient exercising statutory functions", statutory, current=True),
        Figure("kind_not_recorded", "Of them, without the recipient's kind recorded", unkinded, current=True),
        Figure("older_guidance", "Of them, approved under an earlier guidance version", older, current=True),
        Figure("failed_policy", "Disclosures in the month that failed a policy check", failed),
    )
    status = _status(failed=failed > 0, partial=bool(unkinded or older))
    reason = (
        f"Guidance version {sharing_rules.GUIDANCE_VERSION}; {len(in_force)} agreement(s) in force, "
        f"{unkinded} without the recipient's kind; {failed} disclosure(s) failed policy."
    )
    outstanding = _issues(
        (failed, f"{failed} disclosure(s) were made despite a failed policy check."),
        (unkinded, f"Record the recipient's kind on {unkinded} agreement(s)."),
        (older, f"Review {older} agreement(s) against the current guidance."),
    )
    return Evidence("A1.6", status, reason, figures, outstanding)


def _under_approved_agreement(disclosure: Disclosure) -> bool:
    """Made under an agreement the IRU had approved by then, and before its review date."""
    agreement = disclosure.agreement
    approver = agreement.approved_by
    made = disclosure.decided_at
    if made is None or approver is None or agreement.approved_at is None:
        return False
    if approver.role != Role.IRU:
        return False
    return agreement.approved_at <= made and timezone.localdate(made) <= agreement.review_date


def a1_7_agreements(period: Period) -> Evidence:
    """Disclosures in the month all under an agreement approved by the IRU and in force; agreements past review."""
    disclosed = list(_disclosed_in(period).select_related("agreement", "agreement__approved_by"))
    outside = sum(1 for disclosure in disclosed if not _under_approved_agreement(disclosure))
    past_review = Agreement.objects.filter(
        status=Agreement.Status.APPROVED, approved_at__lt=period.end_at, review_date__lt=period.as_of
    ).count()
    approved = Agreement.objects.filter(approved_at__lt=period.end_at, approved_by__role=Role.IRU).count()
    not_destroyed = (
        Disclosure.objects.filter(status=Disclosure.Status.DISCLOSED, expires_on__lt=period.as_of)
        .filter(Q(destroyed_at__isnull=True) | Q(destroyed_at__gte=period.end_at))
        .count()
    )
    figures = (
        Figure("agreements_approved", "Agreements approved by the Information Rights Unit", approved),
        Figure("disclosures", "Disclosures made in the month", len(disclosed)),
        Figure("outside_agreement", "Of them, not under an IRU-approved agreement in force", outside),
        Figure("past_review", "Approved agreements past their review date (no disclosure possible)", past_review),
        Figure("packages_not_destroyed", "Packages past their destroy-by date, not confirmed destroyed", not_destroyed),
    )
    status = _status(failed=outside > 0, partial=bool(not_destroyed))
    reason = (
        f"{len(disclosed)} disclosure(s) in the month, {outside} outside an approved agreement; "
        f"{past_review} agreement(s) past review; {not_destroyed} package(s) overdue for destruction."
    )
    outstanding = _issues(
        (outside, f"{outside} disclosure(s) were made outside an IRU-approved agreement in force."),
        (not_destroyed, f"Obtain confirmation of destruction for {not_destroyed} package(s)."),
        (past_review, f"Renew or end {past_review} agreement(s) past their review date (custos sharing_sweep)."),
    )
    return Evidence("A1.7", status, reason, figures, outstanding)


# -- A1.8, A1.9 training --------------------------------------------------------------------------------------------


def _training(users: Sequence[User], course: Course, as_of: dt.date) -> tuple[int, int, int]:
    """(current, expired, missing) for one course as of a day, from records completed by then."""
    latest = dict(
        TrainingRecord.objects.filter(user__in=list(users), course=course, completed_on__lte=as_of)
        .values("user_id")
        .annotate(latest=Max("expires_on"))
        .values_list("user_id", "latest")
    )
    current = expired = missing = 0
    for user in users:
        status = CourseStatus(course=course, expires_on=latest.get(user.pk), today=as_of)
        if status.is_current:
            current += 1
        elif status.expires_on is None:
            missing += 1
        else:
            expired += 1
    return current, expired, missing


def _training_evidence(code: str, course: Course, roles: Iterable[str], who: str, period: Period) -> Evidence:
    users = list(User.objects.filter(is_active=True, role__in=list(roles)).order_by("pk"))
    current, expired, missing = _training(users, course, period.as_of)
    total = len(users)
    figures = (
        Figure("users", f"Active accounts: {who}", total, current=True),
        Figure("current", f"{Course(course).label} current", current),
        Figure("expired", "Expired", expired),
        Figure("missing", "Never recorded", missing),
    )
    status = _status(failed=current == 0, partial=current < total)
    reason = f"{current} of {total} ({who}) hold current {Course(course).label.lower()}."
    outstanding = _issues(
        (expired, f"{expired} account(s) must renew the course."),
        (missing, f"{missing} account(s) have never completed it."),
        (total == 0, "No active account is recorded."),
    )
    notes = ("Personal data is refused to an account whose training is not current.",)
    return Evidence(code, status, reason, figures, outstanding, notes)


def a1_8_purpose_training(period: Period) -> Evidence:
    """Purpose-specific Matrix training current for every active account whose role reads personal data."""
    return _training_evidence(
        "A1.8", Course.MATRIX_PURPOSE, PERSONAL_DATA_ROLES, "roles that read personal data", period
    )


def a1_9_data_protection_training(period: Period) -> Evidence:
    """Mandatory data protection training current for every active account of a BCU unit (the gang units)."""
    return _training_evidence("A1.9", Course.DATA_PROTECTION, BCU_SCOPED_ROLES, "BCU officers, analysts, SPOCs", period)


# -- A1.11 access removed ------------------------------------------------------------------------------------------


def a1_11_access(period: Period) -> Evidence:
    """No active account past its recertification deadline or dormancy deadline; suspensions and attestations."""
    moment = period.end_at
    users = list(User.objects.filter(is_active=True).annotate(last_token_use=Max("api_tokens__last_used_at")))
    due = sum(1 for u in users if recertification_due(u) < moment)
    past_deadline = sum(1 for u in users if recertification_deadline(u) < moment)
    dormant = sum(1 for u in users if dormancy_deadline(u, u.last_token_use) < moment)
    suspended: dict[str, int] = {}
    for detail in AuditEvent.objects.filter(period.in_period("occurred_at"), verb=Verb.USER_SUSPENDED).values_list(
        "detail", flat=True
    ):
        reason_code = str((detail or {}).get("reason", ""))
        suspended[reason_code] = suspended.get(reason_code, 0) + 1
    attested = Attestation.objects.filter(period.in_period("attested_at")).count()
    figures = (
        Figure("active", "Active accounts", len(users), current=True),
        Figure("recertification_due", "Past their recertification date", due, current=True),
        Figure("recertification_lapsed", "Past the recertification grace period", past_deadline, current=True),
        Figure("dormant", "Past the dormancy period", dormant, current=True),
        Figure("attested", "Access attestations in the month", attested),
        Figure("suspended_dormant", "Suspended in the month: dormant", suspended.get(Suspension.DORMANT, 0)),
        Figure(
            "suspended_unrecertified",
            "Suspended in the month: not recertified",
            suspended.get(Suspension.NOT_RECERTIFIED, 0) + suspended.get(Suspension.NOT_NEEDED, 0),
        ),
        Figure("suspended_leavers", "Suspended in the month: leavers", suspended.get(Suspension.LEAVER, 0)),
        Figure("suspended_total", "Suspended in the month, in all", sum(suspended.values())),
    )
    status = _status(failed=bool(past_deadline or dormant), partial=due > 0)
    reason = (
        f"{len(users)} active account(s): {due} past recertification ({past_deadline} past the grace period), "
        f"{dormant} dormant; {sum(suspended.values())} suspended in the month."
    )
    outstanding = _issues(
        (past_deadline or dormant, "Suspend lapsed and dormant accounts (custos access_sweep)."),
        (due, f"SPOCs must recertify {due} account(s)."),
    )
    return Evidence("A1.11", status, reason, figures, outstanding)


# -- A1.12 access log ------------------------------------------------------------------------------------------------


def a1_12_access_log(period: Period, *, full_verify: bool = False) -> Evidence:
    """The log verifies (in full, or the latest checkpoint's signature), a checkpoint was signed, events recorded."""
    events = AuditEvent.objects.filter(period.in_period("occurred_at"))
    recorded = events.count()
    consultations = events.filter(verb__in=list(CONSULTATION_VERBS)).count()
    disclosures = events.filter(verb=Verb.DISCLOSURE_MADE).count()
    checkpoints = AuditCheckpoint.objects.filter(period.in_period("created_at")).count()
    latest = audit_checkpoints.checkpoint_latest()
    if full_verify:
        result = audit_verify.log_verify()
        ok, method = result.ok, f"full: {result.checked} events and {result.checkpoints} checkpoints checked"
        problem = result.reason
    elif latest is None:
        ok, method, problem = True, "latest checkpoint: none yet signed", ""
    else:
        try:
            ok = audit_checkpoints.signature_valid(latest, signing.trusted_public_keys())
        except signing.SigningKeyUnavailable:
            ok = False
        method, problem = f"signature of checkpoint #{latest.id} only", "" if ok else "signature does not verify"
    figures = (
        Figure("verified", "Log verifies", "yes" if ok else "no", current=True),
        Figure("verification", "How it was verified (at generation)", method, current=True),
        Figure("events", "Events recorded in the month", recorded),
        Figure("consultations", "Consultations of personal data recorded in the month", consultations),
        Figure("disclosures", "Disclosures recorded in the month", disclosures),
        Figure("checkpoints", "Signed checkpoints in the month", checkpoints),
        Figure("latest_checkpoint", "Latest checkpoint", f"#{latest.id}" if latest else "none", current=True),
    )
    status = _status(failed=not ok, partial=checkpoints == 0)
    reason = (
        f"Log verified ({method}): {'yes' if ok else 'NO'}; {recorded} event(s), {consultations} consultation(s), "
        f"{checkpoints} checkpoint(s) in the month."
    )
    outstanding = _issues(
        (not ok, f"The log does not verify: {problem or 'see custos audit_verify'}."),
        (checkpoints == 0, "Sign a checkpoint of the log (custos audit_checkpoint)."),
    )
    notes = () if full_verify else ("The tracker checks the latest checkpoint only; the monthly report verifies all.",)
    return Evidence("A1.12", status, reason, figures, outstanding, notes)


# -- A1.13 encryption ------------------------------------------------------------------------------------------------


def a1_13_encryption(period: Period) -> Evidence:
    """The key provider works; every person has a wrapped data key; packages are age-encrypted; TLS and HSTS on."""
    try:
        provider = keys.get_provider().kind
    except keys.KeyUnavailable:
        provider = ""
    unwrapped = Person.objects.filter(Q(data_key__wrapped__isnull=True) | Q(data_key__shredded_at__isnull=False))
    without_key = unwrapped.count()
    disclosed = list(_disclosed_in(period).values_list("export_ref", flat=True))
    age_refs = {e.ref for e in Export.objects.filter(fmt=Export.Format.PACKAGE).only("id")}
    unencrypted = sum(1 for ref in disclosed if ref not in age_refs)
    tls = bool(settings.SECURE_SSL_REDIRECT) and int(settings.SECURE_HSTS_SECONDS or 0) > 0
    cookies = bool(settings.SESSION_COOKIE_SECURE)
    figures = (
        Figure("key_provider", "Key provider", provider or "unavailable", current=True),
        Figure("people_without_key", "People whose data key is not wrapped", without_key, current=True),
        Figure("packages", "Sharing packages made in the month", len(disclosed)),
        Figure("packages_unencrypted", "Of them, not age-encrypted to the recipient", unencrypted),
        Figure("https", "HTTPS redirect and HSTS", "on" if tls else "off", current=True),
        Figure("secure_cookies", "Secure cookies", "on" if cookies else "off", current=True),
    )
    failed = not provider or bool(without_key or unencrypted)
    status = _status(failed=failed, partial=not (tls and cookies))
    reason = (
        f"Key provider {provider or 'unavailable'}; {without_key} person(s) without a wrapped key; "
        f"{unencrypted} of {len(disclosed)} package(s) unencrypted; HTTPS/HSTS {'on' if tls else 'off'}."
    )
    outstanding = _issues(
        (not provider, "The key provider cannot be used (custos keys_status)."),
        (without_key, f"{without_key} person(s) have no wrapped data key."),
        (unencrypted, f"{unencrypted} package(s) were not age-encrypted."),
        (not (tls and cookies), "Serve over TLS: set CUSTOS_HTTPS=1 (HTTPS redirect, HSTS, secure cookies)."),
    )
    return Evidence("A1.13", status, reason, figures, outstanding)


# -- A1.14, A1.15 guidance --------------------------------------------------------------------------------------------


def guidance_evidence(period: Period) -> dict[str, Any]:
    """The guidance library's figures for the period (``guidance.selectors.tracker_evidence``)."""
    return tracker_evidence(period.as_of, period.start, period.as_of)


def _topic_in_force(topic: dict[str, Any]) -> bool:
    return topic.get("version") is not None


def a1_14_social_media(period: Period, guidance: dict[str, Any] | None = None) -> Evidence:
    """The social-media guidance in force; no unverified item counted; items verified or rejected in the month."""
    if guidance is None:
        guidance = guidance_evidence(period)
    topics = guidance.get("topics", [])
    topic = next((t for t in topics if t.get("slug") == SOCIAL_MEDIA_TOPIC), None)
    in_force = bool(topic and _topic_in_force(topic))
    social = IntelligenceItem.objects.filter(source_type=SourceType.SOCIAL_MEDIA, created_at__lt=period.end_at)
    unverified_ids = {
        str(pk) for pk in social.filter(verification=Verification.UNVERIFIED).values_list("id", flat=True)
    }
    counted = len(unverified_ids & _counted_items())
    stale_at = period.end_at - dt.timedelta(days=UNVERIFIED_STALE_DAYS)
    stale = social.filter(verification=Verification.UNVERIFIED, created_at__lt=stale_at).count()
    decided = AuditEvent.objects.filter(period.in_period("occurred_at"), verb=Verb.INTELLIGENCE_VERIFIED).count()
    figures = (
        Figure(
            "guidance_version",
            "Social-media guidance in force (version)",
            topic["version"] if topic and in_force else "none",
        ),
        Figure("unverified", "Unverified social-media items held", len(unverified_ids), current=True),
        Figure("unverified_counted", "Unverified items counted in a harm score", counted, current=True),
        Figure("unverified_stale", f"Unverified for more than {UNVERIFIED_STALE_DAYS} days", stale, current=True),
        Figure("verified_or_rejected", "Items verified or rejected in the month", decided),
    )
    status = _status(failed=not in_force or counted > 0, partial=stale > 0)
    reason = (
        f"Guidance {'in force' if in_force else 'not in force'}; {counted} unverified item(s) counted; "
        f"{decided} verified or rejected in the month; {stale} waiting over {UNVERIFIED_STALE_DAYS} days."
    )
    outstanding = _issues(
        (not in_force, "Publish the social-media guidance."),
        (counted, f"{counted} unverified item(s) are counted in a score."),
        (stale, f"Verify or reject the {stale} item(s) waiting over {UNVERIFIED_STALE_DAYS} days."),
    )
    return Evidence("A1.14", status, reason, figures, outstanding)


def a1_15_decision_guidance(period: Period, guidance: dict[str, Any] | None = None) -> Evidence:
    """The four decision topics in force; decisions recording the guidance version; gangs with an evidence basis."""
    if guidance is None:
        guidance = guidance_evidence(period)
    topics = [t for t in guidance.get("topics", []) if t.get("slug") != SOCIAL_MEDIA_TOPIC]
    in_force = sum(1 for t in topics if _topic_in_force(t))
    decisions = int(guidance.get("decisions", 0))
    with_guidance = int(guidance.get("decisions_with_guidance", 0))
    gangs = Gang.objects.filter(status=Gang.Status.ACTIVE, created_at__lt=period.end_at)
    gang_count = gangs.count()
    evidenced = sum(1 for basis in gangs.values_list("evidence_basis", flat=True) if (basis or "").strip())
    share = f"{round(100 * with_guidance / decisions)}%" if decisions else "–"
    figures = (
        Figure("topics_in_force", f"Decision guidance topics in force (of {DECISION_TOPICS_REQUIRED})", in_force),
        Figure("decisions", "Decisions in the month", decisions),
        Figure("decisions_with_guidance", "Of them, recording the guidance version", with_guidance),
        Figure("share_with_guidance", "Share recording the guidance", share),
        Figure("gangs", "Active gangs", gang_count, current=True),
        Figure("gangs_evidenced", "Of them, with an evidence basis", evidenced, current=True),
    )
    failed = in_force < DECISION_TOPICS_REQUIRED
    partial = with_guidance < decisions or evidenced < gang_count
    status = _status(failed=failed, partial=partial)
    reason = (
        f"{in_force} of {DECISION_TOPICS_REQUIRED} topics in force; {with_guidance} of {decisions} decision(s) "
        f"record the guidance; {evidenced} of {gang_count} gang(s) evidenced."
    )
    outstanding = _issues(
        (failed, f"Publish {DECISION_TOPICS_REQUIRED - in_force} more guidance topic(s)."),
        (with_guidance < decisions, f"{decisions - with_guidance} decision(s) did not record the guidance."),
        (evidenced < gang_count, f"Record the evidence basis of {gang_count - evidenced} gang(s)."),
    )
    return Evidence("A1.15", status, reason, figures, outstanding)


# -- A1.16 BCU audits ------------------------------------------------------------------------------------------------


def a1_16_bcu_audits(period: Period) -> Evidence:
    """Every BCU audited as of a day in the month."""
    codes = set(BCU.objects.values_list("code", flat=True))
    audited = set(
        BcuAudit.objects.filter(as_of__gte=period.start, as_of__lte=period.as_of, bcu_code__in=list(codes))
        .values("bcu_code")
        .annotate(n=Count("id"))
        .values_list("bcu_code", flat=True)
    )
    runs = BcuAudit.objects.filter(as_of__gte=period.start, as_of__lte=period.as_of).count()
    missing = len(codes - audited)
    figures = (
        Figure("bcus", "BCUs", len(codes), current=True),
        Figure("audited", "BCUs audited in the month", len(audited)),
        Figure("not_audited", "BCUs not audited in the month", missing),
        Figure("audits", "Audits run in the month", runs),
    )
    status = _status(failed=not audited, partial=missing > 0)
    reason = f"{len(audited)} of {len(codes)} BCU(s) audited in the month ({runs} audit(s))."
    outstanding = _issues((missing, f"Audit the {missing} BCU(s) not audited (custos bcu_audit --all)."))
    return Evidence("A1.16", status, reason, figures, outstanding)


# -- all of them ---------------------------------------------------------------------------------------------------

Evaluator = Callable[[Period], Evidence]


def evaluate(period: Period, *, full_verify: bool = False) -> list[Evidence]:
    """Every term, in order. ``full_verify`` walks the whole log for A1.12 (the monthly report does)."""
    guidance = guidance_evidence(period)
    return [
        a1_1_dpia(period),
        a1_2_victims(period),
        a1_3_retention(period),
        a1_4_informal_lists(period),
        a1_5_sharing_review(period),
        a1_6_sharing_guidance(period),
        a1_7_agreements(period),
        a1_8_purpose_training(period),
        a1_9_data_protection_training(period),
        a1_10_loss_detection(period),
        a1_11_access(period),
        a1_12_access_log(period, full_verify=full_verify),
        a1_13_encryption(period),
        a1_14_social_media(period, guidance),
        a1_15_decision_guidance(period, guidance),
        a1_16_bcu_audits(period),
    ]
