"""The auditors' pages: search the s.62 log, export it with a signed checkpoint, suspicious patterns.

What they authorise: an account that may use the service
(``custos.accounts.policies.may_use_service``) and whose role may read the
log (``custos.audit.policies``: auditor, DPO, central governance); export
needs ``may_export_log`` (auditor, DPO). Anyone else gets 403.

What they log: the selectors in ``custos.audit.selectors`` record every
reading of the log (``audit.searched``, ``audit.exported``,
``audit.patterns_reviewed``) before returning events, with the purpose the
user declared (``/purpose/``) or ``"web: <screen>"``.

What they show: the log holds pseudonymous references only, so these pages
show who acted, in which role and BCU, what they did, to which references
(``person:<id>``, shown as ``P-1A2B3C4D``) and why; never a name or a word
of intelligence. Filters are references and codes only, so they travel in
the query string.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service
from custos.accounts.purpose import purpose_from_session
from custos.audit import policies as audit_policies
from custos.audit import selectors as audit_selectors
from custos.audit.checkpoints import CheckpointRefused
from custos.audit.models import AuditEvent, Verb
from custos.crypto.signing import SigningKeyUnavailable
from custos.register import selectors as register_selectors
from custos.web.forms import GovukDateField, GovukFormMixin

#: Targets shown in a row before the rest are folded away.
TARGETS_SHOWN = 3


def may_read_log(user: Any) -> bool:
    """The account may be used and its role reads the log (for navigation and every page here)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not may_use_service(user):
        return False
    return audit_policies.may_read_log(user)


def may_export_log(user: User) -> bool:
    if not may_read_log(user):
        return False
    return audit_policies.may_export_log(user)


