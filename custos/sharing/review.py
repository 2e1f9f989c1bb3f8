"""The sharing review (Annex 1 term 5): every disclosure, counted, and what would now fail the rules.

The review reads disclosures made through Custos (status disclosed) and the
lines of legacy share logs imported before it (``LegacyShare``) and counts
them by recipient, agreement, legal basis, kind of recipient, RAG band and
category of the people shared, and by month. It holds no personal data:
counts, codes and references (``D-…``, ``ISA-…``, a log's name and line).

It also flags what would fail the rules now:

- a disclosure made under an agreement since revoked or expired;
- a disclosure the guidance (``rules``) would refuse today: a band, category
  or field outside the agreement's current lists, or a departure from the
  guidance for a recipient with no statutory function that the agreement
  does not record as an exception;
- a package past its destroy-by date whose destruction is not confirmed;
- a legacy share without an agreement, naming an agreement the register
  does not know, or made when the agreement named was not in force;
- a legacy share to a recipient with no statutory function (or of unknown
  kind) of people in the green band or not on the matrix, of victims or
  witnesses, or of intelligence text, without an exception recorded.

``review_build`` is the pure-ish part (reads, writes nothing);
``review_for`` authorises the viewer and records ``sharing.reviewed``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import event_record
from custos.sharing import policies, rules
from custos.sharing.models import Agreement, Disclosure, LegacyShare, RecipientKind

# WeasyPrint reports each step of every PDF at INFO: not what an operator's log is for.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
#: The PDF's stylesheet, kept out of the template (templates carry no inline style: see the CSP test).
STYLESHEET = Path(__file__).resolve().parent / "data" / "review.css"

#: The kind of a legacy recipient when the log does not say.
UNKNOWN_KIND = "unknown"
KIND_LABELS = {
    RecipientKind.STATUTORY.value: "Exercises statutory functions",
    RecipientKind.NON_STATUTORY.value: "No statutory function",
    UNKNOWN_KIND: "Not recorded",
}
#: People a legacy line counts but does not place in a band.
UNRECORDED = "unrecorded"
BAND_LABELS = {**rules.BANDS, UNRECORDED: "Band not recorded (legacy)"}
NO_ISA = "(none)"
NOT_RECORDED = "Not recorded"

#: Flag codes, with what each means.
RULES: dict[str, str] = {
    "isa_revoked": "Agreement since revoked",
    "isa_expired": "Agreement since expired",
    "bands": "Band outside the agreement",
    "categories": "Category outside the agreement",
    "fields": "Field outside the agreement",
    rules.INTELLIGENCE_TEXT: rules.EXCEPTIONS[rules.INTELLIGENCE_TEXT],
    rules.VICTIMS: rules.EXCEPTIONS[rules.VICTIMS],
    rules.LOW_RISK: rules.EXCEPTIONS[rules.LOW_RISK],
    "package_not_destroyed": "Package past its destroy-by date, destruction not confirmed",
    "no_isa": "Legacy share without an agreement",
    "unknown_isa": "Legacy share naming an agreement not in the register",
    "isa_not_in_force": "Legacy share when the agreement was not in force",
}


@dataclass(frozen=True)
class ReviewFilters:
    """What the review covers: shares from ``date_from`` to ``date_to`` (inclusive), of one kind of recipient."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    recipient_kind: str = ""

    def as_detail(self) -> dict[str, str]:
        return {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "recipient_kind": self.recipient_kind,
        }


@dataclass
class Tally:
    """Shares and people counted under one heading, Custos and legacy apart."""

    key: str
    label: str
    disclosures: int = 0
    people: int = 0
    legacy_shares: int = 0
    legacy_people: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def shares(self) -> int:
        return self.disclosures + self.legacy_shares

    @property
    def all_people(self) -> int:
        return self.people + self.legacy_people


@dataclass(frozen=True)
class Flag:
    """Something that would fail the rules now: the share's reference, the rule, a plain-English message."""

    ref: str
    rule: str
    message: str
    source: str  # "custos" or "legacy"
    on: dt.date


