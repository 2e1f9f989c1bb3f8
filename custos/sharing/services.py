"""Agreements, disclosures and packages: every change to sharing goes through here.

Every function checks who may act (``policies``) and every rule
(``rules``) before anything is written, then writes its records and audit
event in one transaction, so a refusal changes nothing. Messages name
references (``D-…``, ``P-…``, ``ISA-…``), never a person's details.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from custos.accounts.models import Notification, Role, User
from custos.accounts.purpose import purpose_text_clean
from custos.accounts.services import notify
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.age import AgeKeyInvalid, age_encrypt, age_recipient_clean
from custos.crypto.envelope import preload
from custos.crypto.tokens import code_digest, code_matches, code_new
from custos.dlp.exports import CanaryPerson, package_destroyed, package_register, postcode_of
from custos.register.models import (
    HarmScore,
    IntelGrade,
    IntelligenceItem,
    Nomination,
    Person,
    Verification,
)
from custos.register.policies import people_scope
from custos.register.services import RuleBroken
from custos.sharing import policies, rules
from custos.sharing.models import Agreement, Disclosure, DisclosureSubject, RecipientKind
from custos.sharing.package import Redactor, build_zip

NOTICE_KIND = "disclosure_pending"
CODE_PURPOSE = "package-destruction"
#: Where a recipient confirms destruction (no sign-in; the code inside the package is the proof).
DESTRUCTION_PAGE = "/sharing/destroyed/"
_rng = random.SystemRandom()


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def package_dir() -> Path:
    return Path(settings.DATA_DIR) / "packages"


def package_path(disclosure: Disclosure) -> Path:
    return package_dir() / disclosure.package_file


# --- agreements --------------------------------------------------------------------------------------------------


@dataclass
class AgreementInput:
    """What someone drafting an agreement fills in (the form, the API and the command line all build one)."""

    title: str = ""
    recipient_name: str = ""
    recipient_kind: str = ""
    parties: list[str] = field(default_factory=list)
    legal_basis: str = ""
    purpose: str = ""
    fields: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    bands: list[str] = field(default_factory=list)
    onward_sharing: str = ""
    retention_days: int | None = None
    retention_rules: str = ""
    security: str = ""
    recipient_key: str = ""
    review_date: dt.date | None = None
    signatories: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, agreement: Agreement) -> AgreementInput:
        return cls(**{f: getattr(agreement, f) for f in cls.__dataclass_fields__})


def _agreement_clean(data: AgreementInput, today: dt.date) -> dict[str, Any]:
    """The values to store, or ``ValidationError`` by field naming every problem at once."""
    errors: dict[str, list[str]] = {}

    def need(name: str, value: str, label: str, limit: int = 4000) -> str:
        value = _text(value)
        if not value:
            errors.setdefault(name, []).append(f"Enter {label}.")
        elif len(value) > limit:
            errors.setdefault(name, []).append(f"{label[0].upper()}{label[1:]} must be {limit} characters or fewer.")
        return value

    out: dict[str, Any] = {
        "title": need("title", data.title, "a title", 200),
        "recipient_name": need("recipient_name", data.recipient_name, "the recipient organisation", 200),
        "legal_basis": need("legal_basis", data.legal_basis, "the legal basis"),
        "purpose": need("purpose", data.purpose, "the purpose"),
        "onward_sharing": need("onward_sharing", data.onward_sharing, "the onward-sharing rules"),
        "security": need("security", data.security, "the security requirements"),
        "retention_rules": _text(data.retention_rules)[:4000],
    }
    if data.recipient_kind not in RecipientKind.values:
        errors.setdefault("recipient_kind", []).append(
            "Say whether the recipient exercises statutory functions or has no statutory function."
        )
    out["recipient_kind"] = data.recipient_kind
    parties = list(dict.fromkeys(_text(p) for p in data.parties if _text(p)))
    if out["recipient_name"] and out["recipient_name"] not in parties:
        parties.append(out["recipient_name"])
    out["parties"] = parties
    for problem in rules.scope_problems(fields=data.fields, categories=data.categories, bands=data.bands):
        errors.setdefault(problem.field, []).append(problem.message)
    out["fields"] = [f for f in rules.FIELDS if f in set(data.fields)]
    out["categories"] = [c for c in rules.CATEGORIES if c in set(data.categories)]
    out["bands"] = [b for b in rules.BANDS if b in set(data.bands)]
    if data.retention_days is None or not 1 <= data.retention_days <= rules.MAX_RETENTION_DAYS:
        errors.setdefault("retention_days", []).append(
            f"Enter how many days the recipient may keep a package (1 to {rules.MAX_RETENTION_DAYS})."
        )
    out["retention_days"] = data.retention_days
    try:
        out["recipient_key"] = age_recipient_clean(data.recipient_key)
    except AgeKeyInvalid as exc:
        errors.setdefault("recipient_key", []).append(str(exc))
    if data.review_date is None:
        errors.setdefault("review_date", []).append("Enter the review date.")
    elif data.review_date <= today:
        errors.setdefault("review_date", []).append("The review date must be in the future.")
    out["review_date"] = data.review_date
    signatories = [
        {k: _text(s.get(k, ""))[:200] for k in ("name", "role", "organisation")}
        for s in data.signatories
        if any(_text(s.get(k, "")) for k in ("name", "role", "organisation"))
    ]
    if any(not all(s.values()) for s in signatories):
        errors.setdefault("signatories", []).append("Give each signatory a name, a role and an organisation.")
    out["signatories"] = signatories
    if errors:
        raise ValidationError(errors)
    return out


def _next_code() -> str:
    last = Agreement.objects.filter(code__startswith="ISA-").order_by("-code").values_list("code", flat=True).first()
    number = int(last.removeprefix("ISA-")) + 1 if last and last.removeprefix("ISA-").isdigit() else 1
    return f"ISA-{number:04d}"


def _agreement_detail(agreement: Agreement) -> dict[str, Any]:
    return {
        "code": agreement.code,
        "recipient_kind": agreement.recipient_kind,
        "fields": agreement.fields,
        "categories": agreement.categories,
        "bands": agreement.bands,
        "review_date": agreement.review_date.isoformat(),
    }


def agreement_draft(*, actor: User, data: AgreementInput, supersedes: Agreement | None = None) -> Agreement:
    """Record a new draft agreement (IRU or central governance). Records ``isa.drafted``."""
    _require(
        policies.may_draft_agreement(actor),
        "Only the Information Rights Unit or central governance may draft agreements.",
    )
    values = _agreement_clean(data, timezone.localdate())
    for attempt in range(5):
        try:
            with transaction.atomic():
                agreement = Agreement.objects.create(
                    code=_next_code(), created_by=actor, supersedes=supersedes, **values
                )
                event_record(
                    actor=actor,
                    verb=Verb.ISA_DRAFTED,
                    object_type="isa",
                    object_ref=agreement.ref,
                    recipients=[],
                    detail={**_agreement_detail(agreement), "supersedes": supersedes.code if supersedes else ""},
                )
                return agreement
        except IntegrityError:  # two drafts took the same code at once: take the next one
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def agreement_update(*, actor: User, agreement: Agreement, data: AgreementInput) -> Agreement:
    """Change a draft (an approved agreement never changes: renew it instead). Records ``isa.updated``."""
    _require(
        policies.may_draft_agreement(actor),
        "Only the Information Rights Unit or central governance may draft agreements.",
    )
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status != Agreement.Status.DRAFT:
        raise RuleBroken("Only a draft can be changed: an approved agreement is renewed as a new draft.")
    values = _agreement_clean(data, timezone.localdate())
    changed = sorted(k for k, v in values.items() if getattr(agreement, k) != v)
    for key, value in values.items():
        setattr(agreement, key, value)
    agreement.save()
    event_record(
        actor=actor,
        verb=Verb.ISA_UPDATED,
        object_type="isa",
        object_ref=agreement.ref,
        detail={**_agreement_detail(agreement), "changed": changed},
    )
    return agreement


def agreement_renew(*, actor: User, agreement: Agreement) -> Agreement:
    """A new draft copying an agreement, to change it or extend its review date; the old one stays as it is."""
    data = AgreementInput.of(agreement)
    today = timezone.localdate()
    if data.review_date is None or data.review_date <= today:
        data.review_date = today + dt.timedelta(days=365)
    return agreement_draft(actor=actor, data=data, supersedes=agreement)


@transaction.atomic
def agreement_approve(
    *, actor: User, agreement: Agreement, exceptions: Mapping[str, str] | None = None, notes: str = ""
) -> Agreement:
    """Approve a draft: the IRU only, not its drafter, and only within the guidance or with recorded exceptions.

    ``exceptions`` maps a guidance rule (``rules.EXCEPTIONS``) to the reasons
    the IRU departs from it for this non-statutory recipient. Records
    ``isa.approved`` with the exceptions' codes.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _require(
        policies.may_approve_agreement(actor, agreement.created_by_id),
        "Only the Information Rights Unit may approve an agreement, and not the person who drafted it.",
    )
    if agreement.status != Agreement.Status.DRAFT:
        raise RuleBroken(f"{agreement.code} is {agreement.get_status_display().lower()}: only a draft can be approved.")
    given = {k: _text(v) for k, v in (exceptions or {}).items() if _text(v)}
    problems = rules.approval_problems(
        statutory=agreement.is_statutory,
        fields=agreement.fields,
        categories=agreement.categories,
        bands=agreement.bands,
        exceptions=given,
        review_date=agreement.review_date,
        today=timezone.localdate(),
        retention_days=agreement.retention_days,
        signatories=agreement.signatories,
    )
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.field, []).append(problem.message)
        raise ValidationError(errors)
    agreement.status = Agreement.Status.APPROVED
    agreement.approved_by = actor
    agreement.approved_at = timezone.now()
    agreement.approval_notes = _text(notes)[:4000]
    agreement.exceptions = given
    agreement.guidance_version = rules.GUIDANCE_VERSION
    agreement.save()
    event_record(
        actor=actor,
        verb=Verb.ISA_APPROVED,
        object_type="isa",
        object_ref=agreement.ref,
        detail={**_agreement_detail(agreement), "exceptions": sorted(given), "guidance": rules.GUIDANCE_VERSION},
    )
    return agreement


