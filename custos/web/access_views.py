"""Pages between the password and the register: second factor, lockout, identity-provider sign-in.

- ``/account/mfa/setup/``: add an authenticator app (QR code as inline SVG,
  and the secret to type in), confirmed with a first code.
- ``/account/mfa/verify/``: a code after each password sign-in.
- The lockout page django-axes shows (``AXES_LOCKOUT_CALLABLE``): the
  sign-in page with the time the lock ends.
- The OpenID Connect callback, when ``CUSTOS_OIDC_ENABLED=1``.

A wrong code counts, with wrong passwords, towards the lockout of that
username from that address; passing the second factor clears the count.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from custos.accounts.mfa import (
    IDP_MFA_SESSION_KEY,
    CodeCheck,
    session_mfa_verified,
    totp_device_confirmed,
    totp_enrolment_begin,
    totp_enrolment_confirm,
    totp_secret_base32,
    totp_uri,
    totp_verify,
)
from custos.accounts.models import TotpDevice, User
from custos.accounts.oidc import IDP_MFA_REQUEST_ATTRIBUTE, REFUSAL_ATTRIBUTE
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.web.forms import GovukFormMixin
from custos.web.middleware import mfa_exempt


class CodeForm(GovukFormMixin, forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code the app shows now.",
        max_length=12,
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(
            attrs={
                "class": "govuk-input govuk-input--width-5 govuk-input--extra-letter-spacing",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError("Enter the 6-digit code from your authenticator app.")
        return code


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(request: HttpRequest, name: str) -> HttpResponseRedirect:
    url = reverse(name)
    wanted = request.GET.get("next") or request.POST.get("next")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        url += "?" + urlencode({"next": wanted})
    return HttpResponseRedirect(url)


def _passed(request: HttpRequest, user: User, device: TotpDevice) -> HttpResponseRedirect:
    """The second factor passed: mark the session, clear the lockout count, carry on."""
    otp_login(request, device)
    request.session.cycle_key()
    axes_reset(ip=get_client_ip_address(request), username=user.username)
    return HttpResponseRedirect(_next_url(request))


def _refused(request: HttpRequest, user: User, form: CodeForm, result: CodeCheck) -> HttpResponseBase | None:
    """A wrong or throttled code: count it towards the lockout and say what happened."""
    user_login_failed.send(sender=__name__, credentials={"username": user.username}, request=request)
    if getattr(request, "axes_locked_out", False):
        # The lockout page replaces this response (axes middleware, AXES_LOCKOUT_CALLABLE).
        logout(request)
        return redirect("web:login")
    if result.throttled and result.retry_after is not None:
        when = timezone.localtime(result.retry_after).strftime("%H:%M:%S")
        form.add_error("code", f"Too many wrong codes. Wait until {when}, then enter the code the app shows.")
    else:
        form.add_error("code", "The code is not right, or has been used already. Enter the code the app shows now.")
    return None


def _locked(request: HttpRequest, user: User) -> bool:
    return bool(AxesProxyHandler.is_locked(request, credentials={"username": user.username}))


def _sign_out_locked(request: HttpRequest, user: User) -> HttpResponseBase:
    """End the half-signed-in session of a locked-out user; axes' middleware then shows the lockout page."""
    credentials = {"username": user.username}
    logout(request)
    request.axes_locked_out = True  # type: ignore[attr-defined]
    request.axes_credentials = credentials  # type: ignore[attr-defined]
    return redirect("web:login")


@mfa_exempt
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponseBase:
    """Add an authenticator app: scan the QR code (or type the secret), then give a first code."""
    user: User = request.user  # type: ignore[assignment]
    if session_mfa_verified(user):
        return HttpResponseRedirect(_next_url(request))
    if totp_device_confirmed(user) is not None:
        return _with_next(request, "web:mfa_verify")
    if _locked(request, user):
        return _sign_out_locked(request, user)
    device = totp_enrolment_begin(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = totp_enrolment_confirm(user=user, device_id=device.pk, code=form.cleaned_data["code"])
        if result.accepted and result.device is not None:
            messages.success(request, "Your authenticator app is set up. You will need a code from it each time.")
            return _passed(request, user, result.device)
        refused = _refused(request, user, form, result)
        if refused is not None:
            return refused
    uri = totp_uri(device)
    secret = totp_secret_base32(device)
    context: dict[str, Any] = {
        "form": form,
        "next": _next_url(request),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),  # in fours, easier to type
        "qr_svg": segno.make(uri, error="m").svg_inline(
            scale=4, dark="#0b0c0c", light="#ffffff", svgclass="custos-qr", title="QR code for your authenticator app"
        ),
    }
    response = render(request, "web/mfa_setup.html", context)
    response["Cache-Control"] = "no-store"
    return response