@dataclass
class Review:
    """The sharing review: totals, the counts by section, the flags. No personal data."""

    filters: ReviewFilters
    today: dt.date
    disclosures: int = 0
    people: int = 0
    legacy_shares: int = 0
    legacy_people: int = 0
    legacy_without_isa: int = 0
    by_recipient: list[Tally] = field(default_factory=list)
    by_isa: list[Tally] = field(default_factory=list)
    by_legal_basis: list[Tally] = field(default_factory=list)
    by_kind: list[Tally] = field(default_factory=list)
    by_band: list[Tally] = field(default_factory=list)
    by_category: list[Tally] = field(default_factory=list)
    by_month: list[Tally] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The totals, as recorded in the audit event."""
        return {
            "disclosures": self.disclosures,
            "people": self.people,
            "legacy_shares": self.legacy_shares,
            "legacy_people": self.legacy_people,
            "flags": len(self.flags),
        }

    def as_json(self) -> dict[str, Any]:
        def tallies(rows: list[Tally]) -> list[dict[str, Any]]:
            return [asdict(row) for row in rows]

        return {
            "today": self.today.isoformat(),
            "filters": self.filters.as_detail(),
            "totals": {**self.counts(), "legacy_without_isa": self.legacy_without_isa},
            "by_recipient": tallies(self.by_recipient),
            "by_isa": tallies(self.by_isa),
            "by_legal_basis": tallies(self.by_legal_basis),
            "by_kind": tallies(self.by_kind),
            "by_band": tallies(self.by_band),
            "by_category": tallies(self.by_category),
            "by_month": tallies(self.by_month),
            "flags": [{**asdict(f), "on": f.on.isoformat()} for f in self.flags],
        }


# -- reading -------------------------------------------------------------------------------------------------------


def _disclosures(filters: ReviewFilters) -> QuerySet[Disclosure]:
    rows = Disclosure.objects.filter(status=Disclosure.Status.DISCLOSED).select_related("agreement")
    zone = timezone.get_current_timezone()
    if filters.date_from:
        rows = rows.filter(decided_at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=zone))
    if filters.date_to:
        rows = rows.filter(
            decided_at__lt=dt.datetime.combine(filters.date_to, dt.time.min, tzinfo=zone) + dt.timedelta(days=1)
        )
    if filters.recipient_kind:
        rows = rows.filter(agreement__recipient_kind=filters.recipient_kind)
    return rows.order_by("decided_at")


def legacy_kind(share: LegacyShare) -> str:
    """The recipient's kind: as the log says, else as the agreement it names says, else unknown."""
    if share.recipient_kind:
        return share.recipient_kind
    if share.agreement is not None:
        return share.agreement.recipient_kind
    return UNKNOWN_KIND


