"""The shell: sign in and out, home, the user's own account page, error pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from custos.accounts.mfa import totp_device_confirmed
from custos.accounts.models import ApiToken, Notification, User
from custos.accounts.policies import may_manage_users
from custos.accounts.services import api_token_issue, api_token_revoke, notification_done
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.register import policies
from custos.web.access_views import sign_in_context
from custos.web.audit_views import may_read_log
from custos.web.forms import GovukFormMixin
from custos.web.middleware import mfa_exempt


class SignInForm(GovukFormMixin, AuthenticationForm):
    pass


class SignInView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **sign_in_context()}

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            event_record(
                actor=form.get_user(),
                verb=Verb.USER_SIGNED_IN,
                object_type="user",
                object_ref=f"user:{form.get_user().pk}",
            )
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # The attempted username is not recorded: it may be a mistyped password.
        with transaction.atomic():
            event_record(actor=Actor.system("sign_in"), verb=Verb.USER_SIGN_IN_FAILED, object_type="user")
        return super().form_invalid(form)


sign_in = login_not_required(SignInView.as_view())


@mfa_exempt
@require_POST
def sign_out(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    if user.is_authenticated:
        with transaction.atomic():
            event_record(actor=user, verb=Verb.USER_SIGNED_OUT, object_type="user", object_ref=f"user:{user.pk}")
    return auth_views.LogoutView.as_view()(request)


def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if policies.may_view_people(user):
        return redirect("web:matrix")
    if policies.role_may_view_people(user):  # training missing or expired: say so
        return redirect("web:my_training")
    if may_manage_users(user):
        return redirect("web:users")
    if may_read_log(user):  # auditors: the log is their work
        return redirect("web:audit_log")
    return redirect("web:profile")


class TokenForm(GovukFormMixin, forms.Form):
    label = forms.CharField(
        max_length=100, label="What the token is for", help_text="For example, the name of the script that will use it."
    )


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    new_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_token = api_token_issue(actor=user, owner=user, label=form.cleaned_data["label"])
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=user)
    context: dict[str, Any] = {
        "form": form,
        "tokens": tokens,
        "new_token": new_token,
        "account": user,
        "mfa_device": totp_device_confirmed(user),
    }
    response = render(request, "web/profile.html", context)
    if new_token:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        return render(request, "404.html", status=404)
    api_token_revoke(actor=user, token=token)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("web:profile")


# The task list: notices for the signed-in user (counts and links, never personal data).


@never_cache
@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    """Your open notices (new reviews in your BCU's queue, escalations…), and the ones done lately."""
    user: User = request.user  # type: ignore[assignment]
    notices = Notification.objects.filter(recipient=user)
    context = {
        "open_notices": list(notices.filter(done_at__isnull=True).order_by("-created_at")),
        "done_notices": list(notices.filter(done_at__isnull=False).order_by("-done_at")[:20]),
    }
    return render(request, "web/tasks.html", context)


@require_POST
def task_done(request: HttpRequest, notification_id: int) -> HttpResponseBase:
    """Mark one of your own notices done (someone else's is not found)."""
    user: User = request.user  # type: ignore[assignment]
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        return render(request, "404.html", status=404)
    notification_done(actor=user, notification=notification)
    messages.success(request, "Notice marked as done.")
    return redirect("web:tasks")