@transaction.atomic
def agreement_revoke(*, actor: User, agreement: Agreement, reasons: str) -> Agreement:
    """End an agreement at once (IRU), with reasons: nothing more can be disclosed under it. Records ``isa.revoked``."""
    _require(policies.may_revoke_agreement(actor), "Only the Information Rights Unit may revoke an agreement.")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status in (Agreement.Status.REVOKED, Agreement.Status.EXPIRED):
        raise RuleBroken(f"{agreement.code} has already ended.")
    reasons = _text(reasons)
    if len(reasons) < rules.MIN_REASONS:
        raise ValidationError({"reasons": f"Give the reasons (at least {rules.MIN_REASONS} characters)."})
    agreement.status = Agreement.Status.REVOKED
    agreement.ended_at = timezone.now()
    agreement.ended_by = actor
    agreement.end_reasons = reasons
    agreement.save()
    pending = list(Disclosure.objects.filter(agreement=agreement, status=Disclosure.Status.PENDING))
    for disclosure in pending:
        _decide(
            actor=actor, disclosure=disclosure, status=Disclosure.Status.REFUSED, reasons=f"{agreement.code} revoked."
        )
    event_record(
        actor=actor,
        verb=Verb.ISA_REVOKED,
        object_type="isa",
        object_ref=agreement.ref,
        detail={"code": agreement.code, "pending_refused": len(pending)},
    )
    return agreement


