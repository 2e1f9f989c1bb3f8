"""Access governance pages: declared purpose, training, recertification and user management.

What they authorise: nothing by themselves. Each page asks
``custos.accounts.policies`` who may see it (403 otherwise) and which
accounts are within the viewer's reach (404 outside it), and every change
goes through ``custos.accounts.services``, which authorise again, validate,
write and audit in one transaction:

- ``/purpose/``: anyone who may see personal data declares an operation or
  incident reference and a reason; kept in the session and recorded on every
  consultation (``purpose.declared``);
- ``/account/training/``: your own training, and why you see no personal data;
- ``/training/``: SPOCs (their BCU), central governance and system
  administrators see who is untrained or expiring and record training
  (``training.recorded``);
- ``/recertification/``: SPOCs attest each quarter which of their BCU's users
  still need access, central governance the London-wide accounts
  (``access.attested``; "remove" suspends at once);
- ``/users/``: system administrators list, create, suspend and reinstate
  accounts (``user.created``, ``user.suspended``, ``user.reinstated``); a
  SPOC may reinstate their BCU's users from the recertification page.

None of these pages shows personal data of the register.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from custos.accounts import policies as account_policies
from custos.accounts.forms import AttestationForm, PurposeForm, TrainingRecordForm, UserCreateForm
from custos.accounts.models import Role, User, quarter_of
from custos.accounts.purpose import purpose_from_session, purpose_to_session
from custos.accounts.selectors import (
    CourseState,
    TrainingRequired,
    attestations_this_quarter,
    recertification_deadline,
    recertification_due,
    training_contacts_for,
    training_status_of,
    training_statuses_for,
    who_records_training_for,
)
from custos.accounts.services import (
    attestation_record,
    purpose_declare,
    training_record,
    user_create,
    user_reinstate,
    user_suspend,
)
from custos.govuk.forms import form_submit as _submit
from custos.register import policies as register_policies
from custos.register import selectors as register_selectors
from custos.register.models import BCU
from custos.register.views import request_user as _user

T = TypeVar("T")

#: The value of the BCU filter meaning "accounts with no BCU (London-wide roles)".
LONDON = "london"


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# Declared purpose ---------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def purpose(request: HttpRequest) -> HttpResponse:
    """State (or change) why you are consulting personal data; kept until changed or you sign out."""
    user = _user(request)
    register_selectors.require_people_access(user)
    next_url = _safe_next(request, reverse("web:matrix"))
    current = purpose_from_session(request.session)
    initial = {"reference": current.reference, "reason": current.reason} if current else None
    form = PurposeForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        declared = _submit(
            form,
            lambda: purpose_declare(
                actor=user, reference=form.cleaned_data["reference"], reason=form.cleaned_data["reason"]
            ),
        )
        if declared is not None:
            purpose_to_session(request.session, declared)
            messages.success(request, f"Purpose {declared.reference} recorded. It applies until you change it.")
            return redirect(next_url)
    return render(request, "web/governance/purpose.html", {"form": form, "next": next_url, "current": current})


# Training -----------------------------------------------------------------------------------------------------------


def _training_context(user: User) -> dict[str, Any]:
    statuses = training_status_of(user)
    return {
        "account": user,
        "statuses": statuses,
        "gaps": [s for s in statuses if not s.is_current],
        "role_reads_personal_data": register_policies.role_may_view_people(user),
        "who": who_records_training_for(user),
        "contacts": list(training_contacts_for(user).order_by("last_name", "username")[:10]),
    }


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page; for missing or expired training, which course and who to ask."""
    user = getattr(request, "user", None)
    if isinstance(exception, TrainingRequired) and isinstance(user, User):
        context = _training_context(user) | {"refused": True}
        return render(request, "web/governance/training_required.html", context, status=403)
    # The refusal's own message says why (policies and services write them for people, never with personal data).
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


@never_cache
def my_training(request: HttpRequest) -> HttpResponse:
    """Your own training: each course, when it expires, and who records it."""
    return render(request, "web/governance/training_required.html", _training_context(_user(request)))


def _bcu_choices() -> list[tuple[str, str]]:
    return list(BCU.objects.order_by("name").values_list("code", "name"))


