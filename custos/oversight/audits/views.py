"""BCU audit pages: the latest audit per BCU, one audit with its trend, its PDF, and running one.

Thin: selectors scope and record each read (``bcu_audit.listed``,
``bcu_audit.viewed``), the service runs and records (``bcu_audit.run``).
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
from custos.oversight.audits import policies, selectors, services
from custos.oversight.audits.forms import ALL, RunAuditForm
from custos.register.views import request_user


@never_cache
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    latest = selectors.audits_latest_for(viewer=user)
    may_run = policies.may_run_audit(user)
    context = {"latest": latest, "may_run": may_run, "form": RunAuditForm() if may_run else None}
    return render(request, "oversight/audits/list.html", context)


@never_cache
@require_POST
def audit_run(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not policies.may_run_audit(user):
        raise PermissionDenied("Only central governance may run a BCU audit.")
    form = RunAuditForm(request.POST)
    if form.is_valid():
        code = form.cleaned_data["bcu"]
        if code == ALL:
            done = form_submit(form, lambda: services.bcu_audits_run_all(actor=user))
            if done is not None:
                messages.success(request, f"{len(done)} BCU audits run.")
                return redirect("web:audits_list")
        else:
            audit = form_submit(form, lambda: services.bcu_audit_run(actor=user, bcu_code=code))
            if audit is not None:
                messages.success(request, f"Audit {audit.short_ref} of {audit.bcu_code} run.")
                return redirect("web:audits_detail", audit_id=audit.pk)
    latest = selectors.audits_latest_for(viewer=user)
    return render(request, "oversight/audits/list.html", {"latest": latest, "may_run": True, "form": form}, status=400)


@never_cache
@require_GET
def audit_detail(request: HttpRequest, audit_id: uuid.UUID) -> HttpResponse:
    audit = selectors.audit_get_for(viewer=request_user(request), audit_id=audit_id)
    context = {
        "audit": audit,
        "rows": selectors.audit_rows(audit),
        "bcu_name": selectors.bcu_name(audit.bcu_code),
        "history": selectors.audit_history(audit),
    }
    return render(request, "oversight/audits/detail.html", context)


@never_cache
@require_GET
def audit_pdf(request: HttpRequest, audit_id: uuid.UUID) -> HttpResponse:
    audit = selectors.audit_get_for(viewer=request_user(request), audit_id=audit_id, fmt="pdf")
    response = HttpResponse(selectors.audit_pdf(audit), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="custos-bcu-audit-{audit.short_ref}.pdf"'
    response["Cache-Control"] = "no-store, max-age=0"
    return response