def agreements_expire(*, actor: User | Actor | None = None, today: dt.date | None = None) -> int:
    """Mark approved agreements past their review date as expired (they already block: see ``in_force``)."""
    actor = actor or Actor.system("sharing_sweep")
    today = today or timezone.localdate()
    ended = 0
    for agreement in Agreement.objects.filter(status=Agreement.Status.APPROVED, review_date__lt=today):
        with transaction.atomic():
            agreement.status = Agreement.Status.EXPIRED
            agreement.ended_at = timezone.now()
            agreement.end_reasons = f"Review date {agreement.review_date.isoformat()} passed."
            agreement.save(update_fields=["status", "ended_at", "end_reasons"])
            event_record(
                actor=actor,
                verb=Verb.ISA_EXPIRED,
                object_type="isa",
                object_ref=agreement.ref,
                detail={"code": agreement.code, "review_date": agreement.review_date.isoformat()},
            )
            ended += 1
    return ended


def agreement_in_force(agreement: Agreement, today: dt.date | None = None) -> None:
    """Refuse (``RuleBroken``) unless disclosures may be made under the agreement today."""
    today = today or timezone.localdate()
    status = agreement.effective_status(today)
    if status == Agreement.Status.DRAFT:
        raise RuleBroken(f"{agreement.code} is a draft: nothing can be shared until the IRU approves it.")
    if status == Agreement.Status.EXPIRED:
        raise RuleBroken(
            f"{agreement.code} expired on {agreement.review_date.isoformat()}: nothing can be shared under it."
        )
    if status == Agreement.Status.REVOKED:
        raise RuleBroken(f"{agreement.code} has been revoked: nothing can be shared under it.")


# --- people: what the register says about them, for checks and packages ----------------------------------------


@dataclass(frozen=True)
class Standing:
    """One person as the sharing rules see them: band, categories, restriction."""

    band: str
    categories: list[str]
    restricted: bool


