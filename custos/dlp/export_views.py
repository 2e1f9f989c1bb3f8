"""Web pages of controlled exports: thin, calling ``custos.dlp.exports`` only.

- ``/exports/``: the viewer's exports and, for a BCU SPOC or central
  governance, their BCU's (or all); no personal data (counts, purposes, dates);
- ``/exports/new/``: export the matrix with its filters (codes in the query
  string): purpose, format, fields, destroy-by date (``export.created``);
- ``/exports/<id>/download/``: the file, once, to its exporter
  (``export.downloaded``), as an attachment, never cached;
- ``/exports/<id>/destroyed/``: the exporter confirms every copy is
  destroyed, with reasons (``export.destroyed``).

A role that may not export is refused (403, saying why) before anything is
read; an export out of reach is 404. The services authorise again.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from custos.accounts.models import Role
from custos.accounts.purpose import purpose_from_session
from custos.dlp import exports, policies
from custos.dlp.models import Export
from custos.govuk.forms import GovukDateField, GovukFormMixin
from custos.register import selectors as register_selectors
from custos.register.forms import MatrixFilterForm
from custos.register.services import RuleBroken
from custos.register.views import personal_data_view
from custos.register.views import request_user as _user

View = Callable[..., HttpResponse]


def _exporters_only(view: View) -> View:
    """403, saying why, for a role that may not export: before anything is read."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not policies.may_list_exports(_user(request)):
            raise PermissionDenied("Only a BCU SPOC or central governance may export personal data.")
        return view(request, *args, **kwargs)

    return wrapped


class ExportForm(GovukFormMixin, forms.Form):
    purpose = forms.CharField(
        label="Purpose of the export",
        max_length=345,
        help_text="A reference and a reason, like 'OP-1234: pack for the tasking meeting'. It is recorded.",
        error_messages={"required": "Declare the purpose of the export."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    fmt = forms.ChoiceField(
        label="Format",
        choices=Export.Format.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose CSV, XLSX or PDF.", "invalid_choice": "Choose CSV, XLSX or PDF."},
    )
    columns = forms.MultipleChoiceField(
        label="Fields",
        choices=list(exports.FIELDS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="The name and at least one of date of birth, address or postcode.",
        error_messages={"required": "Choose the fields to export."},
    )
    expires_on = GovukDateField(
        label="Destroy by (optional)",
        required=False,
        help_text=f"Within {exports.MAX_DAYS} days. Leave empty for {exports.DEFAULT_DAYS} days from today.",
    )


class DestroyedForm(GovukFormMixin, forms.Form):
    reasons = forms.CharField(
        label="How was every copy destroyed?",
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
        help_text="At least 10 characters: where the copies were, how each was deleted, and how you know.",
        error_messages={"required": "Say how every copy was destroyed."},
    )


def _as_form_errors(exc: ValidationError) -> ValidationError:
    """The service names the fields to export ``fields``; the form calls them ``columns``."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({("columns" if k == "fields" else k): v for k, v in exc.error_dict.items()})


def _filters(request: HttpRequest) -> dict[str, str]:
    bcus = list(register_selectors.bcus_for(viewer=_user(request)))
    return MatrixFilterForm(request.GET or None, bcus=bcus).filters()


@never_cache
@require_GET
@_exporters_only
def export_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = list(exports.exports_for(viewer=user)[:200])
    today = timezone.localdate()
    context = {
        "rows": [(e, exports.is_overdue(e, today), e.created_by_id == user.pk) for e in rows],
        "overdue": sum(1 for e in rows if e.created_by_id == user.pk and exports.is_overdue(e, today)),
        "every_export": user.role == Role.CENTRAL_GOVERNANCE,
    }
    return render(request, "dlp/export_list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@_exporters_only
@personal_data_view
def export_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = _filters(request)
    people = register_selectors.matrix_queryset(viewer=user, filters=register_selectors.MatrixFilters(**filters))
    person_ids = list(people.order_by().values_list("person_id", flat=True).distinct())
    declared = purpose_from_session(request.session)
    initial = {"purpose": declared.text if declared else "", "fmt": "csv", "columns": list(exports.DEFAULT_FIELDS)}
    form = ExportForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = exports.export_create(
                actor=user,
                purpose=data["purpose"],
                fmt=data["fmt"],
                people=person_ids,
                fields=data["columns"],
                expires_on=data["expires_on"],
                filters=filters,
            )
        except ValidationError as exc:
            form.add_service_errors(_as_form_errors(exc))
        except exports.ExportNotWritten as exc:  # a full disk: nothing exported or recorded; the form is kept
            form.add_error(None, str(exc))
            status = 503
        else:
            messages.success(
                request,
                f"Export {export.short_ref} is ready: download it once, and destroy every copy by "
                f"{export.expires_on:%d %B %Y}.",
            )
            return redirect("web:exports")
    context = {
        "form": form,
        "count": len(person_ids),
        "filters": filters,
        "query": request.GET.urlencode(),
        "max_date": timezone.localdate() + dt.timedelta(days=exports.MAX_DAYS),
    }
    return render(request, "dlp/export_new.html", context, status=status)


@never_cache
@require_GET
@_exporters_only
def export_download(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    export = exports.export_get_for(viewer=user, export_id=export_id)
    try:
        content = exports.export_download(actor=user, export=export)
    except RuleBroken as exc:
        return render(request, "dlp/export_gone.html", {"export": export, "reason": str(exc)}, status=410)
    response = HttpResponse(content, content_type=_CONTENT_TYPES[export.fmt])
    response["Content-Disposition"] = f'attachment; filename="custos-export-{export.short_ref}.{export.fmt}"'
    response["Cache-Control"] = "no-store, max-age=0"
    response["X-Content-Type-Options"] = "nosniff"
    return response


_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@never_cache
@require_http_methods(["GET", "POST"])
def export_destroyed(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """Anyone told about the export sees it; only its exporter confirms (the service refuses others)."""
    user = _user(request)
    export = exports.export_get_for(viewer=user, export_id=export_id)
    may_confirm = policies.may_confirm_destruction(user, export.created_by_id) and not export.is_destroyed
    form = DestroyedForm(request.POST or None)
    if request.method == "POST":
        if not may_confirm and not export.is_destroyed:
            raise PermissionDenied("Only the person who made the export may confirm its destruction.")
        if form.is_valid():
            try:
                exports.export_destroyed(actor=user, export=export, reasons=form.cleaned_data["reasons"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            except RuleBroken as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Destruction of export {export.short_ref} confirmed.")
                return redirect("web:exports")
    context = {
        "export": export,
        "form": form,
        "may_confirm": may_confirm,
        "overdue": exports.is_overdue(export),
    }
    return render(request, "dlp/export_destroyed.html", context)
