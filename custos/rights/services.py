"""Writes for data-subject requests (DPA 2018 s.45-48, s.54).

Each service authorises the actor again (``policies``: the Information
Rights Unit handles requests), validates, writes and records its audit event
in one transaction; if the event cannot be written nothing changes. Rules
enforced here, whatever the interface:

- the clock (``custos.rights.clock``) runs one calendar month from receipt;
  it stops only while the controller waits for clarification it needs, and
  not once the time limit has passed; it is extended once, by one or two
  months, by a notice with reasons given within the first month;
- a part of a subject access response is withheld only under a named
  s.45(4) ground with reasons, before the response is sent;
- the response is compiled from what is held when it is sent, kept sealed
  with the person's key, and logged with the SHA-256 of its files and what
  was withheld;
- a rectification goes through ``custos.register.services`` (which refuses a
  restricted person and rebuilds the blind index), and lists every earlier
  recipient of the person's data, each of whom must be told before the
  request is closed as answered (s.48(4), s.38(5));
- erasure and restriction requests go through ``custos.retention``: a review
  that a named person decides, or a restriction.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.selectors import verb_label
from custos.audit.services import consultation_record, event_record
from custos.register import services as register_services
from custos.register.models import IntelligenceItem, Person
from custos.register.selectors import people_visible_to
from custos.register.services import RuleBroken
from custos.retention import services as retention_services
from custos.retention.models import Restriction, Review, Trigger
from custos.rights import policies
from custos.rights import sar as engine
from custos.rights.clock import MAX_EXTENSION_MONTHS, Clock, Pause, clock
from custos.rights.models import (
    ClockPause,
    Ground,
    Kind,
    RecipientNotice,
    Rectification,
    RectifiedField,
    Response,
    SubjectRequest,
    Withholding,
)
from custos.rights.sar import SarPackage, Withheld, disclosures_of, parts_of, sar_collect

MIN_REASONS = 10


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _handler(actor: User) -> None:
    _require(policies.may_handle_requests(actor), "Only the Information Rights Unit handles data-subject requests.")


def _reasons(text: str, field: str = "reasons") -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASONS:
        raise ValidationError({field: f"Give reasons (at least {MIN_REASONS} characters)."})
    return text


def _required(text: str, field: str, message: str, *, limit: int = 500) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({field: message})
    if len(text) > limit:
        raise ValidationError({field: f"Keep it to {limit} characters or fewer."})
    return text


def _open(request: SubjectRequest) -> None:
    if not request.is_open:
        raise RuleBroken(f"This request is {request.get_status_display().lower()}: nothing more can be done on it.")


_KIND_NAMES = {
    Kind.ACCESS: "a subject access",
    Kind.RECTIFICATION: "a rectification",
    Kind.ERASURE: "an erasure",
    Kind.RESTRICTION: "a restriction",
}


def _kind(request: SubjectRequest, kind: str, what: str) -> None:
    if request.kind != kind:
        raise RuleBroken(f"Only {_KIND_NAMES[Kind(kind)]} request can {what}.")


def person_of(actor: User, request: SubjectRequest) -> Person:
    """The person a request is about, as the actor may see them; refuses if erased or out of reach."""
    if request.person_id is None:
        raise RuleBroken("The person's records have been erased: nothing about them is held any more.")
    person = people_visible_to(viewer=actor).select_related("bcu", "borough").filter(pk=request.person_id).first()
    if person is None:
        raise RuleBroken(
            "This person's processing is restricted to other roles (s.47): ask the DPO to handle this request."
        )
    return person


def request_clock(request: SubjectRequest, *, today: dt.date | None = None) -> Clock:
    """The statutory clock of a request today (pauses read from the database, or a prefetch)."""
    return clock(
        received_on=request.received_on,
        today=today or timezone.localdate(),
        extension_months=request.extension_months,
        pauses=[Pause(p.started_on, p.ended_on) for p in request.pauses.all()],
        stopped_on=request.closed_on,
    )


def _clock_detail(request: SubjectRequest, today: dt.date) -> dict[str, Any]:
    current = request_clock(request, today=today)
    return {"due_on": current.due_on.isoformat(), "days_left": current.days_left}


# Receiving -------------------------------------------------------------------------------------------------


@transaction.atomic
def request_receive(
    *,
    actor: User,
    person: Person,
    kind: str,
    received_on: dt.date,
    requester_name: str,
    requester_contact: str,
    identity_verification: str,
    details: str = "",
    handler: User | None = None,
    purpose: str = "",
    today: dt.date | None = None,
) -> SubjectRequest:
    """Log a data-subject request about ``person`` with its statutory clock, from the day it was received.

    Authorises ``may_handle_requests``. The requester's name, contact and how
    their identity was verified are required and sealed with the person's
    key. Refuses a second open request of the same kind about the same
    person, and a receipt date in the future. Records ``request.received``.
    """
    _handler(actor)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = "Choose what the person asks for."
    if received_on > today:
        errors["received_on"] = "The date received cannot be in the future."
    if errors:
        raise ValidationError(errors)
    name = _required(requester_name, "requester_name", "Enter the requester's name.", limit=200)
    contact = _required(requester_contact, "requester_contact", "Enter how to reach the requester.")
    verification = _reasons(identity_verification, "identity_verification")
    handler = handler or actor
    _require(policies.may_handle_requests(handler), "The handler must be in the Information Rights Unit.")
    existing = SubjectRequest.objects.filter(person=person, kind=kind, status__in=SubjectRequest.OPEN_STATUSES).first()
    if existing is not None:
        raise RuleBroken(f"This person already has an open request of this kind ({existing.short_ref}).")
    request = SubjectRequest.objects.create(
        data_key_id=person.data_key_id,
        kind=kind,
        person=person,
        person_ref=person.ref,
        bcu_id=person.bcu_id,
        received_on=received_on,
        requester_name=name,
        requester_contact=contact,
        identity_verification=verification,
        details=(details or "").strip() or None,
        handler=handler,
        received_by=actor,
    )
    due = request_clock(request, today=today)
    event_record(
        actor=actor,
        verb=Verb.REQUEST_RECEIVED,
        object_type="subject_request",
        object_ref=request.ref,
        targets=[person.ref],
        purpose=purpose,
        detail={
            "kind": kind,
            "received_on": received_on.isoformat(),
            "due_on": due.due_on.isoformat(),
            "bcu": person.bcu.code,
        },
    )
    return request


# The clock -------------------------------------------------------------------------------------------------


def _locked(request: SubjectRequest) -> SubjectRequest:
    return SubjectRequest.objects.select_for_update().get(pk=request.pk)


@transaction.atomic
def request_pause(
    *, actor: User, request: SubjectRequest, started_on: dt.date, reason: str, today: dt.date | None = None
) -> ClockPause:
    """Stop the clock while waiting for clarification the controller needs (s.54).

    Refused if the clock is already stopped, if the request is answered or
    closed, for a start before receipt, before the last pause ended or in the
    future, and once the time limit has passed: a late request cannot be
    paused back into time. Records ``request.clock_changed``.
    """
    _handler(actor)
    request = _locked(request)
    _open(request)
    today = today or timezone.localdate()
    reason = _reasons(reason, "reason")
    pauses = list(request.pauses.all())
    if any(p.ended_on is None for p in pauses):
        raise RuleBroken("The clock is already stopped.")
    if started_on > today:
        raise ValidationError({"started_on": "The clock cannot be stopped from a day in the future."})
    if started_on < request.received_on:
        raise ValidationError({"started_on": "The clock cannot be stopped before the request was received."})
    last_end = max((p.ended_on for p in pauses if p.ended_on), default=None)
    if last_end is not None and started_on < last_end:
        raise ValidationError({"started_on": "The clock cannot be stopped before the last stop ended."})
    if request_clock(request, today=started_on).overdue:
        raise RuleBroken("The time limit had passed by then: a late request's clock cannot be stopped.")
    pause = ClockPause.objects.create(
        data_key_id=request.data_key_id, request=request, started_on=started_on, reason=reason, started_by=actor
    )
    request.status = SubjectRequest.Status.AWAITING_CLARIFICATION
    request.save(update_fields=["status"])
    event_record(
        actor=actor,
        verb=Verb.REQUEST_CLOCK_CHANGED,
        object_type="subject_request",
        object_ref=request.ref,
        targets=[request.person_ref],
        detail={"change": "paused", "started_on": started_on.isoformat()},
    )
    return pause


@transaction.atomic
def request_resume(
    *, actor: User, request: SubjectRequest, ended_on: dt.date, today: dt.date | None = None
) -> ClockPause:
    """Restart the clock: the clarification arrived on ``ended_on``. Records ``request.clock_changed``."""
    _handler(actor)
    request = _locked(request)
    today = today or timezone.localdate()
    pause = request.pauses.filter(ended_on__isnull=True).first()
    if pause is None or request.status != SubjectRequest.Status.AWAITING_CLARIFICATION:
        raise RuleBroken("The clock is not stopped.")
    if ended_on > today:
        raise ValidationError({"ended_on": "The clarification cannot have arrived in the future."})
    if ended_on < pause.started_on:
        raise ValidationError({"ended_on": "The clarification cannot have arrived before it was asked for."})
    pause.ended_on = ended_on
    pause.ended_by = actor
    pause.save(update_fields=["ended_on", "ended_by"])
    request.status = SubjectRequest.Status.EXTENDED if request.extension_months else SubjectRequest.Status.OPEN
    request.save(update_fields=["status"])
    event_record(
        actor=actor,
        verb=Verb.REQUEST_CLOCK_CHANGED,
        object_type="subject_request",
        object_ref=request.ref,
        targets=[request.person_ref],
        detail={
            "change": "resumed",
            "ended_on": ended_on.isoformat(),
            "paused_days": (ended_on - pause.started_on).days,
            **_clock_detail(request, today),
        },
    )
    return pause


@transaction.atomic
def request_extend(
    *,
    actor: User,
    request: SubjectRequest,
    months: int,
    reasons: str,
    notice_on: dt.date,
    today: dt.date | None = None,
) -> SubjectRequest:
    """Extend the time limit by one or two further months, by a notice with reasons (s.54).

    Only once, by at most two months, and only by a notice given within the
    first month (to the end of the first month from receipt, moved by any
    stops of the clock). Records ``request.clock_changed``.
    """
    _handler(actor)
    request = _locked(request)
    _open(request)
    today = today or timezone.localdate()
    if request.extension_months:
        raise RuleBroken("The time limit has already been extended; it can be extended only once.")
    if months not in range(1, MAX_EXTENSION_MONTHS + 1):
        raise ValidationError({"months": "The time limit can be extended by one or two further months only."})
    reasons = _reasons(reasons)
    if notice_on > today:
        raise ValidationError({"notice_on": "The notice cannot be dated in the future."})
    if notice_on < request.received_on:
        raise ValidationError({"notice_on": "The notice cannot be dated before the request was received."})
    first_month = request_clock(request, today=notice_on).first_month_ends
    if notice_on > first_month:
        raise RuleBroken(
            f"An extension must be notified within the first month, which ended on {first_month:%d %B %Y}."
        )
    request.extension_months = months
    request.extended_on = notice_on
    request.extension_reasons = reasons
    if request.status == SubjectRequest.Status.OPEN:
        request.status = SubjectRequest.Status.EXTENDED
    request.save(update_fields=["extension_months", "extended_on", "extension_reasons", "status"])
    event_record(
        actor=actor,
        verb=Verb.REQUEST_CLOCK_CHANGED,
        object_type="subject_request",
        object_ref=request.ref,
        targets=[request.person_ref],
        detail={
            "change": "extended",
            "months": months,
            "notice_on": notice_on.isoformat(),
            **_clock_detail(request, today),
        },
    )
    return request


# Subject access --------------------------------------------------------------------------------------------


def withheld_of(request: SubjectRequest) -> list[Withheld]:
    """The request's withholdings as ``sar_compile`` takes them (ground labels, no reasons)."""
    return [
        Withheld(part=w.part, ground=w.ground, ground_label=w.get_ground_display(), tell_subject=w.tell_subject)
        for w in request.withholdings.all()
    ]