def standings(people: Sequence[Person]) -> dict[uuid.UUID, Standing]:
    ids = [p.pk for p in people]
    bands: dict[uuid.UUID, str] = {}
    for person_id, band in (
        Nomination.objects.filter(person__in=ids, status__in=Nomination.OPEN_STATUSES)
        .order_by("proposed_at")
        .values_list("person_id", "band")
    ):
        bands[person_id] = band or bands.get(person_id, "")
    held: dict[uuid.UUID, set[str]] = {}
    for person_id, category in IntelligenceItem.objects.filter(person__in=ids).values_list("person_id", "category"):
        held.setdefault(person_id, set()).add(category)
    return {
        p.pk: Standing(
            band=bands.get(p.pk, ""),
            categories=[c for c in rules.CATEGORIES if c in held.get(p.pk, set())],
            restricted=p.is_restricted,
        )
        for p in people
    }


def _person_check(agreement: Agreement, standing: Standing, necessity: str) -> list[rules.Problem]:
    return rules.person_problems(
        categories=standing.categories,
        band=standing.band,
        restricted=standing.restricted,
        allowed_categories=agreement.categories,
        allowed_bands=agreement.bands,
        necessity=necessity,
    )


# --- disclosures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """One person asked for, with the reason their data is necessary."""

    person_id: Any
    necessity: str


def _purpose(text: str) -> str:
    return purpose_text_clean(text, field="purpose", example="OP-1234: safeguarding referral")


def _people_for(actor: User, asked: Sequence[Asked]) -> list[Person]:
    scope = people_scope(actor)
    _require(scope is not None, "Your account may not see personal data.")
    assert scope is not None  # for mypy: _require raised otherwise
    ids: list[uuid.UUID] = []
    for item in asked:
        try:
            ids.append(item.person_id if isinstance(item.person_id, uuid.UUID) else uuid.UUID(str(item.person_id)))
        except ValueError:
            raise ValidationError({"people": "A person was not recognised: choose people from the register."}) from None
    if not ids:
        raise ValidationError({"people": "Choose at least one person to share."})
    if len(set(ids)) != len(ids):
        raise ValidationError({"people": "A person is listed twice."})
    if len(ids) > rules.MAX_PEOPLE:
        raise ValidationError({"people": f"A disclosure covers at most {rules.MAX_PEOPLE} people."})
    found = {p.pk: p for p in Person.objects.filter(scope, pk__in=ids).select_related("bcu", "borough")}
    if len(found) != len(ids):
        raise PermissionDenied("Some of these people are outside what you may see.")
    return [found[i] for i in ids]


def _problems_raise(problems: list[tuple[Person, rules.Problem]]) -> None:
    if problems:
        lines = [f"{person.short_ref}: {problem.message}" for person, problem in problems[:50]]
        if len(problems) > 50:
            lines.append(f"… and {len(problems) - 50} more.")
        raise ValidationError({"people": lines})


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _approvers_notify(actor: User, disclosure: Disclosure, agreement: Agreement) -> None:
    message = (
        f"Disclosure {disclosure.short_ref} under {agreement.code} to {agreement.recipient_name} "
        f"({disclosure.people_count} people) awaits approval."
    )
    link = _link(disclosure)
    notify(actor=actor, role=Role.IRU, kind=NOTICE_KIND, message=message, link=link)
    if agreement.is_statutory and len(disclosure.target_bcus) == 1:
        notify(
            actor=actor,
            role=Role.BCU_SPOC,
            kind=NOTICE_KIND,
            message=message,
            link=link,
            bcu_code=disclosure.target_bcus[0],
        )


