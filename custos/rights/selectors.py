"""Reads of data-subject requests.

Every selector authorises the reader (``policies.may_view_requests``: the
Information Rights Unit, the DPO and central governance) and records the
consultation (``request.consulted``; ``sar.compiled`` for a compiled
package) with the declared purpose before returning. A request that does not
exist answers 404. The person a request is about is shown only to a reader
who may see them (a restriction may name other roles): otherwise only their
reference.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.selectors import person_ref_parse
from custos.audit.services import consultation_record
from custos.crypto.keys import KeyUnavailable
from custos.register import selectors as register_selectors
from custos.register.models import IntelligenceItem, Person
from custos.rights import policies
from custos.rights.clock import Clock
from custos.rights.models import ClockPause, Kind, RecipientNotice, Rectification, Response, SubjectRequest
from custos.rights.sar import SarPackage
from custos.rights.services import package_compile, person_of, request_clock, response_files


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_request_access(viewer: User) -> None:
    _require(policies.may_view_requests(viewer), "Your role does not give access to data-subject requests.")


def _bcus_of(codes: Sequence[str]) -> dict[str, Any]:
    """``{"bcu": code}`` when the people named share one, else ``{"target_bcus": [...]}`` in target order."""
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


def requests_visible_to(*, viewer: User) -> QuerySet[SubjectRequest]:
    """Every request, for a role that reads them (all London-wide); none otherwise. Logs nothing."""
    if not policies.may_view_requests(viewer):
        return SubjectRequest.objects.none()
    return SubjectRequest.objects.all()


# The dashboard ---------------------------------------------------------------------------------------------

#: Which requests the dashboard lists (query-string codes, no personal data).
STATUS_FILTERS = {"open": "Open", "closed": "Answered or closed", "all": "All"}


@dataclass(frozen=True)
class RequestRow:
    request: SubjectRequest
    clock: Clock


@dataclass
class Dashboard:
    rows: list[RequestRow]
    status: str
    counts: dict[str, int] = field(default_factory=dict)


def dashboard_for(*, viewer: User, purpose: str, status: str = "open", today: dt.date | None = None) -> Dashboard:
    """Requests with their clocks, the most urgent first; logs ``request.consulted`` naming every person listed.

    Shows references, kinds, dates and clocks only: no names.
    """
    require_request_access(viewer)
    today = today or timezone.localdate()
    status = status if status in STATUS_FILTERS else "open"
    qs = requests_visible_to(viewer=viewer).select_related("bcu", "handler").prefetch_related("pauses")
    if status == "open":
        qs = qs.filter(status__in=SubjectRequest.OPEN_STATUSES)
    elif status == "closed":
        qs = qs.exclude(status__in=SubjectRequest.OPEN_STATUSES)
    rows = [RequestRow(request=r, clock=request_clock(r, today=today)) for r in qs.order_by("received_on", "pk")]
    if status == "open":
        rows.sort(key=lambda row: (not row.clock.overdue, row.clock.paused, row.clock.days_left))
    else:
        rows.sort(key=lambda row: (row.request.received_on, str(row.request.pk)), reverse=True)
    open_rows = [row for row in rows if row.request.is_open] if status != "closed" else []
    counts = {
        "overdue": sum(1 for row in open_rows if row.clock.overdue and not row.clock.paused),
        "paused": sum(1 for row in open_rows if row.clock.paused),
        "due_soon": sum(1 for row in open_rows if row.clock.state in ("due_today", "due_soon")),
    }
    consultation_record(
        actor=viewer,
        verb=Verb.REQUEST_CONSULTED,
        object_type="subject_request_list",
        targets=[row.request.person_ref for row in rows],
        purpose=purpose,
        detail={"status": status, "requests": len(rows), **_bcus_of([row.request.bcu.code for row in rows])},
    )
    return Dashboard(rows=rows, status=status, counts=counts)


# One request -----------------------------------------------------------------------------------------------


def request_get_for(*, viewer: User, request_id: Any, purpose: str, log: bool = True) -> SubjectRequest:
    """One request, or ``Http404``; records ``request.consulted`` unless the caller logs its own read."""
    require_request_access(viewer)
    request = (
        requests_visible_to(viewer=viewer)
        .select_related("bcu", "handler", "received_by", "closed_by", "review", "restriction")
        .filter(pk=_parse_uuid(request_id))
        .first()
    )
    if request is None:
        raise Http404("No such request.")
    if log:
        consultation_record(
            actor=viewer,
            verb=Verb.REQUEST_CONSULTED,
            object_type="subject_request",
            object_ref=request.ref,
            targets=[request.person_ref],
            purpose=purpose,
            detail={"kind": request.kind, "bcu": request.bcu.code},
        )
    return request


@dataclass
class Requester:
    """What the requester told us; ``erased`` when the person's key was shredded with their records."""

    name: str = ""
    contact: str = ""
    identity_verification: str = ""
    details: str = ""
    extension_reasons: str = ""
    outcome_reasons: str = ""
    erased: bool = False