@mfa_exempt
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponseBase:
    """Give a code from the authenticator app after the password."""
    user: User = request.user  # type: ignore[assignment]
    if session_mfa_verified(user):
        return HttpResponseRedirect(_next_url(request))
    if totp_device_confirmed(user) is None:
        return _with_next(request, "web:mfa_setup")
    if _locked(request, user):
        return _sign_out_locked(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = totp_verify(user=user, code=form.cleaned_data["code"])
        except PermissionDenied:
            return _with_next(request, "web:mfa_setup")
        if result.accepted and result.device is not None:
            return _passed(request, user, result.device)
        refused = _refused(request, user, form, result)
        if refused is not None:
            return refused
    return render(request, "web/mfa_verify.html", {"form": form, "next": _next_url(request)})


class LockedOutForm(GovukFormMixin, forms.Form):
    """The sign-in form as the lockout page shows it: empty, with the lockout as its error."""

    username = forms.CharField(label="Username", max_length=150, required=False)
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput, required=False)

    def __init__(self, message: str) -> None:
        super().__init__(data={})
        self.message = message

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError(self.message)


def locked_out(request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None) -> HttpResponse:
    """django-axes' lockout response: the sign-in page, saying until when and whom to ask.

    The lock ends a cool-off after the latest refused attempt (each attempt
    during the lock starts it again). Audited as ``user.locked_out``.
    """
    cool_off = get_cool_off(request)
    since = getattr(request, "axes_attempt_time", None) or timezone.now()
    until = timezone.localtime(since + cool_off) if cool_off else None
    username = str((credentials or {}).get("username") or "")
    user = User.objects.filter(username=username).only("pk").first() if username else None
    with transaction.atomic():
        event_record(
            actor=Actor.system("sign_in"),
            verb=Verb.USER_LOCKED_OUT,
            object_type="user",
            object_ref=f"user:{user.pk}" if user else "",
        )
    when = f"after {until:%H:%M}" if until else "later"
    form = LockedOutForm(f"Too many failed attempts. Try again {when} or ask your BCU SPOC.")
    context = {"form": form, "next": "", "locked_out": True, **sign_in_context()}
    return render(request, "web/login.html", context, status=429)  # Too Many Requests, as axes answers


def sign_in_context() -> dict[str, Any]:
    """What the sign-in page needs beyond its form: the identity-provider button, if enabled."""
    return {"oidc_enabled": settings.CUSTOS_OIDC_ENABLED, "oidc_provider_name": settings.CUSTOS_OIDC_PROVIDER_NAME}


# Identity-provider sign-in (OpenID Connect) ------------------------------------------------------------------------


class OidcCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """mozilla-django-oidc's callback, audited, with a clear refusal and the IdP's MFA (when trusted)."""

    def login_success(self) -> HttpResponseBase:
        response: HttpResponseBase = super().login_success()
        request: HttpRequest = self.request
        user: User = self.user
        vouched = bool(getattr(request, IDP_MFA_REQUEST_ATTRIBUTE, False)) and settings.CUSTOS_OIDC_TRUST_MFA
        with transaction.atomic():
            event_record(
                actor=user,
                verb=Verb.USER_SIGNED_IN,
                object_type="user",
                object_ref=f"user:{user.pk}",
                detail={"method": "oidc"},
            )
            if vouched:
                request.session[IDP_MFA_SESSION_KEY] = user.pk
                event_record(
                    actor=user,
                    verb=Verb.MFA_VERIFIED,
                    object_type="user",
                    object_ref=f"user:{user.pk}",
                    detail={"by": "identity_provider"},
                )
        if vouched:
            axes_reset(ip=get_client_ip_address(request), username=user.username)
        return response

    def login_failure(self) -> HttpResponseBase:
        request: HttpRequest = self.request
        reason = getattr(request, REFUSAL_ATTRIBUTE, "") or "Signing in with your force account did not work."
        with transaction.atomic():
            event_record(
                actor=Actor.system("sign_in"),
                verb=Verb.USER_SIGN_IN_FAILED,
                object_type="user",
                detail={"method": "oidc"},
            )
        messages.error(request, reason)
        return redirect("web:login")


oidc_authenticate = login_not_required(OIDCAuthenticationRequestView.as_view())
oidc_callback = login_not_required(OidcCallbackView.as_view())