@transaction.atomic
def disclosure_request(*, actor: User, agreement: Agreement, purpose: str, people: Sequence[Asked]) -> Disclosure:
    """Ask to share named people under an approved agreement; every policy check runs first.

    Refused, with nothing written, for a role that may not ask, an
    agreement not in force, people outside the requester's reach, or any
    person the agreement does not cover or without a reason of necessity
    (every such person is named by reference). Records
    ``disclosure.requested`` and puts it on the approvers' task lists.
    """
    _require(policies.may_request_disclosure(actor), "Your role may not ask for disclosures.")
    agreement = Agreement.objects.get(pk=agreement.pk)  # as it stands now, not as the caller last read it
    agreement_in_force(agreement)
    purpose = _purpose(purpose)
    found = _people_for(actor, people)
    necessity = {p.pk: _text(a.necessity) for p, a in zip(found, people, strict=True)}
    stand = standings(found)
    problems = [(p, problem) for p in found for problem in _person_check(agreement, stand[p.pk], necessity[p.pk])]
    _problems_raise(problems)
    checks = [
        {"rule": "agreement_in_force", "passed": True, "message": f"{agreement.code} approved and in force."},
        {"rule": "people_in_scope", "passed": True, "message": "Every person is within the requester's reach."},
        {"rule": "people_covered", "passed": True, "message": "Every person's category and band is covered."},
        {"rule": "necessity", "passed": True, "message": "A reason of necessity is given for every person."},
        {"rule": "not_restricted", "passed": True, "message": "No person's processing is restricted."},
    ]
    disclosure = Disclosure.objects.create(
        agreement=agreement,
        requested_by=actor,
        requested_at=timezone.now(),
        bcu_code=actor.bcu_code or "",
        purpose=purpose,
        checks=checks,
        fields=list(agreement.fields),
        people_count=len(found),
        people_refs=[p.ref for p in found],
        target_bcus=sorted({p.bcu.code for p in found}),
        band_counts=_counts(stand[p.pk].band or rules.NO_BAND for p in found),
        category_counts=_counts(c for p in found for c in stand[p.pk].categories if c in agreement.categories),
    )
    preload(p.data_key_id for p in found)
    DisclosureSubject.objects.bulk_create(
        [
            DisclosureSubject(
                disclosure=disclosure,
                person=p,
                data_key_id=p.data_key_id,
                necessity=necessity[p.pk],
                band=stand[p.pk].band,
                categories=stand[p.pk].categories,
            )
            for p in found
        ]
    )
    event_record(
        actor=actor,
        verb=Verb.DISCLOSURE_REQUESTED,
        object_type="disclosure",
        object_ref=disclosure.ref,
        targets=disclosure.people_refs,
        purpose=purpose,
        detail={"isa": agreement.code, "people": len(found), "target_bcus": disclosure.target_bcus},
    )
    _approvers_notify(actor, disclosure, agreement)
    return disclosure


def _decide(*, actor: User, disclosure: Disclosure, status: str, reasons: str) -> None:
    disclosure.status = status
    disclosure.decided_by = actor
    disclosure.decided_at = timezone.now()
    disclosure.decision_reasons = reasons
    disclosure.save(update_fields=["status", "decided_by", "decided_at", "decision_reasons"])
    _notices_done(disclosure)
    event_record(
        actor=actor,
        verb=Verb.DISCLOSURE_REFUSED if status == Disclosure.Status.REFUSED else Verb.DISCLOSURE_WITHDRAWN,
        object_type="disclosure",
        object_ref=disclosure.ref,
        targets=disclosure.people_refs,
        detail={"isa": disclosure.agreement.code, "people": disclosure.people_count},
    )


def _notices_done(disclosure: Disclosure) -> None:
    """The approvers' notices about a decided disclosure are done."""
    Notification.objects.filter(kind=NOTICE_KIND, link=_link(disclosure), done_at__isnull=True).update(
        done_at=timezone.now()
    )


def _link(disclosure: Disclosure) -> str:
    return f"/sharing/disclosures/{disclosure.pk}/"


def _pending(disclosure: Disclosure) -> Disclosure:
    locked = Disclosure.objects.select_for_update().select_related("agreement").get(pk=disclosure.pk)
    if locked.status != Disclosure.Status.PENDING:
        raise RuleBroken(f"{locked.short_ref} is {locked.get_status_display().lower()}: it has already been decided.")
    return locked


def _may_approve(actor: User, disclosure: Disclosure) -> bool:
    return policies.may_approve_disclosure(
        actor,
        requested_by_id=disclosure.requested_by_id,
        statutory=disclosure.agreement.is_statutory,
        target_bcus=disclosure.target_bcus,
    )


_APPROVER_MESSAGE = (
    "You may not decide this disclosure: the Information Rights Unit decides (or, for a statutory recipient, "
    "the SPOC of every person's BCU), and never the person who asked."
)


@transaction.atomic
def disclosure_refuse(*, actor: User, disclosure: Disclosure, reasons: str) -> Disclosure:
    disclosure = _pending(disclosure)
    _require(_may_approve(actor, disclosure), _APPROVER_MESSAGE)
    reasons = _text(reasons)
    if len(reasons) < rules.MIN_REASONS:
        raise ValidationError({"reasons": f"Give the reasons (at least {rules.MIN_REASONS} characters)."})
    _decide(actor=actor, disclosure=disclosure, status=Disclosure.Status.REFUSED, reasons=reasons)
    return disclosure


@transaction.atomic
def disclosure_withdraw(*, actor: User, disclosure: Disclosure) -> Disclosure:
    disclosure = _pending(disclosure)
    _require(
        policies.may_withdraw_disclosure(actor, disclosure.requested_by_id), "Only the person who asked may withdraw."
    )
    _decide(
        actor=actor, disclosure=disclosure, status=Disclosure.Status.WITHDRAWN, reasons="Withdrawn by the requester."
    )
    return disclosure


