"""Breach register pages: the list with the 72-hour clock, recording a breach, and one breach with its steps.

Thin: selectors apply the role rule and record reads; services authorise,
validate, write and record each step.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from custos.dlp.models import Finding
from custos.govuk.forms import form_submit
from custos.oversight.breaches import clock, policies, selectors, services
from custos.oversight.breaches.forms import ActionForm, BreachForm, CloseForm, DecideForm, NotifyForm, moment
from custos.oversight.breaches.models import Breach, BreachAction
from custos.register.views import request_user


def _require_editor(request: HttpRequest) -> None:
    if not policies.may_edit_breaches(request_user(request)):
        raise PermissionDenied("Only the DPO and central governance record breaches.")


@never_cache
@require_GET
def breach_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    now = timezone.now()
    rows = [(b, clock.clock_text(b, now), clock.is_overdue(b, now)) for b in selectors.breaches_for(viewer=user)[:500]]
    return render(request, "oversight/breaches/list.html", {"rows": rows, "may_edit": policies.may_edit_breaches(user)})


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """From ``?finding=<id>``: a DLP finding's counts and references (no personal data)."""
    try:
        finding_id = uuid.UUID(request.GET.get("finding", ""))
    except ValueError:
        return {}
    finding = Finding.objects.filter(pk=finding_id).first()
    if finding is None:
        return {}
    return {
        "title": f"Copy of register data found by a scan ({finding.short_ref})",
        "category": Breach.Category.CONFIDENTIALITY,
        "people_affected": finding.people,
        "people_refs": "\n".join(str(r) for r in finding.refs),
        "description": f"Scan finding {finding.short_ref}: a copy outside Custos.",
    }


@never_cache
@require_http_methods(["GET", "POST"])
def breach_new(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    user = request_user(request)
    form = BreachForm(request.POST or None, initial=_prefill(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        breach = form_submit(
            form,
            lambda: services.breach_record(
                actor=user,
                title=data["title"],
                description=data["description"],
                category=data["category"],
                discovered_at=moment(data["discovered_on"], data["discovered_time"]) or timezone.now(),
                risk=data["risk"],
                people_affected=data["people_affected"] or 0,
                people_refs=data["people_refs"].splitlines(),
                consequences=data["consequences"],
            ),
        )
        if breach is not None:
            messages.success(request, f"Breach {breach.reference} recorded. The ICO must be told within 72 hours.")
            return redirect("web:breaches_detail", breach_id=breach.pk)
    return render(request, "oversight/breaches/new.html", {"form": form})


def _detail(request: HttpRequest, breach: Breach, status: int = 200, **forms: Any) -> HttpResponse:
    user = request_user(request)
    may_edit = policies.may_edit_breaches(user) and breach.status == Breach.Status.OPEN
    context = {
        "breach": breach,
        "clock": clock.clock_text(breach),
        "overdue": clock.is_overdue(breach),
        "actions": list(breach.actions.all()),
        "findings": selectors.linked_findings(breach),
        "may_edit": may_edit,
        "notify_form": forms.get("notify_form") or NotifyForm(),
        "decide_form": forms.get("decide_form") or DecideForm(),
        "action_form": forms.get("action_form") or ActionForm(),
        "close_form": forms.get("close_form") or CloseForm(),
    }
    return render(request, "oversight/breaches/detail.html", context, status=status)


@never_cache
@require_GET
def breach_detail(request: HttpRequest, breach_id: uuid.UUID) -> HttpResponse:
    breach = selectors.breach_get_for(viewer=request_user(request), breach_id=breach_id)
    return _detail(request, breach)


def _step(request: HttpRequest, breach_id: uuid.UUID) -> Breach:
    _require_editor(request)
    return selectors.breach_get_for(viewer=request_user(request), breach_id=breach_id, record=False)


@never_cache
@require_POST
def breach_notify(request: HttpRequest, breach_id: uuid.UUID) -> HttpResponse:
    breach = _step(request, breach_id)
    form = NotifyForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        done = form_submit(
            form,
            lambda: services.breach_notify(
                actor=request_user(request),
                breach=breach,
                notified_at=moment(d["notified_on"], d["notified_time"]),
                ico_reference=d["ico_reference"],
                late_reasons=d["late_reasons"],
                not_notifiable_reasons=d["not_notifiable_reasons"],
            ),
        )
        if done is not None:
            messages.success(request, f"Notification of {breach.reference} recorded.")
            return redirect("web:breaches_detail", breach_id=breach.pk)
    breach.refresh_from_db()
    return _detail(request, breach, status=400, notify_form=form)


@never_cache
@require_POST
def breach_decide(request: HttpRequest, breach_id: uuid.UUID) -> HttpResponse:
    breach = _step(request, breach_id)
    form = DecideForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        done = form_submit(
            form,
            lambda: services.breach_decide(
                actor=request_user(request),
                breach=breach,
                telling=d["telling"],
                reasons=d["reasons"],
                told_at=moment(d["told_on"], None),
            ),
        )
        if done is not None:
            messages.success(request, f"Decision on telling the data subjects of {breach.reference} recorded.")
            return redirect("web:breaches_detail", breach_id=breach.pk)
    breach.refresh_from_db()
    return _detail(request, breach, status=400, decide_form=form)


@never_cache
@require_POST
def breach_action(request: HttpRequest, breach_id: uuid.UUID) -> HttpResponse:
    breach = _step(request, breach_id)
    user = request_user(request)
    done_id = request.POST.get("done")
    if done_id:
        action = get_object_or_404(BreachAction, pk=done_id if done_id.isdigit() else 0, breach=breach)
        form = ActionForm()
        if form_submit(form, lambda: services.breach_action_done(actor=user, action=action)) is not None:
            messages.success(request, "Action marked done.")
            return redirect("web:breaches_detail", breach_id=breach.pk)
        return _detail(request, breach, status=400, action_form=form)
    form = ActionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        added = form_submit(
            form,
            lambda: services.breach_action_add(
                actor=user, breach=breach, what=d["what"], owner=d["owner"], due_on=d["due_on"]
            ),
        )
        if added is not None:
            messages.success(request, "Action added.")
            return redirect("web:breaches_detail", breach_id=breach.pk)
    return _detail(request, breach, status=400, action_form=form)


@never_cache
@require_POST
def breach_close(request: HttpRequest, breach_id: uuid.UUID) -> HttpResponse:
    breach = _step(request, breach_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        done = form_submit(
            form,
            lambda: services.breach_close(
                actor=request_user(request), breach=breach, reasons=form.cleaned_data["closing_reasons"]
            ),
        )
        if done is not None:
            messages.success(request, f"Breach {breach.reference} closed.")
            return redirect("web:breaches_detail", breach_id=breach.pk)
    breach.refresh_from_db()
    return _detail(request, breach, status=400, close_form=form)