def _reader(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not may_read_log(user):
        raise PermissionDenied("Your role does not give access to the audit log.")
    return user


def _purpose(request: HttpRequest, screen: str) -> str:
    """The operation the user declared at ``/purpose/``, else the screen (which the patterns report flags)."""
    declared = purpose_from_session(request.session)
    return declared.text if declared else f"web: {screen}"


class LogSearchForm(GovukFormMixin, forms.Form):
    """The log filters, read from the query string: references and codes only, never names."""

    hide_optional = True

    user = forms.CharField(label="User", required=False, max_length=150, help_text="A username or account number.")
    person = forms.CharField(
        label="Person",
        required=False,
        max_length=60,
        help_text="A reference, like P-1A2B3C4D or person:<id>. The log holds no names.",
    )
    bcu = forms.ChoiceField(label="BCU", required=False)
    verb = forms.ChoiceField(label="Action", required=False, choices=[("", "Any action"), *Verb.choices])
    date_from = GovukDateField(label="From", required=False, help_text="For example, 1 4 2025")
    date_to = GovukDateField(label="To", required=False, help_text="For example, 30 4 2025")

    def __init__(self, *args: Any, bcus: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bcu"].choices = [("", "Any BCU"), *bcus]  # type: ignore[attr-defined]

    def clean_person(self) -> str:
        value = str(self.cleaned_data.get("person") or "").strip()
        if not value:
            return ""
        try:
            return audit_selectors.person_ref_parse(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the period must be the same as or after its start.")
        return data

    def filters(self) -> audit_selectors.LogFilters:
        """The filters of a valid form (call ``is_valid`` first)."""
        data = self.cleaned_data
        return audit_selectors.LogFilters(
            user=str(data.get("user") or "").strip(),
            person=str(data.get("person") or ""),
            bcu=str(data.get("bcu") or ""),
            verb=str(data.get("verb") or ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class PatternsForm(GovukFormMixin, forms.Form):
    """The period of the suspicious-patterns report (the last 30 days unless given)."""

    hide_optional = True

    date_from = GovukDateField(label="From", required=False, help_text="For example, 1 4 2025")
    date_to = GovukDateField(label="To", required=False, help_text="For example, 30 4 2025")

    def period(self) -> tuple[dt.date, dt.date]:
        """The period asked for (a valid or unbound form); the 30 days to ``To`` (or today) by default."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        end = data.get("date_to") or timezone.localdate()
        start = data.get("date_from") or end - dt.timedelta(days=29)
        return start, end

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the period must be the same as or after its start.")
        return data


@dataclass(frozen=True)
class Ref:
    """A reference as shown: persons by short reference, with the full one to filter by."""

    text: str
    ref: str
    is_person: bool


def _ref(ref: str) -> Ref:
    return Ref(text=audit_selectors.person_short_ref(ref), ref=ref, is_person=ref.startswith("person:"))


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    role: str
    bcu: str
    verb: str
    object_ref: Ref | None
    targets: list[Ref]
    more_targets: list[Ref]


def _role_label(value: str) -> str:
    try:
        return str(Role(value).label)
    except ValueError:
        return value.replace("_", " ").capitalize() if value else ""


def _rows(events: list[AuditEvent], bcu_names: dict[str, str]) -> list[EventRow]:
    rows = []
    for event in events:
        targets = [_ref(str(t)) for t in event.targets]
        rows.append(
            EventRow(
                event=event,
                role=_role_label(event.actor_role),
                bcu=bcu_names.get(event.actor_bcu, event.actor_bcu),
                verb=audit_selectors.verb_label(event.verb),
                object_ref=_ref(event.object_ref) if event.object_ref else None,
                targets=targets[:TARGETS_SHOWN],
                more_targets=targets[TARGETS_SHOWN:],
            )
        )
    return rows


def _bcus(user: User) -> list[tuple[str, str]]:
    """BCU codes and names (reference data, not personal data) for the filter and the tables."""
    return [(b.code, b.name) for b in register_selectors.bcus_for(viewer=user).order_by("name")]


@never_cache
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    """Search the log by user, person reference, BCU, action and period; logs ``audit.searched``."""
    user = _reader(request)
    bcus = _bcus(user)
    form = LogSearchForm(request.GET or None, bcus=bcus)
    context: dict[str, Any] = {
        "form": form,
        "filtered": bool(request.GET.keys() - {"page"}),
        "may_export": may_export_log(user),
    }
    if form.is_bound and not form.is_valid():
        return render(request, "web/audit/log.html", context)
    filters = form.filters() if form.is_bound else audit_selectors.LogFilters()
    page = audit_selectors.log_page_for(
        viewer=user,
        filters=filters,
        purpose=_purpose(request, "audit log search"),
        page_number=request.GET.get("page", 1),
        per_page=getattr(settings, "CUSTOS_AUDIT_PAGE_SIZE", 50),
    )
    context.update(
        page=page,
        rows=_rows(list(page.object_list), dict(bcus)),
        page_range=page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    )
    return render(request, "web/audit/log.html", context)


@never_cache
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    """The matching events (``events.csv``) with a signed checkpoint, as a ZIP; logs ``audit.exported``."""
    user = _reader(request)
    if not may_export_log(user):
        raise PermissionDenied("Your role may not export the audit log.")
    bcus = _bcus(user)
    form = LogSearchForm(request.GET or None, bcus=bcus)
    if form.is_bound and not form.is_valid():
        context = {"form": form, "filtered": True, "may_export": True}
        return render(request, "web/audit/log.html", context, status=400)
    filters = form.filters() if form.is_bound else audit_selectors.LogFilters()
    try:
        bundle = audit_selectors.log_export_for(
            viewer=user, filters=filters, purpose=_purpose(request, "audit log export")
        )
    except (CheckpointRefused, SigningKeyUnavailable) as exc:
        return render(request, "web/audit/export_refused.html", {"reason": str(exc)}, status=503)
    response = FileResponse(bundle.file, as_attachment=True, filename=bundle.filename, content_type="application/zip")
    response["Cache-Control"] = "no-store"
    response["X-Custos-Checkpoint"] = str(bundle.checkpoint_id)
    return response


@never_cache
@require_GET
def patterns(request: HttpRequest) -> HttpResponse:
    """Consultations worth a look: outside the user's BCU, too many in a day, no operation named."""
    user = _reader(request)
    form = PatternsForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and not form.is_valid():
        return render(request, "web/audit/patterns.html", context)
    date_from, date_to = form.period()
    report = audit_selectors.patterns_for(
        viewer=user,
        date_from=date_from,
        date_to=date_to,
        daily_limit=settings.CUSTOS_AUDIT_DAILY_CONSULTATION_LIMIT,
        purpose=_purpose(request, "audit patterns"),
    )
    context["report"] = report
    return render(request, "web/audit/patterns.html", context)