# --- packages ----------------------------------------------------------------------------------------------------


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _intelligence(people: Sequence[Person], allowed: set[str]) -> dict[uuid.UUID, list[IntelligenceItem]]:
    """Each person's shareable items, oldest first: in an allowed category, verified if social media, not grade E."""
    items: dict[uuid.UUID, list[IntelligenceItem]] = {p.pk: [] for p in people}
    for item in (
        IntelligenceItem.objects.filter(person__in=list(items), category__in=allowed)
        .exclude(verification__in=(Verification.UNVERIFIED, Verification.REJECTED))
        .exclude(intel_grade=IntelGrade.E)
        .order_by("occurred_on", "created_at")
    ):
        items[item.person_id].append(item)
    return items


def _records(
    agreement: Agreement, people: Sequence[Person], stand: Mapping[uuid.UUID, Standing], redactor: Redactor
) -> list[dict[str, Any]]:
    fields = set(agreement.fields)
    allowed = set(agreement.categories)
    nominations = {
        n.person_id: n
        for n in Nomination.objects.filter(person__in=[p.pk for p in people], status__in=Nomination.OPEN_STATUSES)
        .select_related("gang")
        .order_by("proposed_at")
    }
    scores = {
        s.person_id: s
        for s in HarmScore.objects.filter(person__in=[p.pk for p in people], is_current=True).select_related("rubric")
    }
    items = _intelligence(people, allowed) if "intelligence" in fields else {p.pk: [] for p in people}
    redactor.prepare(t for its in items.values() for i in its for t in (i.summary, i.handling_conditions))
    records = []
    for person in people:
        address = (person.addresses or [""])[0]
        nomination = nominations.get(person.pk)
        score = scores.get(person.pk)
        values: dict[str, Any] = {
            "reference": person.short_ref,
            "full_name": person.full_name,
            "aliases": list(person.aliases or []),
            "date_of_birth": _iso(person.date_of_birth),
            "address": address,
            "postcode": postcode_of(address),
            "borough": person.borough.name if person.borough else "",
            "bcu": person.bcu.name,
            "band": stand[person.pk].band,
            "harm_score": f"{score.total} (rubric v{score.rubric.version})" if score else "",
            "categories": [c for c in stand[person.pk].categories if c in allowed],
            "gang": nomination.gang.name if nomination and nomination.gang else "",
            "intelligence": [
                {
                    "occurred_on": _iso(item.occurred_on),
                    "category": item.category,
                    "criterion": item.criterion,
                    "grade": item.grade,
                    "nature": item.nature,
                    "summary": redactor.redact(item.summary),
                    "handling_conditions": redactor.redact(item.handling_conditions),
                }
                for item in items[person.pk]
            ],
        }
        records.append({f: values[f] for f in agreement.fields})
    return records


def _canary_record(agreement: Agreement, canary: CanaryPerson, like: dict[str, Any] | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reference": canary.reference,
        "full_name": canary.full_name,
        "aliases": [],
        "date_of_birth": canary.date_of_birth.isoformat(),
        "address": canary.address,
        "postcode": canary.postcode,
        "intelligence": [],
    }
    return {f: values[f] if f in values else (like or {}).get(f, "") for f in agreement.fields}


#: Fields with which the scanner can corroborate a canary (it needs a name and one of these).
_TRACEABLE = {"date_of_birth", "address", "postcode"}


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


