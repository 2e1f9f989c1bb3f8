"""Web pages of the DPIA pack: thin, calling ``selectors`` and ``services`` only.

- ``/dpia/``: the versions; the DPO generates a new draft (``dpia.generated``);
- ``/dpia/<n>/``: the pack; the DPO signs a draft off (``dpia.signed_off``);
- ``/dpia/<n>.pdf`` and ``/dpia/<n>.json``: downloads (``dpia.exported``);
- ``/dpia/risks/`` and ``/dpia/risks/<code>/``: the risk register, edited by the DPO (``dpia.risk_changed``);
- ``/records-of-processing/``: the s.61 record (``ropa.produced``).

The DPO, central governance, the auditor and the IRU read; others get 403.
Nothing here shows personal data: aggregates, field names and agreement terms.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from custos.govuk.forms import form_submit
from custos.oversight.dpia import policies, selectors, services
from custos.oversight.dpia import render as pack
from custos.oversight.dpia.forms import NewRiskForm, RiskForm, SignOffForm
from custos.register.views import request_user as _user


def _download(out: services.Exported) -> HttpResponse:
    response = HttpResponse(out.body, content_type=out.content_type)
    response["Content-Disposition"] = f'attachment; filename="{out.filename}"'
    return response


@never_cache
@require_GET
def dpia_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    versions = list(selectors.dpia_versions_for(viewer=user))
    return render(
        request, "oversight/dpia/list.html", {"versions": versions, "may_generate": policies.may_generate_dpia(user)}
    )


@never_cache
@require_POST
def dpia_generate(request: HttpRequest) -> HttpResponse:
    version = services.dpia_generate(actor=_user(request))
    messages.success(request, f"Draft version {version.number} generated from the running system.")
    return redirect("web:dpia_detail", number=version.number)


def _detail(request: HttpRequest, number: int, form: SignOffForm | None = None) -> HttpResponse:
    user = _user(request)
    version = selectors.dpia_get_for(viewer=user, number=number)
    may_sign = policies.may_sign_off_dpia(user) and not version.is_signed_off
    context = pack.page_context(version) | {"form": form or SignOffForm(), "may_sign": may_sign}
    return render(request, "oversight/dpia/detail.html", context)


@never_cache
@require_GET
def dpia_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _detail(request, number)


@never_cache
@require_POST
def dpia_sign_off(request: HttpRequest, number: int) -> HttpResponse:
    user = _user(request)
    selectors.dpia_get_for(viewer=user, number=number)
    if not policies.may_sign_off_dpia(user):
        raise PermissionDenied("Only the data protection officer signs off a DPIA.")
    form = SignOffForm(request.POST)
    if form.is_valid():
        done = form_submit(
            form, lambda: services.dpia_sign_off(actor=user, number=number, comments=form.cleaned_data["comments"])
        )
        if done is not None:
            messages.success(request, f"Version {number} signed off. It will not change.")
            return redirect("web:dpia_detail", number=number)
    return _detail(request, number, form)


@never_cache
@require_GET
def dpia_pdf(request: HttpRequest, number: int) -> HttpResponse:
    return _download(services.dpia_export(actor=_user(request), number=number, fmt="pdf"))


@never_cache
@require_GET
def dpia_json(request: HttpRequest, number: int) -> HttpResponse:
    return _download(services.dpia_export(actor=_user(request), number=number, fmt="json"))


@never_cache
@require_http_methods(["GET", "POST"])
def dpia_risks(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    risks = list(selectors.risks_for(viewer=user))
    may_edit = policies.may_edit_risks(user)
    form = NewRiskForm(request.POST or None) if may_edit else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = dict(form.cleaned_data)
        code = data.pop("code")
        risk = form_submit(form, lambda: services.risk_save(actor=user, values=data, new_code=code))
        if risk is not None:
            messages.success(request, f"Risk {risk.code} added.")
            return redirect("web:dpia_risks")
    elif request.method == "POST" and form is None:
        services.risk_save(actor=user, values={}, new_code="")  # refuses: PermissionDenied
    return render(request, "oversight/dpia/risks.html", {"risks": risks, "may_edit": may_edit, "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def dpia_risk(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    risk = selectors.risk_get_for(viewer=user, code=code)
    may_edit = policies.may_edit_risks(user)
    initial = {k: getattr(risk, k) for k in services.RISK_FIELDS}
    form = RiskForm(request.POST or None, initial=initial) if may_edit else None
    if request.method == "POST" and form is None:
        services.risk_save(actor=user, values={}, code=code)  # refuses: PermissionDenied
    if request.method == "POST" and form is not None and form.is_valid():
        saved = form_submit(form, lambda: services.risk_save(actor=user, values=form.cleaned_data, code=code))
        if saved is not None:
            messages.success(request, f"Risk {code} saved.")
            return redirect("web:dpia_risk", code=code)
    history = list(selectors.risk_history_for(viewer=user, code=code))
    context = {"risk": risk, "form": form, "may_edit": may_edit, "history": history}
    return render(request, "oversight/dpia/risk.html", context)


@never_cache
@require_GET
def dpia_records_of_processing(request: HttpRequest) -> HttpResponse:
    record = selectors.records_of_processing_for(viewer=_user(request))
    return render(request, "oversight/dpia/records_of_processing.html", {"r": record})