@dataclass
class RequestDetail:
    request: SubjectRequest
    clock: Clock
    requester: Requester
    person: Person | None
    pauses: list[ClockPause]
    withholdings: list[Any]
    response: Response | None
    rectifications: list[Rectification]
    notices_pending: int


def _requester(request: SubjectRequest) -> Requester:
    try:
        return Requester(
            name=str(request.requester_name),
            contact=str(request.requester_contact),
            identity_verification=str(request.identity_verification),
            details=str(request.details or ""),
            extension_reasons=str(request.extension_reasons or ""),
            outcome_reasons=str(request.outcome_reasons or ""),
        )
    except KeyUnavailable:
        return Requester(erased=True)


def visible_person(viewer: User, request: SubjectRequest) -> Person | None:
    """The request's person if the viewer may see them (not erased, not restricted to other roles)."""
    if request.person_id is None:
        return None
    return (
        register_selectors.people_visible_to(viewer=viewer)
        .select_related("bcu", "borough")
        .filter(pk=request.person_id)
        .first()
    )


def request_detail_for(*, viewer: User, request_id: Any, purpose: str, today: dt.date | None = None) -> RequestDetail:
    """Everything the request page shows, read once and logged once (``request.consulted``)."""
    request = request_get_for(viewer=viewer, request_id=request_id, purpose=purpose)
    requester = _requester(request)
    person = visible_person(viewer, request)
    rectifications = list(
        request.rectifications.select_related("decided_by").prefetch_related(
            Prefetch("notices", queryset=RecipientNotice.objects.select_related("notice_sent_by"))
        )
    )
    if requester.erased:
        rectifications = []
    pending = sum(1 for r in rectifications for n in r.notices.all() if n.notice_sent_at is None)
    response = Response.objects.filter(request=request).select_related("sent_by").first()
    return RequestDetail(
        request=request,
        clock=request_clock(request, today=today),
        requester=requester,
        person=person,
        pauses=list(request.pauses.select_related("started_by", "ended_by")),
        withholdings=[] if requester.erased else list(request.withholdings.select_related("reviewer")),
        response=response,
        rectifications=rectifications,
        notices_pending=pending,
    )


# Subject access packages -----------------------------------------------------------------------------------


def package_preview_for(*, viewer: User, request: SubjectRequest, purpose: str) -> SarPackage:
    """The package as it would be sent now (no PDF), for review; records ``sar.compiled`` (draft, html).

    Only the Information Rights Unit compiles packages.
    """
    _require(policies.may_handle_requests(viewer), "Only the Information Rights Unit compiles responses.")
    if request.kind != Kind.ACCESS:
        raise Http404("Only a subject access request has a package.")
    person = person_of(viewer, request)
    package = package_compile(request, person, draft=True, pdf=False)
    consultation_record(
        actor=viewer,
        verb=Verb.SAR_COMPILED,
        object_type="subject_request",
        object_ref=request.ref,
        targets=[request.person_ref],
        purpose=purpose,
        detail={"format": "html", "draft": True, "withheld": len(package.withheld_refs), "bcu": person.bcu.code},
    )
    return package