@transaction.atomic
def disclosure_approve(*, actor: User, disclosure: Disclosure, reasons: str = "", base_url: str = "") -> Disclosure:
    """Approve a pending disclosure and make its package; the checks run again first.

    Refused, with nothing changed, for the requester, a role that may not
    approve, an agreement that has since expired or been revoked, or a
    person who no longer passes the checks (restricted, band or category
    changed). The package (``package.py``) holds only the agreement's
    fields, third parties redacted, the watermark and, when traceable, a
    canary; it is encrypted to the recipient's age key, registered through
    the export service and written under ``$CUSTOS_DATA_DIR/packages/``.
    Records ``disclosure.made`` (s.62: targets the people, recipients the
    recipient organisation and the agreement).
    """
    disclosure = _pending(disclosure)
    _require(_may_approve(actor, disclosure), _APPROVER_MESSAGE)
    agreement = disclosure.agreement
    agreement_in_force(agreement)
    subjects = list(disclosure.subjects.select_related("person", "person__bcu", "person__borough"))
    people = [s.person for s in subjects]
    if len(people) != disclosure.people_count:
        raise RuleBroken("Some of the people in this disclosure have since been erased: ask again.")
    preload(p.data_key_id for p in people)
    stand = standings(people)
    problems = [
        (s.person, problem) for s in subjects for problem in _person_check(agreement, stand[s.person_id], s.necessity)
    ]
    _problems_raise(problems)
    now = timezone.now()
    today = timezone.localdate(now)
    expires_on = rules.package_expiry(
        today=today, retention_days=agreement.retention_days, review_date=agreement.review_date
    )
    traceable = "full_name" in agreement.fields and bool(_TRACEABLE & set(agreement.fields))
    registration = package_register(
        actor=actor,
        exporter=disclosure.requested_by,
        purpose=disclosure.purpose,
        people=people,
        fields=agreement.fields,
        expires_on=expires_on,
        recipient=agreement.recipient_name,
        link=_link(disclosure),
        traceable=traceable,
    )
    redactor = Redactor(subjects={p.pk for p in people})
    records = _records(agreement, people, stand, redactor)
    if registration.canary is not None:
        like = _rng.choice(records) if records else None
        records.insert(_rng.randint(0, len(records)), _canary_record(agreement, registration.canary, like))
    code = code_new()
    manifest = {
        "watermark": registration.watermark,
        "disclosure": disclosure.short_ref,
        "made_at": now.isoformat(timespec="seconds"),
        "destroy_by": expires_on.isoformat(),
        "purpose": disclosure.purpose,
        "agreement": {
            "code": agreement.code,
            "title": agreement.title,
            "recipient": agreement.recipient_name,
            "recipient_kind": agreement.get_recipient_kind_display(),
            "legal_basis": agreement.legal_basis,
            "purpose": agreement.purpose,
            "onward_sharing": agreement.onward_sharing,
            "security": agreement.security,
            "retention": f"{agreement.retention_days} days. {agreement.retention_rules}".strip(),
        },
        "fields": list(agreement.fields),
        "people_count": len(records),
        "destruction": {"page": (base_url.rstrip("/") + DESTRUCTION_PAGE), "code": code},
    }
    labels = {f: rules.FIELDS[f][0] for f in rules.FIELDS}
    plaintext = build_zip(manifest=manifest, fields=agreement.fields, labels=labels, records=records)
    ciphertext = age_encrypt(plaintext, agreement.recipient_key)
    disclosure.status = Disclosure.Status.DISCLOSED
    disclosure.decided_by = actor
    disclosure.decided_at = now
    disclosure.decision_reasons = _text(reasons)[:4000]
    disclosure.export_ref = registration.export.ref
    disclosure.package_file = f"{disclosure.pk}.age"
    disclosure.package_sha256 = hashlib.sha256(ciphertext).hexdigest()
    disclosure.package_bytes = len(ciphertext)
    disclosure.redactions = redactor.count
    disclosure.canary = registration.canary is not None
    disclosure.expires_on = expires_on
    disclosure.destruction_digest = code_digest(CODE_PURPOSE, code)
    disclosure.save()
    _notices_done(disclosure)
    event_record(
        actor=actor,
        verb=Verb.DISCLOSURE_MADE,
        object_type="disclosure",
        object_ref=disclosure.ref,
        targets=disclosure.people_refs,
        purpose=disclosure.purpose,
        recipients=[f"org:{agreement.recipient_name}", agreement.ref],
        detail={
            "isa": agreement.code,
            "recipient_kind": agreement.recipient_kind,
            "legal_basis": agreement.legal_basis[:200],
            "fields": list(agreement.fields),
            "people": disclosure.people_count,
            "bands": disclosure.band_counts,
            "categories": disclosure.category_counts,
            "export": registration.export.ref,
            "sha256": disclosure.package_sha256,
            "redactions": redactor.count,
            "canary": disclosure.canary,
            "expires_on": expires_on.isoformat(),
            "requested_by": f"user:{disclosure.requested_by_id}",
        },
    )
    _write(package_path(disclosure), ciphertext)  # last: a failure before this writes no file
    return disclosure


@transaction.atomic
def package_download(*, actor: User, disclosure: Disclosure) -> bytes:
    """The encrypted package, to send to the recipient (only their key opens it). Records ``package.downloaded``."""
    _require(
        policies.may_download_package(
            actor, requested_by_id=disclosure.requested_by_id, decided_by_id=disclosure.decided_by_id
        ),
        "Only the person who asked, the approver or the IRU may download a package.",
    )
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    if disclosure.status != Disclosure.Status.DISCLOSED:
        raise RuleBroken("There is no package: the disclosure was not approved.")
    if disclosure.is_destroyed:
        raise RuleBroken("The recipient has confirmed this package destroyed.")
    if disclosure.expires_on and timezone.localdate() > disclosure.expires_on:
        raise RuleBroken("This package has expired: it can no longer be sent.")
    try:
        content = package_path(disclosure).read_bytes()
    except FileNotFoundError:
        raise RuleBroken("The package's file is no longer on the server.") from None
    if not disclosure.downloaded_at:
        disclosure.downloaded_at = timezone.now()
        disclosure.save(update_fields=["downloaded_at"])
    event_record(
        actor=actor,
        verb=Verb.PACKAGE_DOWNLOADED,
        object_type="disclosure",
        object_ref=disclosure.ref,
        detail={"sha256": disclosure.package_sha256, "bytes": disclosure.package_bytes},
    )
    return content


