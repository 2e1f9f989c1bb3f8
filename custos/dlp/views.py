"""Web pages of scan findings: thin, calling selectors and services only.

What they authorise: nothing by themselves. A role that never sees findings
is refused (403, saying why) before a purpose is asked for or anything is
read; a finding outside the viewer's scope answers 404. Every step goes
through ``custos.dlp.services``, which authorise the actor again and record
the event; their ``ValidationError`` (and ``RuleBroken``) is shown on the
form and nothing changes.

- ``/dlp/findings/``: findings in scope (``dlp.findings_listed``), filtered by
  status and kind codes in the query string;
- ``/dlp/findings/<id>/``: one finding (``dlp.finding_consulted``);
- ``/dlp/findings/<id>/assign/``: assign it (``dlp.finding_assigned``);
- ``/dlp/findings/<id>/copy-erased/``: confirm the copy is erased, with
  reasons (``dlp.copy_erased``);
- ``/dlp/findings/<id>/close/``: close it, with reasons (``dlp.finding_closed``).

Pages need a declared purpose and are sent ``no-store``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from custos.accounts.models import User
from custos.dlp import policies, selectors, services
from custos.dlp.forms import AssignForm, FindingFilterForm, ReasonsForm
from custos.dlp.models import Finding
from custos.govuk.forms import form_submit as _submit
from custos.register.views import declared_purpose as _purpose
from custos.register.views import personal_data_view
from custos.register.views import request_user as _user

T = TypeVar("T")
View = Callable[..., HttpResponse]


def _findings_only(view: View) -> View:
    """403, saying why, for a role that never sees findings: before a purpose is asked for."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        selectors.require_findings_access(_user(request))
        return view(request, *args, **kwargs)

    return wrapped


def _actions(user: User, finding: Finding) -> dict[str, bool]:
    open_ = finding.status != Finding.Status.CLOSED
    return {
        "may_assign": open_ and policies.may_assign(user),
        "may_confirm": open_
        and finding.status != Finding.Status.COPY_ERASED
        and policies.may_confirm_erasure(user, finding.assignee_id),
        "may_close": open_ and policies.may_close(user),
    }


@never_cache
@require_GET
@_findings_only
@personal_data_view
def findings(request: HttpRequest) -> HttpResponse:
    """Findings in the viewer's scope, newest first."""
    user = _user(request)
    filters = FindingFilterForm(request.GET or None).filters()
    data = selectors.findings_for(
        viewer=user,
        filters=selectors.FindingFilters(**filters),
        purpose=_purpose(request),
        page_number=request.GET.get("page", 1),
    )
    context = {
        "data": data,
        "form": FindingFilterForm(initial=filters),
        "filtered": any(filters.values()),
        "every_finding": policies.sees_every_finding(user),
    }
    return render(request, "dlp/findings.html", context)


@never_cache
@require_GET
@_findings_only
@personal_data_view
def finding(request: HttpRequest, finding_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    found = selectors.finding_get_for(viewer=user, finding_id=finding_id, purpose=_purpose(request))
    return render(request, "dlp/finding.html", {"finding": found, **_actions(user, found)})


@never_cache
@require_http_methods(["GET", "POST"])
@_findings_only
@personal_data_view
def finding_assign(request: HttpRequest, finding_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    if not policies.may_assign(user):
        raise PermissionDenied("Only central governance or the DPO may assign findings.")
    found = selectors.finding_get_for(viewer=user, finding_id=finding_id, purpose=_purpose(request))
    users = selectors.assignable_users()
    form = AssignForm(request.POST or None, users=users)
    if request.method == "POST" and form.is_valid():
        done = _submit(
            form,
            lambda: services.finding_assign(
                actor=user, finding=found, assignee=form.cleaned_data["assignee"], purpose=_purpose(request)
            ),
        )
        if done is not None:
            messages.success(request, f"Finding {done.short_ref} assigned to {done.assignee}.")
            return redirect("web:dlp_finding", finding_id=done.pk)
    return render(request, "dlp/assign.html", {"finding": found, "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@_findings_only
@personal_data_view
def copy_erased(request: HttpRequest, finding_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    found = selectors.finding_get_for(viewer=user, finding_id=finding_id, purpose=_purpose(request))
    form = ReasonsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _submit(
            form,
            lambda: services.finding_copy_erased(
                actor=user,
                finding=found,
                reasons=form.cleaned_data["reasons"],
                breach_ref=form.cleaned_data["breach_ref"],
                purpose=_purpose(request),
            ),
        )
        if done is not None:
            messages.success(request, f"Erasure of the copy in {done.short_ref} confirmed.")
            return redirect("web:dlp_finding", finding_id=done.pk)
    return render(request, "dlp/copy_erased.html", {"finding": found, "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@_findings_only
@personal_data_view
def finding_close(request: HttpRequest, finding_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    if not policies.may_close(user):
        raise PermissionDenied("Only central governance or the DPO may close findings.")
    found = selectors.finding_get_for(viewer=user, finding_id=finding_id, purpose=_purpose(request))
    form = ReasonsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _submit(
            form,
            lambda: services.finding_close(
                actor=user,
                finding=found,
                reasons=form.cleaned_data["reasons"],
                breach_ref=form.cleaned_data["breach_ref"],
                purpose=_purpose(request),
            ),
        )
        if done is not None:
            messages.success(request, f"Finding {done.short_ref} closed.")
            return redirect("web:dlp_findings")
    return render(request, "dlp/close.html", {"finding": found, "form": form})