@dataclass(frozen=True)
class PackageFile:
    content: bytes
    filename: str
    content_type: str
    sha256: str
    as_sent: bool


CONTENT_TYPES = {"pdf": "application/pdf", "json": "application/json"}


def package_file_for(*, viewer: User, request: SubjectRequest, fmt: str, purpose: str) -> PackageFile:
    """A package file to download: the response as sent once there is one, else a draft compiled now.

    A draft is compiled by the Information Rights Unit only and records
    ``sar.compiled`` with its format and SHA-256; the response as sent may
    be read by any role that reads requests and records ``request.consulted``
    with the file's SHA-256 (which matches the one logged when it was sent).
    """
    require_request_access(viewer)
    if fmt not in CONTENT_TYPES or request.kind != Kind.ACCESS:
        raise Http404("No such file.")
    response = Response.objects.filter(request=request).first()
    if response is not None:
        content = response_files(response)[fmt]
        digest = str(response.sha256.get(fmt, ""))
        consultation_record(
            actor=viewer,
            verb=Verb.REQUEST_CONSULTED,
            object_type="response",
            object_ref=response.ref,
            targets=[request.person_ref],
            purpose=purpose,
            detail={"download": fmt, "as_sent": True, "sha256": digest, "bcu": request.bcu.code},
        )
        return PackageFile(content, f"{request.short_ref}-response.{fmt}", CONTENT_TYPES[fmt], digest, True)
    _require(policies.may_handle_requests(viewer), "Only the Information Rights Unit compiles responses.")
    person = person_of(viewer, request)
    package = package_compile(request, person, draft=True, pdf=fmt == "pdf")
    content = package.pdf if fmt == "pdf" and package.pdf is not None else package.json_bytes
    digest = package.sha256[fmt]
    consultation_record(
        actor=viewer,
        verb=Verb.SAR_COMPILED,
        object_type="subject_request",
        object_ref=request.ref,
        targets=[request.person_ref],
        purpose=purpose,
        detail={
            "format": fmt,
            "draft": True,
            "sha256": digest,
            "withheld": len(package.withheld_refs),
            "bcu": person.bcu.code,
        },
    )
    return PackageFile(content, f"{request.short_ref}-draft.{fmt}", CONTENT_TYPES[fmt], digest, False)


# Finding the person ----------------------------------------------------------------------------------------


def person_for_reference(*, viewer: User, reference: str, purpose: str) -> Person:
    """The person a reference names (``P-1A2B3C4D``, ``person:<id>`` or an id), as the viewer may see them.

    ``ValidationError`` (on ``person``) if the reference is malformed, names
    no one the viewer may see, or is a short reference two people share.
    Records ``person.consulted`` (through the register's selector).
    """
    try:
        ref = person_ref_parse(reference)
    except ValueError as exc:
        raise ValidationError({"person": str(exc)}) from exc
    value = ref.removeprefix("person:")
    people = register_selectors.people_visible_to(viewer=viewer)
    if len(value) == 8:
        matches = list(people.filter(pk__startswith=value).values_list("pk", flat=True)[:2])
    else:
        matches = list(people.filter(pk=uuid.UUID(value)).values_list("pk", flat=True))
    if not matches:
        raise ValidationError({"person": "No person you may see has this reference."})
    if len(matches) > 1:
        raise ValidationError(
            {"person": "Two people share this short reference: give the full reference (person:<id>)."}
        )
    return register_selectors.person_get_for(viewer=viewer, person_id=matches[0], purpose=purpose)


def intelligence_of(person: Person) -> list[IntelligenceItem]:
    """The person's intelligence items, oldest first (for choosing one to supplement)."""
    return list(person.intelligence.order_by("occurred_on", "created_at"))