def _legacy(filters: ReviewFilters) -> list[LegacyShare]:
    rows = LegacyShare.objects.select_related("agreement")
    if filters.date_from:
        rows = rows.filter(shared_on__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(shared_on__lte=filters.date_to)
    shares = list(rows.order_by("shared_on", "source_name", "line"))
    if filters.recipient_kind:
        shares = [s for s in shares if legacy_kind(s) == filters.recipient_kind]
    return shares


def _day(disclosure: Disclosure) -> dt.date:
    return timezone.localdate(disclosure.decided_at or disclosure.requested_at)


def legacy_ref(share: LegacyShare) -> str:
    return f"{share.source_name} line {share.line}"


# -- flags ---------------------------------------------------------------------------------------------------------


def _recorded(exceptions: Mapping[str, str], code: str) -> bool:
    return bool(" ".join(str(exceptions.get(code) or "").split()))


def disclosure_flags(disclosure: Disclosure, today: dt.date) -> list[Flag]:
    """What about one disclosure would fail the rules today."""
    agreement = disclosure.agreement
    ref = disclosure.short_ref
    on = _day(disclosure)

    def flag(rule: str, message: str) -> Flag:
        return Flag(ref=ref, rule=rule, message=message, source="custos", on=on)

    flags = []
    status = agreement.effective_status(today)
    if status == Agreement.Status.REVOKED:
        when = f" on {timezone.localdate(agreement.ended_at).isoformat()}" if agreement.ended_at else ""
        flags.append(flag("isa_revoked", f"{ref} was made under {agreement.code}, since revoked{when}."))
    elif status == Agreement.Status.EXPIRED:
        flags.append(
            flag(
                "isa_expired",
                f"{ref} was made under {agreement.code}, which expired on {agreement.review_date.isoformat()}.",
            )
        )
    bands = [b for b, n in disclosure.band_counts.items() if n]
    categories = [c for c, n in disclosure.category_counts.items() if n]
    outside = sorted(set(bands) - set(agreement.bands))
    if outside:
        flags.append(
            flag(
                "bands", f"{ref} shared people in band(s) {', '.join(outside)}, which {agreement.code} does not cover."
            )
        )
    outside = sorted(set(categories) - set(agreement.categories))
    if outside:
        flags.append(
            flag("categories", f"{ref} shared {', '.join(outside)}, a category {agreement.code} does not cover.")
        )
    outside = sorted(f for f in disclosure.fields if f not in agreement.fields or f not in rules.FIELDS)
    if outside:
        flags.append(flag("fields", f"{ref} shared field(s) {', '.join(outside)}, outside {agreement.code}."))
    needed = rules.exceptions_needed(
        statutory=agreement.is_statutory, fields=disclosure.fields, categories=categories, bands=bands
    )
    for code in needed:
        if not _recorded(agreement.exceptions, code):
            flags.append(
                flag(
                    code,
                    f"{ref}: {rules.EXCEPTIONS[code].lower()}, and {agreement.code} records no exception for it.",
                )
            )
    if disclosure.expires_on and disclosure.expires_on < today and not disclosure.is_destroyed:
        flags.append(
            flag(
                "package_not_destroyed",
                f"{ref}: the package was to be destroyed by {disclosure.expires_on.isoformat()} and "
                f"{agreement.recipient_name} has not confirmed it.",
            )
        )
    return flags


def legacy_flags(share: LegacyShare) -> list[Flag]:
    """What about one legacy share would fail the rules: no agreement, an unknown one, one not in force."""
    ref = legacy_ref(share)

    def flag(rule: str, message: str) -> Flag:
        return Flag(ref=ref, rule=rule, message=message, source="legacy", on=share.shared_on)

    flags = []
    agreement = share.agreement
    if not share.isa_code:
        flags.append(flag("no_isa", f"{ref}: shared with {share.recipient_name} without an agreement."))
    elif agreement is None:
        flags.append(flag("unknown_isa", f"{ref}: names agreement {share.isa_code!r}, which is not in the register."))
    else:
        problem = _not_in_force(agreement, share.shared_on)
        if problem:
            flags.append(
                flag("isa_not_in_force", f"{ref}: {agreement.code} {problem} on {share.shared_on.isoformat()}.")
            )
    kind = legacy_kind(share)
    bands = [b for b, n in share.band_counts.items() if n]
    categories = [c for c, n in share.category_counts.items() if n]
    needed = rules.exceptions_needed(
        statutory=kind == RecipientKind.STATUTORY, fields=share.fields, categories=categories, bands=bands
    )
    who = (
        "a recipient with no statutory function"
        if kind == RecipientKind.NON_STATUTORY
        else "a recipient of unknown kind"
    )
    for code in needed:
        if agreement is not None and _recorded(agreement.exceptions, code):
            continue
        what = {
            rules.INTELLIGENCE_TEXT: "intelligence text",
            rules.VICTIMS: "victims or witnesses",
            rules.LOW_RISK: "people in the green band or not on the matrix",
        }[code]
        flags.append(flag(code, f"{ref}: {what} shared with {who} ({share.recipient_name}), without an exception."))
    return flags


def _not_in_force(agreement: Agreement, on: dt.date) -> str:
    """Why an agreement was not in force on a day ('' when it was)."""
    if agreement.approved_at is None:
        return "was never approved"
    if timezone.localdate(agreement.approved_at) > on:
        return f"was not yet approved (approved {timezone.localdate(agreement.approved_at).isoformat()})"
    if agreement.ended_at is not None and timezone.localdate(agreement.ended_at) < on:
        return f"had ended ({timezone.localdate(agreement.ended_at).isoformat()})"
    if agreement.review_date < on:
        return f"had passed its review date ({agreement.review_date.isoformat()})"
    return ""


# -- counting ------------------------------------------------------------------------------------------------------


class _Tallies:
    def __init__(self) -> None:
        self.rows: dict[str, Tally] = {}

    def get(self, key: str, label: str, **extra: str) -> Tally:
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = Tally(key=key, label=label, extra=dict(extra))
        return row

    def add(self, key: str, label: str, *, custos: bool, people: int, shares: int = 1, **extra: str) -> None:
        row = self.get(key, label, **extra)
        if custos:
            row.disclosures += shares
            row.people += people
        else:
            row.legacy_shares += shares
            row.legacy_people += people

    def by_size(self) -> list[Tally]:
        return sorted(self.rows.values(), key=lambda t: (-t.shares, -t.all_people, t.label))

    def by_order(self, order: Iterable[str]) -> list[Tally]:
        keys = list(order)
        rank = {k: i for i, k in enumerate(keys)}
        return sorted(self.rows.values(), key=lambda t: (rank.get(t.key, len(keys)), t.key))


def _basis(text: str) -> str:
    return " ".join((text or "").split()) or NOT_RECORDED


def review_build(*, filters: ReviewFilters, today: dt.date | None = None) -> Review:
    """Count every disclosure and legacy share the filters cover and flag what would now fail the rules."""
    today = today or timezone.localdate()
    review = Review(filters=filters, today=today)
    recipients, isas, bases, kinds = _Tallies(), _Tallies(), _Tallies(), _Tallies()
    bands, categories, months = _Tallies(), _Tallies(), _Tallies()
    flags: list[Flag] = []

    for d in _disclosures(filters):
        a = d.agreement
        review.disclosures += 1
        review.people += d.people_count
        n = d.people_count
        recipients.add(
            f"{a.recipient_kind}:{a.recipient_name}", a.recipient_name, custos=True, people=n, kind=a.recipient_kind
        )
        isas.add(
            a.code,
            a.title,
            custos=True,
            people=n,
            legal_basis=_basis(a.legal_basis),
            status=a.effective_status(today),
        )
        bases.add(_basis(a.legal_basis), _basis(a.legal_basis), custos=True, people=n)
        kinds.add(a.recipient_kind, KIND_LABELS[a.recipient_kind], custos=True, people=n)
        for band, count in d.band_counts.items():
            bands.add(band, BAND_LABELS.get(band, band), custos=True, people=int(count))
        for category, count in d.category_counts.items():
            categories.add(category, rules.CATEGORIES.get(category, category), custos=True, people=int(count))
        month = _day(d).strftime("%Y-%m")
        months.add(month, month, custos=True, people=n)
        flags.extend(disclosure_flags(d, today))

    for s in _legacy(filters):
        review.legacy_shares += 1
        review.legacy_people += s.people_count
        n = s.people_count
        kind = legacy_kind(s)
        recipients.add(f"{kind}:{s.recipient_name}", s.recipient_name, custos=False, people=n, kind=kind)
        if s.agreement is not None:
            a = s.agreement
            isas.add(
                a.code,
                a.title,
                custos=False,
                people=n,
                legal_basis=_basis(a.legal_basis),
                status=a.effective_status(today),
            )
        elif s.isa_code:
            isas.add(
                s.isa_code, "Not in the register", custos=False, people=n, legal_basis=NOT_RECORDED, status="unknown"
            )
        else:
            review.legacy_without_isa += 1
            isas.add(NO_ISA, "No agreement", custos=False, people=n, legal_basis=NOT_RECORDED, status="")
        basis = _basis(s.legal_basis)
        bases.add(basis, basis, custos=False, people=n)
        kinds.add(kind, KIND_LABELS.get(kind, kind), custos=False, people=n)
        banded = 0
        for band, count in s.band_counts.items():
            bands.add(band, BAND_LABELS.get(band, band), custos=False, people=int(count))
            banded += int(count)
        if n > banded:
            bands.add(UNRECORDED, BAND_LABELS[UNRECORDED], custos=False, people=n - banded)
        for category, count in s.category_counts.items():
            categories.add(category, rules.CATEGORIES.get(category, category), custos=False, people=int(count))
        month = s.shared_on.strftime("%Y-%m")
        months.add(month, month, custos=False, people=n)
        flags.extend(legacy_flags(s))

    review.by_recipient = recipients.by_size()
    review.by_isa = isas.by_order(sorted(k for k in isas.rows if k != NO_ISA) + [NO_ISA])
    review.by_legal_basis = bases.by_size()
    review.by_kind = kinds.by_order(KIND_LABELS)
    review.by_band = bands.by_order(BAND_LABELS)
    review.by_category = categories.by_order(rules.CATEGORIES)
    review.by_month = months.by_order(sorted(months.rows))
    review.flags = sorted(flags, key=lambda f: (f.source != "custos", f.on, f.ref, f.rule))
    return review


# -- for a viewer --------------------------------------------------------------------------------------------------


def review_for(*, viewer: User, filters: ReviewFilters, fmt: str = "html", today: dt.date | None = None) -> Review:
    """The sharing review for someone who may read it (IRU, central governance, DPO, auditor).

    Raises ``PermissionDenied`` for anyone else. Records ``sharing.reviewed``
    with the filters, the format and the totals: no personal data.
    """
    if not policies.may_view_sharing_review(viewer):
        raise PermissionDenied("Only the IRU, central governance, the DPO or an auditor may read the sharing review.")
    review = review_build(filters=filters, today=today)
    with transaction.atomic():
        event_record(
            actor=viewer,
            verb=Verb.SHARING_REVIEWED,
            object_type="sharing_review",
            object_ref="sharing_review",
            detail={"filters": filters.as_detail(), "format": fmt, **review.counts()},
        )
    return review


def _row(row: Tally) -> dict[str, Any]:
    kind = row.extra.get("kind", "")
    status = row.extra.get("status", "")
    return {
        **asdict(row),
        "kind_label": KIND_LABELS.get(kind, kind),
        "status_label": STATUS_LABELS.get(status, status) or "–",
    }


#: The sections of the page and the PDF: title, id, heading of the first column.
SECTIONS = (
    ("By recipient", "by-recipient", "Recipient", "by_recipient"),
    ("By agreement", "by-isa", "Agreement", "by_isa"),
    ("By legal basis", "by-legal-basis", "Legal basis", "by_legal_basis"),
    ("By kind of recipient", "by-kind", "Kind of recipient", "by_kind"),
    ("By band", "by-band", "Band", "by_band"),
    ("By category", "by-category", "Category", "by_category"),
    ("Volume by month", "by-month", "Month", "by_month"),
)
STATUS_LABELS = {**dict(Agreement.Status.choices), "unknown": "Not in the register"}


def review_context(review: Review) -> dict[str, Any]:
    """What the page and the PDF templates are rendered with."""
    return {
        "review": review,
        "flags": [{**asdict(f), "rule_label": RULES.get(f.rule, f.rule)} for f in review.flags],
        "sections": [
            {"title": title, "id": ident, "heading": heading, "rows": [_row(r) for r in getattr(review, name)]}
            for title, ident, heading, name in SECTIONS
        ],
        "generated_at": timezone.localtime(),
    }


def review_pdf(review: Review) -> bytes:
    """The review as a PDF (WeasyPrint, ``sharing/review_pdf.html``): nothing is linked, so nothing is fetched."""
    import weasyprint  # imported here: loading pango is slow and only the PDF needs it

    html = render_to_string("sharing/review_pdf.html", review_context(review))
    css = weasyprint.CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(stylesheets=[css])
    return pdf


def review_lines(review: Review) -> list[str]:
    """The review as text, for ``custos sharing_review``: counts, codes and references only."""
    f = review.filters
    start = f.date_from.isoformat() if f.date_from else "the beginning"
    span = f"{start} to {f.date_to.isoformat() if f.date_to else 'today'}"
    lines = [
        f"Sharing review, {span}"
        + (f" ({KIND_LABELS.get(f.recipient_kind, f.recipient_kind)})" if f.recipient_kind else "")
    ]
    lines.append(f"  disclosures: {review.disclosures}")
    lines.append(f"  people shared: {review.people}")
    lines.append(
        f"  legacy shares: {review.legacy_shares} ({review.legacy_people} people; "
        f"{review.legacy_without_isa} without an agreement)"
    )
    lines.append(f"  flags: {len(review.flags)}")
    for flag in review.flags:
        lines.append(f"    [{flag.rule}] {flag.message}")
    sections: list[tuple[str, list[Tally]]] = [
        ("By recipient", review.by_recipient),
        ("By agreement", review.by_isa),
        ("By legal basis", review.by_legal_basis),
        ("By kind of recipient", review.by_kind),
        ("By band", review.by_band),
        ("By category", review.by_category),
        ("By month", review.by_month),
    ]
    for title, rows in sections:
        lines.append(f"{title}:")
        if not rows:
            lines.append("    none")
        for row in rows:
            name = row.key if title == "By agreement" else row.label
            lines.append(
                f"    {name}: {row.disclosures} disclosures, {row.people} people; "
                f"legacy {row.legacy_shares} shares, {row.legacy_people} people"
            )
    return lines