def package_compile(request: SubjectRequest, person: Person, *, draft: bool, pdf: bool = True) -> SarPackage:
    """The package for a request, with its withholdings (no authorisation, no event: callers do both)."""
    return engine.sar_compile(
        person,
        withheld=withheld_of(request),
        request_ref=request.short_ref,
        received_on=request.received_on,
        draft=draft,
        pdf=pdf,
    )


def sar_compile(
    *, actor: User, person: Person, purpose: str = "", withheld: Sequence[Withheld] = (), pdf: bool = True
) -> SarPackage:
    """Compile everything held on a person, outside any request: the JSON document and the PDF, without HTTP.

    For benchmarks and checks (``make bench`` times it on 100,000 people).
    Authorises ``may_handle_requests`` and the person being in the actor's
    reach; records ``sar.compiled`` (a consultation) with the SHA-256 of what
    was compiled. A request's own package goes through ``package_compile``
    and the selectors.
    """
    _handler(actor)
    visible = people_visible_to(viewer=actor).select_related("bcu", "borough").filter(pk=person.pk).first()
    if visible is None:
        raise RuleBroken("No person you may see is this person: erased, or restricted to other roles.")
    package = engine.sar_compile(visible, withheld=withheld, draft=True, pdf=pdf)
    consultation_record(
        actor=actor,
        verb=Verb.SAR_COMPILED,
        object_type="person",
        object_ref=visible.ref,
        purpose=purpose or "sar_compile: no request",
        detail={
            "format": "json+pdf" if pdf else "json",
            "draft": True,
            "sha256": package.sha256,
            "withheld": len(withheld),
            "bcu": visible.bcu.code,
        },
    )
    return package


