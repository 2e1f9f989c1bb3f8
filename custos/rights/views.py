"""Web pages for data-subject requests: thin, calling selectors and services only.

What they authorise: nothing by themselves. ``personal_data_view`` (from the
register) refuses a user who may not see personal data and asks for a
declared purpose first; the selectors refuse a role that does not read
requests (403: only the Information Rights Unit, the DPO and central
governance do) and answer 404 for a request that does not exist; every
action page is for the Information Rights Unit only (403 otherwise), and the
services authorise again.

What they log: every page showing a request records ``request.consulted``
(the dashboard names every person it lists); a package shown or downloaded
records ``sar.compiled`` with its SHA-256; each action records its own event
(``request.received``, ``request.clock_changed``, ``sar.withheld``,
``sar.responded``, ``person.rectified``, ``rectification.notified``,
``review.opened``, ``person.restricted``, ``request.closed``). A form sent
back with errors is logged as a consultation before it is shown again.

Names never travel in URLs: people are picked by reference (``P-1A2B3C4D``)
or found with a POST search; paths carry ids only. Every page is sent
``no-store``; downloads are attachments.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from custos.accounts.models import User
from custos.govuk.forms import form_submit as _submit
from custos.register import selectors as register_selectors
from custos.register.forms import PeopleSearchForm
from custos.register.views import declared_purpose as _purpose
from custos.register.views import personal_data_view
from custos.register.views import request_user as _user
from custos.rights import policies, selectors, services
from custos.rights.forms import (
    CloseForm,
    ConfirmForm,
    ExtendForm,
    PauseForm,
    ReceiveForm,
    RectifyForm,
    RestrictForm,
    ResumeForm,
    WithholdForm,
)
from custos.rights.models import Kind, RecipientNotice, SubjectRequest
from custos.rights.sar import SECTIONS, parts_of, preview, sar_collect

T = TypeVar("T")


def _handler(user: User) -> None:
    if not policies.may_handle_requests(user):
        raise PermissionDenied("Only the Information Rights Unit handles data-subject requests.")


def _request(http: HttpRequest, request_id: uuid.UUID, *, log: bool) -> SubjectRequest:
    return selectors.request_get_for(viewer=_user(http), request_id=request_id, purpose=_purpose(http), log=log)


def _consulted(http: HttpRequest, subject_request: SubjectRequest) -> None:
    """Record the read of a request whose form is shown again with errors."""
    selectors.request_get_for(viewer=_user(http), request_id=subject_request.pk, purpose=_purpose(http))


def _detail(subject_request: SubjectRequest) -> HttpResponse:
    return redirect("web:request", request_id=subject_request.pk)


# The dashboard and receiving -------------------------------------------------------------------------------


@never_cache
@require_GET
@personal_data_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every request with its statutory clock: due date, days left, overdue and paused highlighted."""
    user = _user(request)
    data = selectors.dashboard_for(viewer=user, purpose=_purpose(request), status=request.GET.get("status", "open"))
    context = {
        "data": data,
        "filters": selectors.STATUS_FILTERS,
        "may_handle": policies.may_handle_requests(user),
    }
    return render(request, "rights/dashboard.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def receive(request: HttpRequest) -> HttpResponse:
    """Log a request (``services.request_receive``) about a person picked by reference."""
    user = _user(request)
    _handler(user)
    initial: dict[str, Any] = {"received_on": timezone.localdate()}
    if reference := request.GET.get("person", "").strip()[:60]:
        initial["person"] = reference
    if (kind := request.GET.get("kind", "")) in Kind.values:
        initial["kind"] = kind
    form = ReceiveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def call() -> SubjectRequest:
            person = selectors.person_for_reference(viewer=user, reference=data["person"], purpose=_purpose(request))
            return services.request_receive(
                actor=user,
                person=person,
                kind=data["kind"],
                received_on=data["received_on"],
                requester_name=data["requester_name"],
                requester_contact=data["requester_contact"],
                identity_verification=data["identity_verification"],
                details=data.get("details") or "",
                purpose=_purpose(request),
            )

        made = _submit(form, call)
        if made is not None:
            messages.success(request, f"Request {made.short_ref} logged. It is due on {_due(made):%d %B %Y}.")
            return _detail(made)
    return render(request, "rights/receive.html", {"form": form})


def _due(subject_request: SubjectRequest) -> dt.date:
    return services.request_clock(subject_request).due_on


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def find_person(request: HttpRequest) -> HttpResponse:
    """Find the person a request is about by name or date of birth (POST only, so no name is in a URL)."""
    user = _user(request)
    _handler(user)
    form = PeopleSearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        results = register_selectors.people_search_for(
            viewer=user,
            purpose=_purpose(request),
            name=form.cleaned_data["name"] or "",
            date_of_birth=form.cleaned_data["date_of_birth"],
        )
    return render(request, "rights/find.html", {"form": form, "results": results})


# One request -----------------------------------------------------------------------------------------------


@never_cache
@require_GET
@personal_data_view
def detail(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """A request: who asked, the clock and its stops, and the actions its kind needs."""
    user = _user(request)
    data = selectors.request_detail_for(viewer=user, request_id=request_id, purpose=_purpose(request))
    context = {"d": data, "r": data.request, "may_handle": policies.may_handle_requests(user), "Kind": Kind}
    return render(request, "rights/detail.html", context)


def _form_page(
    request: HttpRequest,
    request_id: uuid.UUID,
    *,
    form_class: type[Any],
    call: Callable[[SubjectRequest, Any], Any],
    template: str,
    success: Callable[[Any], str],
    form_kwargs: Callable[[SubjectRequest], dict[str, Any]] | None = None,
    extra: Callable[[SubjectRequest], dict[str, Any]] | None = None,
) -> HttpResponse:
    """A request's action page: GET shows the form (a consultation); POST runs the service.

    On success: a message and back to the request. On errors: the read is
    logged and the form shown again.
    """
    user = _user(request)
    _handler(user)
    subject_request = _request(request, request_id, log=request.method == "GET")
    kwargs = form_kwargs(subject_request) if form_kwargs else {}
    form = form_class(request.POST if request.method == "POST" else None, **kwargs)
    if request.method == "POST":
        if form.is_valid():
            done = _submit(form, lambda: call(subject_request, form))
            if done is not None:
                messages.success(request, success(done))
                return _detail(subject_request)
        _consulted(request, subject_request)
    context = {
        "form": form,
        "r": subject_request,
        "clock": services.request_clock(subject_request),
        **(extra(subject_request) if extra else {}),
    }
    return render(request, template, context)


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def pause(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Stop the clock while waiting for clarification (``services.request_pause``)."""
    return _form_page(
        request,
        request_id,
        form_class=PauseForm,
        call=lambda r, f: services.request_pause(
            actor=_user(request), request=r, started_on=f.cleaned_data["started_on"], reason=f.cleaned_data["reason"]
        ),
        template="rights/pause.html",
        success=lambda p: f"The clock is stopped from {p.started_on:%d %B %Y}.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def resume(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Restart the clock when the clarification arrives (``services.request_resume``)."""
    return _form_page(
        request,
        request_id,
        form_class=ResumeForm,
        call=lambda r, f: services.request_resume(actor=_user(request), request=r, ended_on=f.cleaned_data["ended_on"]),
        template="rights/resume.html",
        success=lambda p: f"The clock runs again from {p.ended_on:%d %B %Y}.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def extend(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Extend the time limit by notice with reasons (``services.request_extend``)."""
    return _form_page(
        request,
        request_id,
        form_class=ExtendForm,
        call=lambda r, f: services.request_extend(
            actor=_user(request),
            request=r,
            months=f.cleaned_data["months"],
            reasons=f.cleaned_data["reasons"],
            notice_on=f.cleaned_data["notice_on"],
        ),
        template="rights/extend.html",
        success=lambda r: f"Time limit extended: now due on {_due(r):%d %B %Y}.",
    )


# Subject access --------------------------------------------------------------------------------------------


def _package_page(request: HttpRequest, subject_request: SubjectRequest, form: WithholdForm | None) -> HttpResponse:
    try:
        package = selectors.package_preview_for(
            viewer=_user(request), request=subject_request, purpose=_purpose(request)
        )
    except ValidationError as exc:  # erased, or restricted to other roles: the request page says so
        messages.error(request, " ".join(exc.messages))
        return _detail(subject_request)
    form = form or WithholdForm(parts=package.parts)
    context = {
        "r": subject_request,
        "p": package.data,
        "preview": preview(package),
        "subject": package.full.get("subject") or {},
        "form": form,
        "withholdings": list(subject_request.withholdings.select_related("reviewer")),
        "clock": services.request_clock(subject_request),
        "sections": SECTIONS,
    }
    return render(request, "rights/package.html", context)


@never_cache
@require_GET
@personal_data_view
def package(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """The subject access package as it would be sent now, and the form to withhold parts of it."""
    user = _user(request)
    _handler(user)
    subject_request = _request(request, request_id, log=False)
    if subject_request.kind != Kind.ACCESS:
        return _detail(subject_request)
    return _package_page(request, subject_request, None)


@never_cache
@require_POST
@personal_data_view
def withhold(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Withhold a part under a named s.45(4) ground with reasons (``services.withholding_add``)."""
    user = _user(request)
    _handler(user)
    subject_request = _request(request, request_id, log=False)
    try:
        parts = parts_of(sar_collect(services.person_of(user, subject_request)))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(subject_request)
    form = WithholdForm(request.POST, parts=parts)
    if form.is_valid():
        data = form.cleaned_data
        done = _submit(
            form,
            lambda: services.withholding_add(
                actor=user,
                request=subject_request,
                part=data["part"],
                ground=data["ground"],
                reason=data["reason"],
                tell_subject=bool(data.get("tell_subject")),
            ),
        )
        if done is not None:
            messages.success(request, f"Withheld: {done.part} ({done.get_ground_display()}).")
            return redirect("web:request_package", request_id=subject_request.pk)
    return _package_page(request, subject_request, form)


@never_cache
@require_GET
@personal_data_view
def download(request: HttpRequest, request_id: uuid.UUID, fmt: str) -> HttpResponse:
    """The package as a file: the response as sent, or a draft compiled now. An attachment, never cached."""
    user = _user(request)
    subject_request = _request(request, request_id, log=False)
    try:
        file = selectors.package_file_for(viewer=user, request=subject_request, fmt=fmt, purpose=_purpose(request))
    except ValidationError as exc:  # erased, or restricted to other roles: the request page says so
        messages.error(request, " ".join(exc.messages))
        return _detail(subject_request)
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["X-Content-SHA256"] = file.sha256
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def respond(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Send the response (``services.sar_respond``): compiled now, kept sealed, logged with its hashes."""
    return _form_page(
        request,
        request_id,
        form_class=ConfirmForm,
        call=lambda r, f: services.sar_respond(actor=_user(request), request=r, purpose=_purpose(request)),
        template="rights/respond.html",
        success=lambda resp: f"Response recorded as sent, with {resp.withheld_count} part(s) withheld.",
        extra=lambda r: {"withholdings": list(r.withholdings.all())},
    )


# Rectification, erasure, restriction, closing --------------------------------------------------------------


def _rectify(user: User, subject_request: SubjectRequest, form: RectifyForm, purpose: str) -> Any:
    data = form.cleaned_data
    return services.rectify(
        actor=user,
        request=subject_request,
        field=data["field"],
        value=data["new_value"],
        reasons=data["reasons"],
        item=data.get("item_object"),
        purpose=purpose,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def rectify(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Correct the person's data (``services.rectify``); earlier recipients are then listed to be told."""
    user = _user(request)

    def person_items(r: SubjectRequest) -> dict[str, Any]:
        person = selectors.visible_person(user, r)
        return {"items": selectors.intelligence_of(person) if person else []}

    def extra(r: SubjectRequest) -> dict[str, Any]:
        person = selectors.visible_person(user, r)
        return {"person": person}

    return _form_page(
        request,
        request_id,
        form_class=RectifyForm,
        call=lambda r, f: _rectify(user, r, f, _purpose(request)),
        template="rights/rectify.html",
        success=lambda rect: (
            f"Corrected: {rect.get_field_name_display().lower()}. {rect.notices.count()} earlier recipient(s) to tell."
        ),
        form_kwargs=person_items,
        extra=extra,
    )


@never_cache
@require_POST
@personal_data_view
def notice_sent(request: HttpRequest, request_id: uuid.UUID, notice_id: uuid.UUID) -> HttpResponse:
    """Record that an earlier recipient was told of the correction (``services.notice_send``)."""
    user = _user(request)
    _handler(user)
    subject_request = _request(request, request_id, log=False)
    notice = RecipientNotice.objects.filter(pk=notice_id, rectification__request=subject_request).first()
    if notice is None:
        raise Http404("No such notice.")
    try:
        services.notice_send(actor=user, notice=notice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Recorded: {notice.recipient} was told of the correction.")
    return _detail(subject_request)


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def erasure(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Put an erasure request to a review in the person's BCU queue (``services.request_erasure_review``)."""
    return _form_page(
        request,
        request_id,
        form_class=ConfirmForm,
        call=lambda r, f: services.request_erasure_review(actor=_user(request), request=r),
        template="rights/erasure.html",
        success=lambda review: f"Review {review.short_ref} opened: the BCU's SPOC decides it, with reasons.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def restriction(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Restrict processing as asked (``services.request_restrict``)."""
    return _form_page(
        request,
        request_id,
        form_class=RestrictForm,
        call=lambda r, f: services.request_restrict(actor=_user(request), request=r, reasons=f.cleaned_data["reasons"]),
        template="rights/restriction.html",
        success=lambda restriction: (
            "Processing restricted: only the DPO and the Information Rights Unit see the person now."
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def close(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Close a request with its written outcome and reasons (``services.request_close``)."""
    return _form_page(
        request,
        request_id,
        form_class=CloseForm,
        call=lambda r, f: services.request_close(
            actor=_user(request), request=r, outcome=f.cleaned_data["outcome"], reasons=f.cleaned_data["reasons"]
        ),
        template="rights/close.html",
        success=lambda r: f"Request {r.short_ref} closed: {r.get_status_display().lower()}.",
    )


def receive_link(reference: str) -> str:
    """The receive form with a person's reference filled in (a reference, never a name)."""
    return f"{reverse('web:request_new')}?{urlencode({'person': reference})}"
