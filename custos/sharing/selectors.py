"""Reads for the sharing pages: agreements (no personal data), disclosures in reach, people named by reference.

Agreements are read by every account in use. Disclosures are read only as
``policies.may_view_disclosure`` allows; a list records
``disclosure.listed`` (counts and disclosure references, never people),
and a disclosure with its people records ``disclosure.consulted`` (its
people as targets, the declared purpose, their BCUs).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import consultation_record, event_record
from custos.crypto.envelope import preload
from custos.register import selectors as register_selectors
from custos.register.models import Person
from custos.sharing import policies, rules
from custos.sharing.models import Agreement, Disclosure, DisclosureSubject
from custos.sharing.services import Asked, disclosure_get_for

LIST_LIMIT = 200
_SHORT_REF = re.compile(r"P-?([0-9A-F]{8})", re.IGNORECASE)


def _require_agreements(viewer: User) -> None:
    if not policies.may_view_agreements(viewer):
        raise PermissionDenied("Your account may not read information sharing agreements.")


def agreements_for(*, viewer: User) -> list[Agreement]:
    """Every agreement, by code (they hold no personal data: every account in use reads them)."""
    _require_agreements(viewer)
    return list(Agreement.objects.select_related("approved_by", "created_by").order_by("code"))


def agreement_get_for(*, viewer: User, agreement_id: Any) -> Agreement:
    """One agreement, or ``Http404``."""
    _require_agreements(viewer)
    try:
        key = agreement_id if isinstance(agreement_id, uuid.UUID) else uuid.UUID(str(agreement_id))
    except ValueError:
        raise Http404("No such agreement.") from None
    agreement = (
        Agreement.objects.select_related("approved_by", "created_by", "ended_by", "supersedes").filter(pk=key).first()
    )
    if agreement is None:
        raise Http404("No such agreement.")
    return agreement


def agreement_disclosure_counts(agreement: Agreement) -> dict[str, int]:
    """How many disclosures under the agreement, by status label (counts only)."""
    counts = Counter(Disclosure.objects.filter(agreement=agreement).values_list("status", flat=True))
    return {str(label): counts[value] for value, label in Disclosure.Status.choices if counts[value]}


def agreements_in_force(*, today: dt.date | None = None) -> list[Agreement]:
    """The agreements disclosures may be asked under today."""
    today = today or timezone.localdate()
    return list(Agreement.objects.filter(status=Agreement.Status.APPROVED, review_date__gte=today).order_by("code"))


def _visible(viewer: User, disclosure: Disclosure) -> bool:
    return policies.may_view_disclosure(
        viewer,
        requested_by_id=disclosure.requested_by_id,
        decided_by_id=disclosure.decided_by_id,
        target_bcus=disclosure.target_bcus,
    )


def disclosures_for(*, viewer: User, purpose: str = "") -> list[Disclosure]:
    """The disclosures the viewer may see, newest first (no names). Records ``disclosure.listed`` with counts."""
    if not policies.may_list_disclosures(viewer):
        raise PermissionDenied("Your role does not ask for or decide disclosures.")
    candidates = Disclosure.objects.select_related("agreement").order_by("-requested_at")
    rows = [d for d in candidates if _visible(viewer, d)][:LIST_LIMIT]
    with transaction.atomic():
        event_record(
            actor=viewer,
            verb=Verb.DISCLOSURES_LISTED,
            object_type="disclosure_list",
            object_ref="disclosure_list",
            targets=[d.ref for d in rows],
            purpose=purpose,
            detail={
                "shown": len(rows),
                "people": sum(d.people_count for d in rows),
                "statuses": dict(sorted(Counter(str(d.status) for d in rows).items())),
            },
        )
    return rows


@dataclass(frozen=True)
class SubjectRow:
    """One person of a disclosure as the page shows them (the name only if the viewer may see the person)."""

    short_ref: str
    person: Person | None
    band: str
    categories: list[str]
    necessity: str


@dataclass(frozen=True)
class DisclosureDetail:
    disclosure: Disclosure
    subjects: list[SubjectRow]
    erased: int


def _bcus_detail(codes: list[str]) -> dict[str, Any]:
    if len(set(codes)) == 1:
        return {"bcu": codes[0]}
    return {"target_bcus": codes}


def disclosure_detail_for(*, viewer: User, disclosure_id: Any, purpose: str, log: bool = True) -> DisclosureDetail:
    """A disclosure with its people (``Http404`` out of reach); records ``disclosure.consulted`` if ``log``."""
    disclosure = disclosure_get_for(viewer=viewer, disclosure_id=disclosure_id)
    subjects = list(
        DisclosureSubject.objects.filter(disclosure=disclosure)
        .select_related("person", "person__bcu")
        .order_by("person_id")
    )
    preload(s.data_key_id for s in subjects)
    visible = set(
        register_selectors.people_visible_to(viewer=viewer)
        .filter(pk__in=[s.person_id for s in subjects])
        .values_list("pk", flat=True)
    )
    rows = [
        SubjectRow(
            short_ref=s.person.short_ref,
            person=s.person if s.person_id in visible else None,
            band=rules.BANDS.get(s.band or rules.NO_BAND, s.band),
            categories=[rules.CATEGORIES.get(c, c) for c in s.categories],
            necessity=s.necessity,
        )
        for s in subjects
    ]
    if log and subjects:
        consultation_record(
            actor=viewer,
            verb=Verb.DISCLOSURE_CONSULTED,
            object_type="disclosure",
            object_ref=disclosure.ref,
            targets=[s.person.ref for s in subjects],
            purpose=purpose,
            detail={"isa": disclosure.agreement.code, **_bcus_detail([s.person.bcu.code for s in subjects])},
        )
    return DisclosureDetail(
        disclosure=disclosure, subjects=rows, erased=max(disclosure.people_count - len(subjects), 0)
    )


def people_asked(*, viewer: User, text: str) -> list[Asked]:
    """The people a request names, one a line as ``P-XXXXXXXX | why it is necessary``, within the viewer's reach.

    ``ValidationError`` on ``people`` naming every line that is malformed or
    names no one the viewer may see (the same words whether or not the
    person exists elsewhere). Logs nothing: the request records them.
    """
    visible = register_selectors.people_visible_to(viewer=viewer)
    asked: list[Asked] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        reference, _, necessity = line.partition("|")
        match = _SHORT_REF.fullmatch(reference.strip())
        if match is None:
            problems.append(f"Line {number}: start with the person's reference, like P-1A2B3C4D, then a bar (|).")
            continue
        short = "P-" + match.group(1).upper()
        matches = list(visible.filter(pk__startswith=match.group(1).lower()).values_list("pk", flat=True)[:2])
        if len(matches) != 1:
            problems.append(f"{short}: no person you may see has this reference.")
            continue
        asked.append(Asked(person_id=matches[0], necessity=necessity.strip()))
    if problems:
        raise ValidationError({"people": problems})
    if not asked:
        raise ValidationError({"people": "Name at least one person."})
    return asked