@transaction.atomic
def withholding_add(
    *,
    actor: User,
    request: SubjectRequest,
    part: str,
    ground: str,
    reason: str,
    tell_subject: bool = True,
) -> Withholding:
    """Mark a part of a subject access response as withheld under a named s.45(4) ground, with reasons.

    Only before the response is sent; only a part the person's records hold
    (an item or a whole section); once per part. The reasons are internal
    and never in the package. Records ``sar.withheld``.
    """
    _handler(actor)
    request = _locked(request)
    _kind(request, Kind.ACCESS, "have parts withheld")
    _open(request)
    if ground not in Ground.values:
        raise ValidationError({"ground": "Choose the s.45(4) ground the part is withheld under."})
    reason = _reasons(reason, "reason")
    person = person_of(actor, request)
    if part not in {p.ref for p in parts_of(sar_collect(person))}:
        raise ValidationError({"part": "Choose a part of this person's records."})
    if request.withholdings.filter(part=part).exists():
        raise RuleBroken("This part is already withheld.")
    try:
        with transaction.atomic():
            withholding = Withholding.objects.create(
                data_key_id=request.data_key_id,
                request=request,
                part=part,
                ground=ground,
                reason=reason,
                tell_subject=tell_subject,
                reviewer=actor,
            )
    except IntegrityError as exc:  # pragma: no cover - a concurrent reviewer marked it first
        raise RuleBroken("This part is already withheld.") from exc
    event_record(
        actor=actor,
        verb=Verb.SAR_WITHHELD,
        object_type="withholding",
        object_ref=withholding.ref,
        targets=[request.person_ref],
        detail={"request": request.ref, "part": part, "ground": ground, "told": tell_subject},
    )
    return withholding


