"""Web pages of information sharing: thin, calling ``selectors`` and ``services`` only.

- ``/sharing/agreements/``: every agreement (no personal data), and drafting,
  changing, approving, revoking and renewing them (``isa.*`` events);
- ``/sharing/guidance/``: the guidance, rendered from ``rules``;
- ``/sharing/disclosures/``: the disclosures in the viewer's reach, without
  names (``disclosure.listed``); asking for one (``disclosure.requested``);
  one disclosure with its people (``disclosure.consulted``), its decision
  (``disclosure.made``/``refused``/``withdrawn``) and its package
  (``package.downloaded``);
- ``/sharing/destroyed/``: public, for the recipient to confirm a package
  destroyed with the code inside it (``package.destroyed``).

A role refused by a policy gets 403 saying why; a disclosure out of reach
is 404. A service's refusal (``ValidationError``, ``RuleBroken``) is shown
on the form, with what the user typed, and nothing is changed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from custos.accounts.purpose import purpose_from_session
from custos.govuk.forms import form_submit
from custos.register.services import RuleBroken
from custos.register.views import declared_purpose, personal_data_view
from custos.register.views import request_user as _user
from custos.sharing import policies, rules, selectors, services
from custos.sharing.forms import AgreementApproveForm, AgreementForm, DestroyedForm, DisclosureForm, ReasonsForm
from custos.sharing.models import Agreement, Disclosure, RecipientKind

# Agreements ------------------------------------------------------------------------------------------------


@never_cache
@require_GET
def agreement_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    agreements = selectors.agreements_for(viewer=user)
    labels = dict(Agreement.Status.choices)
    context = {
        "rows": [(a, labels[a.effective_status(today)]) for a in agreements],
        "may_draft": policies.may_draft_agreement(user),
    }
    return render(request, "sharing/agreement_list.html", context)


def _drafter(request: HttpRequest) -> None:
    if not policies.may_draft_agreement(_user(request)):
        raise PermissionDenied("Only the Information Rights Unit or central governance may draft agreements.")


@never_cache
@require_http_methods(["GET", "POST"])
def agreement_new(request: HttpRequest) -> HttpResponse:
    _drafter(request)
    form = AgreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = form_submit(form, lambda: services.agreement_draft(actor=_user(request), data=form.to_input()))
        if made is not None:
            messages.success(request, f"{made.code} drafted. The Information Rights Unit approves it.")
            return redirect("web:sharing_agreement", agreement_id=made.pk)
    return render(request, "sharing/agreement_form.html", _form_context(form, None))


@never_cache
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, agreement_id: uuid.UUID) -> HttpResponse:
    _drafter(request)
    agreement = selectors.agreement_get_for(viewer=_user(request), agreement_id=agreement_id)
    if agreement.status != Agreement.Status.DRAFT:
        raise PermissionDenied(f"{agreement.code} is no longer a draft: renew it to change it.")
    form = AgreementForm(request.POST or None, initial=AgreementForm.initial_from(agreement))
    if request.method == "POST" and form.is_valid():
        done = form_submit(
            form, lambda: services.agreement_update(actor=_user(request), agreement=agreement, data=form.to_input())
        )
        if done is not None:
            messages.success(request, f"{done.code} saved.")
            return redirect("web:sharing_agreement", agreement_id=done.pk)
    return render(request, "sharing/agreement_form.html", _form_context(form, agreement))


def _form_context(form: AgreementForm, agreement: Agreement | None) -> dict[str, Any]:
    return {
        "form": form,
        "agreement": agreement,
        "field_hints": {code: text for code, (_, text) in rules.FIELDS.items()},
        "statutory": RecipientKind.STATUTORY,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def agreement_detail(request: HttpRequest, agreement_id: uuid.UUID) -> HttpResponse:
    """An agreement; POST ``action`` approves (IRU, not the drafter), revokes (IRU) or renews it (drafters)."""
    user = _user(request)
    agreement = selectors.agreement_get_for(viewer=user, agreement_id=agreement_id)
    today = timezone.localdate()
    is_draft = agreement.status == Agreement.Status.DRAFT
    ended = agreement.status in (Agreement.Status.REVOKED, Agreement.Status.EXPIRED)
    may_approve = is_draft and policies.may_approve_agreement(user, agreement.created_by_id)
    may_revoke = not ended and policies.may_revoke_agreement(user)
    may_renew = not is_draft and policies.may_draft_agreement(user)
    needed = rules.exceptions_needed(
        statutory=agreement.is_statutory,
        fields=agreement.fields,
        categories=agreement.categories,
        bands=agreement.bands,
    )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    approve_form = AgreementApproveForm(request.POST if action == "approve" else None, needed=needed)
    revoke_form = ReasonsForm(request.POST if action == "revoke" else None, label="Reasons for revoking")
    if action == "approve":
        if not may_approve:
            raise PermissionDenied(
                "Only the Information Rights Unit may approve a draft agreement, and not the person who drafted it."
            )
        if approve_form.is_valid():
            done = form_submit(
                approve_form,
                lambda: services.agreement_approve(
                    actor=user,
                    agreement=agreement,
                    exceptions=approve_form.exceptions(),
                    notes=approve_form.cleaned_data["notes"],
                ),
            )
            if done is not None:
                messages.success(request, f"{done.code} approved: disclosures may be asked for under it.")
                return redirect("web:sharing_agreement", agreement_id=done.pk)
    elif action == "revoke":
        if not may_revoke:
            raise PermissionDenied("Only the Information Rights Unit may revoke an agreement.")
        if revoke_form.is_valid():
            done = form_submit(
                revoke_form,
                lambda: services.agreement_revoke(
                    actor=user, agreement=agreement, reasons=revoke_form.cleaned_data["reasons"]
                ),
            )
            if done is not None:
                messages.success(request, f"{done.code} revoked: nothing more can be shared under it.")
                return redirect("web:sharing_agreement", agreement_id=done.pk)
    elif action == "renew":
        if not may_renew:
            raise PermissionDenied("Only the Information Rights Unit or central governance may renew an agreement.")
        renewed = services.agreement_renew(actor=user, agreement=agreement)
        messages.success(request, f"{renewed.code} drafted from {agreement.code}: change it, then ask for approval.")
        return redirect("web:sharing_agreement_edit", agreement_id=renewed.pk)
    elif request.method == "POST":
        raise PermissionDenied("Choose an action from the page.")
    labels = dict(Agreement.Status.choices)
    context = {
        "a": agreement,
        "status": labels[agreement.effective_status(today)],
        "in_force": agreement.in_force(today),
        "fields": [(code, *rules.FIELDS[code]) for code in agreement.fields if code in rules.FIELDS],
        "categories": [rules.CATEGORIES.get(c, c) for c in agreement.categories],
        "bands": [rules.BANDS.get(b, b) for b in agreement.bands],
        "exceptions": [(rules.EXCEPTIONS.get(k, k), v) for k, v in agreement.exceptions.items()],
        "counts": selectors.agreement_disclosure_counts(agreement),
        "needed": [rules.EXCEPTIONS[code] for code in needed],
        "may_approve": may_approve,
        "may_revoke": may_revoke,
        "may_renew": may_renew,
        "may_edit": is_draft and policies.may_draft_agreement(user),
        "may_request": agreement.in_force(today) and policies.may_request_disclosure(user),
        "approve_form": approve_form,
        "revoke_form": revoke_form,
        "form": approve_form if action == "approve" else revoke_form,
    }
    return render(request, "sharing/agreement.html", context)


@never_cache
@require_GET
def guidance(request: HttpRequest) -> HttpResponse:
    """The sharing guidance, from the same definitions the checks use."""
    context = {
        "version": rules.GUIDANCE_VERSION,
        "intro": (rules.__doc__ or "").strip(),
        "fields": [(code, label, text) for code, (label, text) in rules.FIELDS.items()],
        "exceptions": list(rules.EXCEPTIONS.values()),
        "categories": list(rules.CATEGORIES.values()),
        "bands": list(rules.BANDS.values()),
        "limits": {
            "review_years": rules.MAX_REVIEW_YEARS,
            "retention_days": rules.MAX_RETENTION_DAYS,
            "package_days": rules.MAX_PACKAGE_DAYS,
            "signatories": rules.MIN_SIGNATORIES,
            "reasons": rules.MIN_REASONS,
            "necessity": rules.MIN_NECESSITY,
            "people": rules.MAX_PEOPLE,
        },
    }
    return render(request, "sharing/guidance.html", context)


# Disclosures -----------------------------------------------------------------------------------------------


@never_cache
@require_GET
def disclosure_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    declared = purpose_from_session(request.session)
    rows = selectors.disclosures_for(viewer=user, purpose=declared.text if declared else "")
    context = {
        "rows": rows,
        "may_request": policies.may_request_disclosure(user),
        "sees_every": policies.sees_every_disclosure(user),
    }
    return render(request, "sharing/disclosure_list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def disclosure_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not policies.may_request_disclosure(user):
        raise PermissionDenied("Your role may not ask for disclosures.")
    agreements = selectors.agreements_in_force()
    initial = {"purpose": declared_purpose(request)}
    if (chosen := request.GET.get("agreement", "")) in {str(a.pk) for a in agreements}:
        initial["agreement"] = chosen
    form = DisclosureForm(request.POST or None, initial=initial, agreements=agreements)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agreement = next(a for a in agreements if str(a.pk) == data["agreement"])

        def call() -> Disclosure:
            people = selectors.people_asked(viewer=user, text=data["people"])
            return services.disclosure_request(actor=user, agreement=agreement, purpose=data["purpose"], people=people)

        try:
            made = form_submit(form, call)
        except PermissionDenied:  # some people are out of reach: say so without naming whether they exist
            form.add_error("people", "Some of these people are outside what you may see.")
            made = None
        if made is not None:
            messages.success(request, f"Disclosure {made.short_ref} asked for: it awaits approval.")
            return redirect("web:sharing_disclosure", disclosure_id=made.pk)
    return render(request, "sharing/disclosure_new.html", {"form": form, "agreements": agreements})


def _package_response(disclosure: Disclosure, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{disclosure.short_ref}.age"'
    response["Cache-Control"] = "no-store, max-age=0"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@personal_data_view
def disclosure_detail(request: HttpRequest, disclosure_id: uuid.UUID) -> HttpResponse:
    """A disclosure with its people; POST ``action``: approve, refuse, withdraw or download."""
    user = _user(request)
    purpose = declared_purpose(request)
    disclosure = services.disclosure_get_for(viewer=user, disclosure_id=disclosure_id)
    pending = disclosure.status == Disclosure.Status.PENDING
    may_decide = pending and policies.may_approve_disclosure(
        user,
        requested_by_id=disclosure.requested_by_id,
        statutory=disclosure.agreement.is_statutory,
        target_bcus=disclosure.target_bcus,
    )
    may_withdraw = pending and policies.may_withdraw_disclosure(user, disclosure.requested_by_id)
    may_download = (
        disclosure.status == Disclosure.Status.DISCLOSED
        and not disclosure.is_destroyed
        and policies.may_download_package(
            user, requested_by_id=disclosure.requested_by_id, decided_by_id=disclosure.decided_by_id
        )
    )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    approve_form = ReasonsForm(
        request.POST if action == "approve" else None, label="Reasons for approving", optional=True, prefix="approve"
    )
    refuse_form = ReasonsForm(
        request.POST if action == "refuse" else None, label="Reasons for refusing", prefix="refuse"
    )
    problem = ""
    if action in ("approve", "refuse"):
        form = approve_form if action == "approve" else refuse_form
        if not may_decide:
            raise PermissionDenied(
                "You may not decide this disclosure: the Information Rights Unit decides (or, for a statutory "
                "recipient, the SPOC of every person's BCU), and never the person who asked."
            )
        if form.is_valid():
            reasons = form.cleaned_data["reasons"]
            if action == "approve":
                done = form_submit(
                    form,
                    lambda: services.disclosure_approve(
                        actor=user, disclosure=disclosure, reasons=reasons, base_url=request.build_absolute_uri("/")
                    ),
                )
                message = "approved: the package is ready to download and send."
            else:
                done = form_submit(
                    form, lambda: services.disclosure_refuse(actor=user, disclosure=disclosure, reasons=reasons)
                )
                message = "refused."
            if done is not None:
                messages.success(request, f"Disclosure {done.short_ref} {message}")
                return redirect("web:sharing_disclosure", disclosure_id=done.pk)
    elif action == "withdraw":
        if not may_withdraw:
            raise PermissionDenied("Only the person who asked may withdraw a request, while it awaits approval.")
        try:
            services.disclosure_withdraw(actor=user, disclosure=disclosure)
        except ValidationError as exc:
            problem = " ".join(exc.messages)
        else:
            messages.success(request, f"Disclosure {disclosure.short_ref} withdrawn.")
            return redirect("web:sharing_disclosure", disclosure_id=disclosure.pk)
    elif action == "download":
        try:
            content = services.package_download(actor=user, disclosure=disclosure)
        except RuleBroken as exc:
            problem = str(exc.message)
        else:
            return _package_response(disclosure, content)
    elif request.method == "POST":
        raise PermissionDenied("Choose an action from the page.")
    detail = selectors.disclosure_detail_for(viewer=user, disclosure_id=disclosure.pk, purpose=purpose)
    disclosure = detail.disclosure
    context = {
        "d": disclosure,
        "detail": detail,
        "fields": [rules.FIELDS[f][0] for f in disclosure.fields if f in rules.FIELDS],
        "may_decide": may_decide,
        "may_withdraw": may_withdraw,
        "may_download": may_download,
        "approve_form": approve_form,
        "refuse_form": refuse_form,
        "form": refuse_form if action == "refuse" else approve_form,
        "problem": problem,
        "expired": bool(disclosure.expires_on and timezone.localdate() > disclosure.expires_on),
    }
    return render(request, "sharing/disclosure.html", context)


# The recipient's confirmation of destruction (public) ----------------------------------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def destroyed(request: HttpRequest) -> HttpResponse:
    """The recipient confirms a package destroyed with the code inside it. Says nothing about other references."""
    form = DestroyedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = services.package_destruction_confirm(
                reference=data["reference"],
                code=data["code"],
                confirmed_by=f"{data['name']}, {data['role']}",
                note=data["note"],
            )
        except RuleBroken as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_service_errors(
                ValidationError({("name" if k == "confirmed_by" else k): v for k, v in exc.error_dict.items()})
                if hasattr(exc, "error_dict")
                else exc
            )
        else:
            return render(request, "sharing/destroyed_done.html", {"reference": done.short_ref})
    return render(request, "sharing/destroyed.html", {"form": form})