def _short(ref: str) -> str:
    return " ".join((ref or "").split()).upper().removeprefix("D-")


def package_destruction_confirm(*, reference: str, code: str, confirmed_by: str, note: str = "") -> Disclosure:
    """The recipient confirms they destroyed a package, with the code only the package holds.

    No sign-in: the code (inside the encrypted package) is the proof. A
    wrong reference or code gets one message that says neither which, and is
    logged (``package.destruction_refused``). Records ``package.destroyed``
    and closes the package's export (``export.destroyed``); the server's copy
    of the package is removed.
    """
    confirmed_by = _text(confirmed_by)[:200]
    if not confirmed_by:
        raise ValidationError({"confirmed_by": "Enter your name and role."})
    short = _short(reference)
    wrong = ValidationError(
        {"code": "The disclosure reference or the code is not right: copy both from README.txt in the package."}
    )
    candidates = []
    if len(short) == 8 and all(c in "0123456789ABCDEF" for c in short):
        ids = Disclosure.objects.filter(status=Disclosure.Status.DISCLOSED).values_list("id", flat=True)
        matching = [i for i in ids if i.hex[:8].upper() == short]
        candidates = list(Disclosure.objects.filter(pk__in=matching))
    disclosure = next((d for d in candidates if code_matches(CODE_PURPOSE, code, d.destruction_digest)), None)
    actor = Actor.system("recipient")
    if disclosure is None:
        with transaction.atomic():
            event_record(
                actor=actor,
                verb=Verb.PACKAGE_DESTRUCTION_REFUSED,
                object_type="disclosure",
                object_ref=candidates[0].ref if len(candidates) == 1 else "disclosure",
                detail={"reason": "reference or code not right"},
            )
        raise wrong
    with transaction.atomic():
        disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        if disclosure.is_destroyed:
            raise RuleBroken(f"{disclosure.short_ref}: destruction was already confirmed. Thank you.")
        disclosure.destroyed_at = timezone.now()
        disclosure.destroyed_by_name = confirmed_by
        disclosure.destruction_note = _text(note)[:2000]
        disclosure.save(update_fields=["destroyed_at", "destroyed_by_name", "destruction_note"])
        event_record(
            actor=Actor(id=None, username="recipient", role="recipient"),
            verb=Verb.PACKAGE_DESTROYED,
            object_type="disclosure",
            object_ref=disclosure.ref,
            detail={
                "isa": disclosure.agreement.code,
                "expired": timezone.localdate() > (disclosure.expires_on or dt.date.max),
            },
        )
        if disclosure.export_ref:
            package_destroyed(
                actor=actor, export_ref=disclosure.export_ref, confirmed_by=disclosure.agreement.recipient_name
            )
        path = package_path(disclosure)
        transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return disclosure


# --- reads -------------------------------------------------------------------------------------------------------


def disclosure_get_for(*, viewer: User, disclosure_id: Any) -> Disclosure:
    """One disclosure the viewer may see (404 otherwise, as if it did not exist)."""
    try:
        key = disclosure_id if isinstance(disclosure_id, uuid.UUID) else uuid.UUID(str(disclosure_id))
    except ValueError:
        raise Http404("No such disclosure.") from None
    disclosure = Disclosure.objects.select_related("agreement", "requested_by", "decided_by").filter(pk=key).first()
    if disclosure is None or not policies.may_view_disclosure(
        viewer,
        requested_by_id=disclosure.requested_by_id,
        decided_by_id=disclosure.decided_by_id,
        target_bcus=disclosure.target_bcus,
    ):
        raise Http404("No such disclosure.")
    return disclosure


def packages_expired_remove(*, today: dt.date | None = None) -> int:
    """Remove from the server the packages past their destroy-by date (the recipient has theirs; Custos keeps none)."""
    today = today or timezone.localdate()
    removed = 0
    for disclosure in Disclosure.objects.filter(status=Disclosure.Status.DISCLOSED, expires_on__lt=today).exclude(
        package_file=""
    ):
        path = package_path(disclosure)
        if path.exists():
            path.unlink()
            removed += 1
    return removed
