"""Annex 1 pages: the tracker, the monthly reports, one report and its PDF, and generating one.

Thin: the selectors authorise (aggregates only, no consultation to record),
the service generates and records ``annex1.reported``.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from custos.govuk.forms import form_submit
from custos.oversight.annex1 import policies, selectors, services
from custos.oversight.annex1.forms import GenerateForm
from custos.register.views import request_user


@never_cache
@require_GET
def tracker(request: HttpRequest) -> HttpResponse:
    tracker = selectors.tracker_for(viewer=request_user(request))
    return render(request, "oversight/annex1/tracker.html", {"tracker": tracker})


def _list(request: HttpRequest, form: GenerateForm | None, status: int = 200) -> HttpResponse:
    user = request_user(request)
    reports = selectors.reports_for(viewer=user)
    may_generate = policies.may_generate_annex1(user)
    if may_generate and form is None:
        form = GenerateForm()
    context = {"reports": reports, "may_generate": may_generate, "form": form}
    return render(request, "oversight/annex1/list.html", context, status=status)


@never_cache
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    return _list(request, None)


@never_cache
@require_POST
def report_generate(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not policies.may_generate_annex1(user):
        raise PermissionDenied("Only central governance and the DPO may generate the Annex 1 report.")
    form = GenerateForm(request.POST)
    if form.is_valid():
        month = form.cleaned_data["month"]
        report = form_submit(form, lambda: services.annex1_report_generate(actor=user, month=month))
        if report is not None:
            messages.success(request, f"Report {report.short_ref} for {report.month} generated.")
            return redirect("web:annex1_report", report_id=report.pk)
    return _list(request, form, status=400)


@never_cache
@require_GET
def report_detail(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report = selectors.report_get_for(viewer=request_user(request), report_id=report_id)
    return render(request, "oversight/annex1/detail.html", selectors.report_context(report))


@never_cache
@require_GET
def report_pdf(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    report = selectors.report_get_for(viewer=request_user(request), report_id=report_id)
    response = HttpResponse(selectors.report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{selectors.report_file_name(report, "pdf")}"'
    response["Cache-Control"] = "no-store, max-age=0"
    return response