def sar_respond(*, actor: User, request: SubjectRequest, purpose: str = "", today: dt.date | None = None) -> Response:
    """Send the subject access response: compile it as it stands, keep it sealed, log it, close the request.

    Refused for a request that is not a subject access request, is closed,
    has its clock stopped (record the clarification first), or whose person
    was erased. The PDF and JSON are compiled (not a draft), their SHA-256
    and the withheld parts kept with the response; the files are sealed with
    the person's key. Records ``sar.responded`` with the hashes, formats and
    what was withheld (references and counts; never the reasons).
    """
    _handler(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        request = _locked(request)
        _kind(request, Kind.ACCESS, "be answered with a subject access response")
        _open(request)
        if request.status == SubjectRequest.Status.AWAITING_CLARIFICATION:
            raise RuleBroken("The clock is stopped awaiting clarification: record the clarification first.")
        person = person_of(actor, request)
        package = package_compile(request, person, draft=False)
        assert package.pdf is not None
        withheld = list(request.withholdings.all())
        now = timezone.now()
        response = Response.objects.create(
            data_key_id=request.data_key_id,
            request=request,
            sent_at=now,
            sent_by=actor,
            formats=["pdf", "json"],
            sha256=package.sha256,
            withheld_count=len(withheld),
            withheld_refs=[w.part for w in withheld],
            package_json=package.json_bytes.decode("utf-8"),
            package_pdf=base64.b64encode(package.pdf).decode("ascii"),
        )
        request.status = SubjectRequest.Status.RESPONDED
        request.closed_on = today
        request.closed_by = actor
        request.save(update_fields=["status", "closed_on", "closed_by"])
        current = request_clock(request, today=today)
        event_record(
            actor=actor,
            verb=Verb.SAR_RESPONDED,
            object_type="response",
            object_ref=response.ref,
            targets=[request.person_ref],
            purpose=purpose,
            detail={
                "request": request.ref,
                "formats": response.formats,
                "sha256": response.sha256,
                "withheld": len(withheld),
                "withheld_parts": [w.part for w in withheld],
                "withheld_untold": sum(1 for w in withheld if not w.tell_subject),
                "due_on": current.due_on.isoformat(),
                "in_time": not current.overdue,
                "bcu": person.bcu.code,
            },
        )
    return response


def response_files(response: Response) -> dict[str, bytes]:
    """The files of a response as sent (``json``, ``pdf``)."""
    return {
        "json": str(response.package_json).encode("utf-8"),
        "pdf": base64.b64decode(str(response.package_pdf)),
    }


# Rectification ---------------------------------------------------------------------------------------------


def recipients_of(person_ref: str) -> dict[str, list[tuple[int, dt.datetime, str]]]:
    """Every earlier recipient of the person's data, from the disclosure log: name → (event, when, what)."""
    found: dict[str, list[tuple[int, dt.datetime, str]]] = defaultdict(list)
    for event in disclosures_of(person_ref):
        what = verb_label(event.verb) + (f" ({event.object_ref})" if event.object_ref else "")
        for recipient in event.recipients:
            found[str(recipient)].append((event.seq, event.occurred_at, what))
    return dict(found)


@transaction.atomic
def rectify(
    *,
    actor: User,
    request: SubjectRequest,
    field: str,
    value: Any,
    reasons: str,
    item: IntelligenceItem | None = None,
    purpose: str = "",
) -> Rectification:
    """Correct the person's data for a rectification request (s.46), and list whom to tell (s.48(4)).

    A person field (full name, aliases, date of birth, addresses) goes
    through ``register.services.person_rectify``; an intelligence item is
    completed by a supplementary statement (``intelligence_supplement``).
    Both refuse a restricted person. The old and new values and the reasons
    are kept, sealed. Every earlier recipient of the person's data (every
    disclosure event naming them) gets a ``RecipientNotice`` to be sent.
    The register records ``person.rectified``.
    """
    _handler(actor)
    request = _locked(request)
    _kind(request, Kind.RECTIFICATION, "correct data")
    _open(request)
    if request.status == SubjectRequest.Status.AWAITING_CLARIFICATION:
        raise RuleBroken("The clock is stopped awaiting clarification: record the clarification first.")
    person = person_of(actor, request)
    if field not in RectifiedField.values:
        raise ValidationError({"field": "Choose what to correct."})
    if field == RectifiedField.INTELLIGENCE_SUMMARY:
        if item is None or item.person_id != person.pk:
            raise ValidationError({"item": "Choose one of this person's intelligence items."})
        done = register_services.intelligence_supplement(
            actor=actor, item=item, statement=str(value or ""), reasons=reasons, purpose=purpose
        )
        item_ref = item.ref
    else:
        done = register_services.person_rectify(
            actor=actor, person=person, field=field, value=value, reasons=reasons, purpose=purpose
        )
        item_ref = ""
    rectification = Rectification.objects.create(
        data_key_id=request.data_key_id,
        request=request,
        field_name=field,
        item_ref=item_ref,
        old_value=done.old,
        new_value=done.new,
        reasons=reasons.strip(),
        decided_by=actor,
    )
    notices = []
    for recipient, disclosures in sorted(recipients_of(person.ref).items()):
        whats = sorted({what for _, _, what in disclosures})
        notices.append(
            RecipientNotice(
                rectification=rectification,
                recipient=recipient[:200],
                event_seqs=[seq for seq, _, _ in disclosures],
                disclosed_at=max(when for _, when, _ in disclosures),
                what_sent="; ".join(whats)[:300],
            )
        )
    RecipientNotice.objects.bulk_create(notices)
    return rectification


@transaction.atomic
def notice_send(*, actor: User, notice: RecipientNotice) -> RecipientNotice:
    """Record that an earlier recipient was told of the rectification (s.48(4), s.38(5)).

    Once per notice. Records ``rectification.notified`` naming the recipient,
    as a disclosure log must (s.62(3)(b)): the notice carries the corrected data.
    """
    _handler(actor)
    notice = RecipientNotice.objects.select_for_update().select_related("rectification__request").get(pk=notice.pk)
    if notice.notice_sent_at is not None:
        raise RuleBroken("This recipient has already been notified.")
    request = notice.rectification.request
    notice.notice_sent_at = timezone.now()
    notice.notice_sent_by = actor
    notice.save(update_fields=["notice_sent_at", "notice_sent_by"])
    event_record(
        actor=actor,
        verb=Verb.RECTIFICATION_NOTIFIED,
        object_type="recipient_notice",
        object_ref=notice.ref,
        targets=[request.person_ref],
        recipients=[notice.recipient],
        detail={
            "request": request.ref,
            "rectification": notice.rectification.ref,
            "field": notice.rectification.field_name,
            "disclosures": notice.event_seqs,
        },
    )
    return notice


# Erasure and restriction -----------------------------------------------------------------------------------


def request_erasure_review(*, actor: User, request: SubjectRequest, today: dt.date | None = None) -> Review:
    """Put an erasure request to a review (``custos.retention``): a named person decides it, with reasons.

    Opens a review with the trigger "data-subject request" in the person's
    BCU queue (which tells the SPOC) and links it to the request. Refused if
    one is already linked, or the person already has an open review or is
    due to be erased. ``review.opened`` is recorded by the retention service.
    """
    _handler(actor)
    with transaction.atomic():
        request = _locked(request)
        _kind(request, Kind.ERASURE, "open an erasure review")
        _open(request)
        if request.review_id is not None:
            raise RuleBroken("A review has already been opened for this request.")
        person = person_of(actor, request)
        review = retention_services.review_open(
            actor=actor, person=person, trigger=Trigger.SUBJECT_REQUEST, today=today
        )
        request.review = review
        request.save(update_fields=["review"])
    return review


@transaction.atomic
def request_restrict(*, actor: User, request: SubjectRequest, reasons: str, roles: Sequence[str] = ()) -> Restriction:
    """Restrict processing as the data subject asked (s.47), through ``custos.retention``.

    The person is then hidden from every role the restriction does not name
    (by default the DPO and the Information Rights Unit) and nothing about
    them may change. ``person.restricted`` is recorded by the retention service.
    """
    _handler(actor)
    request = _locked(request)
    _kind(request, Kind.RESTRICTION, "restrict processing")
    _open(request)
    if request.restriction_id is not None:
        raise RuleBroken("Processing has already been restricted for this request.")
    person = person_of(actor, request)
    restriction = retention_services.person_restrict(
        actor=actor, person=person, ground=Restriction.Ground.SUBJECT_REQUEST, reasons=reasons, roles=roles
    )
    request.restriction = restriction
    request.save(update_fields=["restriction"])
    return restriction


# Closing ---------------------------------------------------------------------------------------------------

#: How a request other than subject access may end (a subject access request is answered by ``sar_respond``).
OUTCOMES = {
    SubjectRequest.Status.RESPONDED: "Answered: the outcome was sent in writing",
    SubjectRequest.Status.REFUSED: "Refused, with reasons",
    SubjectRequest.Status.CLOSED: "Closed without a response (withdrawn, or no clarification came)",
}


def _may_close_answered(request: SubjectRequest) -> None:
    if request.kind == Kind.ACCESS:
        raise RuleBroken("A subject access request is answered by sending its response.")
    if request.kind == Kind.RECTIFICATION and not request.rectifications.exists():
        raise RuleBroken("Nothing has been rectified: correct the data first, or refuse with reasons.")
    if request.kind == Kind.ERASURE:
        review = request.review
        if review is None:
            raise RuleBroken("Open the erasure review first.")
        if review.status == Review.Status.OPEN:
            raise RuleBroken("The erasure review has not been decided yet.")
    if request.kind == Kind.RESTRICTION and request.restriction_id is None:
        raise RuleBroken("Processing has not been restricted: restrict it first, or refuse with reasons.")


@transaction.atomic
def request_close(
    *, actor: User, request: SubjectRequest, outcome: str, reasons: str, today: dt.date | None = None
) -> SubjectRequest:
    """Close a request with its written outcome and reasons (s.48(1)).

    ``responded``: what was asked was done (rectified with every earlier
    recipient told; erasure review decided; processing restricted);
    ``refused``: refused, with reasons (for any kind); ``closed``: withdrawn
    or abandoned. Records ``request.closed``.
    """
    _handler(actor)
    request = _locked(request)
    _open(request)
    today = today or timezone.localdate()
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "Choose how the request ends."})
    reasons = _reasons(reasons)
    if outcome == SubjectRequest.Status.RESPONDED:
        _may_close_answered(request)
    pending = RecipientNotice.objects.filter(rectification__request=request, notice_sent_at__isnull=True).count()
    if pending:
        raise RuleBroken(
            f"{pending} earlier recipient(s) have not been told of the correction (s.48(4)): notify them first."
        )
    open_pause = request.pauses.filter(ended_on__isnull=True).first()
    if open_pause is not None:
        open_pause.ended_on = today
        open_pause.ended_by = actor
        open_pause.save(update_fields=["ended_on", "ended_by"])
    request.status = outcome
    request.closed_on = today
    request.closed_by = actor
    request.outcome_reasons = reasons
    request.save(update_fields=["status", "closed_on", "closed_by", "outcome_reasons"])
    current = request_clock(request, today=today)
    event_record(
        actor=actor,
        verb=Verb.REQUEST_CLOSED,
        object_type="subject_request",
        object_ref=request.ref,
        targets=[request.person_ref],
        detail={"kind": request.kind, "outcome": outcome, "in_time": not current.overdue},
    )
    return request