def _filter_by_bcu(request: HttpRequest, viewer: User, users: Any) -> tuple[Any, str]:
    """Narrow a queryset of accounts by ``?bcu=`` (a code, or ``london``); SPOCs are already one BCU."""
    if viewer.role == Role.BCU_SPOC:
        return users, viewer.bcu_code
    chosen = request.GET.get("bcu", "")
    if chosen == LONDON:
        return users.filter(bcu_code=""), chosen
    if chosen and chosen in dict(_bcu_choices()):
        return users.filter(bcu_code=chosen), chosen
    return users, ""


@never_cache
@require_http_methods(["GET"])
def training_list(request: HttpRequest) -> HttpResponse:
    """Who is trained, expiring or untrained, for a SPOC's BCU or (central, sysadmin) everyone."""
    viewer = _user(request)
    if not account_policies.may_view_training(viewer):
        raise PermissionDenied("Your role does not look after training records.")
    users, chosen = _filter_by_bcu(request, viewer, account_policies.training_users_for(viewer))
    accounts = list(users.filter(is_active=True).order_by("bcu_code", "username"))
    statuses = training_statuses_for(accounts)
    attention_only = request.GET.get("show") == "attention"
    rows = []
    counts = {"untrained": 0, "expiring": 0, "trained": 0}
    for account in accounts:
        courses = statuses[account.pk]
        if any(not c.is_current for c in courses):
            counts["untrained"] += 1
        elif any(c.state == CourseState.EXPIRING for c in courses):
            counts["expiring"] += 1
        else:
            counts["trained"] += 1
            if attention_only:
                continue
        if attention_only and all(c.state == CourseState.CURRENT for c in courses):
            continue
        rows.append(
            {
                "account": account,
                "courses": courses,
                # Every account listed is within reach (training_users_for); only oneself is excluded.
                "may_record": account.pk != viewer.pk,
            }
        )
    context = {
        "rows": rows,
        "counts": counts,
        "attention_only": attention_only,
        "bcus": _bcu_choices(),
        "chosen": chosen,
        "london": LONDON,
        "spoc": viewer.role == Role.BCU_SPOC,
        "bcu_name": dict(_bcu_choices()).get(viewer.bcu_code, viewer.bcu_code),
    }
    return render(request, "web/governance/training_list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def training_add(request: HttpRequest, user_id: int) -> HttpResponse:
    """Record a completed course for an account within your reach (``accounts.services.training_record``)."""
    viewer = _user(request)
    if not account_policies.may_view_training(viewer):
        raise PermissionDenied("Your role does not look after training records.")
    account = account_policies.training_users_for(viewer).filter(pk=user_id).first()
    if account is None:
        raise Http404("No such account within your reach.")
    if not account_policies.may_record_training(viewer, account):
        raise PermissionDenied("Someone else must record your own training.")
    form = TrainingRecordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record = _submit(
            form,
            lambda: training_record(
                actor=viewer,
                user=account,
                course=data["course"],
                completed_on=data["completed_on"],
                expires_on=data["expires_on"],
                evidence_reference=data["evidence_reference"],
            ),
        )
        if record is not None:
            messages.success(
                request,
                f"{record.get_course_display()} recorded for {account.username}, "
                f"valid until {record.expires_on:%d/%m/%Y}.",
            )
            return redirect("web:training")
    context = {"form": form, "account": account, "statuses": training_status_of(account)}
    return render(request, "web/governance/training_add.html", context)


# Recertification ----------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def recertification(request: HttpRequest) -> HttpResponse:
    """This quarter's attestation: keep or remove each account in your BCU (or, for central, London-wide)."""
    viewer = _user(request)
    if not account_policies.may_view_recertification(viewer):
        raise PermissionDenied("Your role does not attest other people's access.")
    scoped = account_policies.attestable_users_for(viewer)
    if viewer.role != Role.BCU_SPOC and "bcu" not in request.GET:
        scoped, chosen = scoped.filter(bcu_code=""), LONDON
    else:
        scoped, chosen = _filter_by_bcu(request, viewer, scoped)
    active = list(scoped.filter(is_active=True).order_by("username"))
    done = attestations_this_quarter(active)
    pending = [u for u in active if u.pk not in done]
    form = AttestationForm(request.POST if request.method == "POST" else None, users=pending)
    if request.method == "POST" and form.is_valid():
        decisions = form.decisions()
        if not decisions:
            form.add_error(None, "Choose whether each user still needs access, for at least one user.")
        else:
            by_id = {u.pk: u for u in pending}
            try:
                with transaction.atomic():
                    for user_id, decision in decisions.items():
                        attestation_record(actor=viewer, user=by_id[user_id], decision=decision)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                removed = sum(1 for d in decisions.values() if d == "remove")
                text = f"{len(decisions)} attestation(s) recorded."
                if removed:
                    text += f" {removed} account(s) suspended at once."
                messages.success(request, text)
                return redirect(f"{reverse('web:recertification')}?{urlencode({'bcu': chosen})}")
    suspended = [
        {"account": u, "may_reinstate": account_policies.may_reinstate(viewer, u)}
        for u in scoped.filter(is_active=False).order_by("username")
    ]
    context = {
        "form": form,
        "quarter": quarter_of(timezone.localdate()),
        "pending": [
            {
                "account": u,
                "field": form[f"user_{u.pk}"],
                "due": recertification_due(u),
                "deadline": recertification_deadline(u),
            }
            for u in pending
        ],
        "done": [{"account": u, "attestation": done[u.pk]} for u in active if u.pk in done],
        "suspended": suspended,
        "bcus": _bcu_choices(),
        "chosen": chosen,
        "london": LONDON,
        "spoc": viewer.role == Role.BCU_SPOC,
        "bcu_name": dict(_bcu_choices()).get(viewer.bcu_code, viewer.bcu_code),
        "here": request.get_full_path(),
    }
    return render(request, "web/governance/recertification.html", context)


# Accounts -----------------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET"])
def users(request: HttpRequest) -> HttpResponse:
    """Every account, its role, BCU, status and training (system administrators only)."""
    viewer = _user(request)
    if not account_policies.may_manage_users(viewer):
        raise PermissionDenied("Only system administrators manage accounts.")
    accounts, chosen = _filter_by_bcu(request, viewer, User.objects.all())
    accounts = list(accounts.order_by("username"))
    statuses = training_statuses_for(accounts)
    rows = [
        {
            "account": account,
            "trained": all(c.is_current for c in statuses[account.pk]),
            "may_suspend": account_policies.may_suspend(viewer, account),
            "may_reinstate": account_policies.may_reinstate(viewer, account),
        }
        for account in accounts
    ]
    context = {
        "rows": rows,
        "bcus": _bcu_choices(),
        "chosen": chosen,
        "london": LONDON,
        "here": request.get_full_path(),
    }
    return render(request, "web/governance/users.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def user_add(request: HttpRequest) -> HttpResponse:
    """Create an account with a role and (for scoped roles) a BCU (``accounts.services.user_create``)."""
    viewer = _user(request)
    if not account_policies.may_manage_users(viewer):
        raise PermissionDenied("Only system administrators manage accounts.")
    form = UserCreateForm(request.POST if request.method == "POST" else None, bcus=_bcu_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = _submit(
            form,
            lambda: user_create(
                actor=viewer,
                username=data["username"].strip(),
                password=data["password"],
                role=data["role"],
                bcu_code=data["bcu_code"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            ),
        )
        if account is not None:
            messages.success(
                request,
                f"Account {account.username} created. "
                "It sees no personal data until both training courses are recorded.",
            )
            return redirect("web:users")
    return render(request, "web/governance/user_add.html", {"form": form})


def _account(user_id: int) -> User:
    account = User.objects.filter(pk=user_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


@require_POST
def user_suspend_view(request: HttpRequest, user_id: int) -> HttpResponseBase:
    """Suspend an account at once (system administrators; ``accounts.services.user_suspend``)."""
    viewer = _user(request)
    if not account_policies.may_manage_users(viewer):
        raise PermissionDenied("Only system administrators suspend accounts.")
    account = _account(user_id)
    user_suspend(actor=viewer, user=account)
    messages.success(request, f"Account {account.username} suspended.")
    return redirect(_safe_next(request, reverse("web:users")))


@require_POST
def user_reinstate_view(request: HttpRequest, user_id: int) -> HttpResponseBase:
    """Reinstate a suspended account (system administrators; a SPOC for their BCU's users)."""
    viewer = _user(request)
    account = _account(user_id)
    if not account_policies.may_reinstate(viewer, account):
        raise PermissionDenied("You may not reinstate this account.")
    user_reinstate(actor=viewer, user=account)
    messages.success(request, f"Account {account.username} reinstated. Its recertification period starts today.")
    return redirect(_safe_next(request, reverse("web:users")))
