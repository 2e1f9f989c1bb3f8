"""Access security for every web page: idle sessions, the second factor, security headers.

Order in ``MIDDLEWARE`` (settings): after authentication, django-otp's
``OTPMiddleware`` and messages; ``MfaRequiredMiddleware`` after Django's
``LoginRequiredMiddleware`` (both decide in ``process_view``, in list order).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from custos.accounts.mfa import IDP_MFA_ATTRIBUTE, IDP_MFA_SESSION_KEY, session_mfa_verified, totp_device_confirmed
from custos.audit.models import Verb
from custos.audit.services import AuditUnavailable, event_record

log = logging.getLogger(__name__)

#: Session keys holding the time (Unix seconds) of the user's first and latest request.
STARTED_SESSION_KEY = "custos_session_started"
LAST_SEEN_SESSION_KEY = "custos_last_seen"
#: Requests closer together than this do not rewrite the session: fewer writes, and the
#: session may end up to this much early (after 14 idle minutes rather than 15), never late.
LAST_SEEN_RESOLUTION = 60

View = Callable[..., HttpResponseBase]


def mfa_exempt(view: View) -> View:
    """Mark a view a signed-in user may reach before their second factor (enrolment, verification, sign-out)."""
    view.mfa_exempt = True  # type: ignore[attr-defined]
    return view


def idle_minutes() -> int:
    return max(1, round(settings.CUSTOS_SESSION_IDLE_SECONDS / 60))


def lifetime_hours() -> str:
    hours = max(1, round(settings.SESSION_COOKIE_AGE / 3600))
    return f"{hours} hour" if hours == 1 else f"{hours} hours"


class IdleSessionMiddleware:
    """Ends a signed-in session idle longer than ``CUSTOS_SESSION_IDLE_SECONDS``, or older than ``SESSION_COOKIE_AGE``.

    The time of the first and of the latest request are kept in the session.
    When the gap since the latest is too long, or the session has lasted its
    whole life, it is ended (``user.session_expired`` is audited) and the
    request carries on signed out, so the usual sign-in redirect follows and
    the sign-in page says why. (Django's own expiry slides forward each time
    the session is saved, so it alone would not bound a busy session.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            session = request.session
            last = session.get(LAST_SEEN_SESSION_KEY)
            started = session.get(STARTED_SESSION_KEY)
            if isinstance(last, int) and now - last > settings.CUSTOS_SESSION_IDLE_SECONDS:
                self._expire(
                    request,
                    detail={"idle_seconds": now - last},
                    message=f"You were signed out after {idle_minutes()} minutes without activity.",
                )
            elif isinstance(started, int) and now - started > settings.SESSION_COOKIE_AGE:
                self._expire(
                    request,
                    detail={"session_seconds": now - started},
                    message=(
                        f"You were signed out because a session lasts at most {lifetime_hours()}. "
                        "Sign in again to carry on."
                    ),
                )
            else:
                if not isinstance(started, int):
                    session[STARTED_SESSION_KEY] = now
                if not isinstance(last, int) or now - last >= LAST_SEEN_RESOLUTION:
                    session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _expire(request: HttpRequest, *, detail: dict[str, int], message: str) -> None:
        user = request.user
        try:
            with transaction.atomic():
                event_record(
                    actor=user,  # type: ignore[arg-type]
                    verb=Verb.USER_SESSION_EXPIRED,
                    object_type="user",
                    object_ref=f"user:{user.pk}",
                    detail=detail,
                )
        except AuditUnavailable:
            # Ending access is never held back by the log; the failure is reported instead.
            log.exception("could not record the end of a session")
        logout(request)
        messages.info(request, message)


class MfaRequiredMiddleware:
    """Sends a signed-in user who has not passed the second factor in this session to do so.

    A user with an authenticator goes to ``/account/mfa/verify/``, one without
    to ``/account/mfa/setup/``; the page they wanted follows as ``next``.
    Public views (``login_not_required``) and views marked ``mfa_exempt``
    are let through, as is the API, which has its own token authentication.
    When ``CUSTOS_OIDC_TRUST_MFA`` is on, a session whose identity provider
    vouched for a second factor counts as verified.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if (
            user.is_authenticated
            and getattr(settings, "CUSTOS_OIDC_TRUST_MFA", False)
            and request.session.get(IDP_MFA_SESSION_KEY) == user.pk
        ):
            setattr(user, IDP_MFA_ATTRIBUTE, True)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if not getattr(view_func, "login_required", True):
            return None
        if getattr(view_func, "mfa_exempt", False):
            return None
        if request.path_info.startswith("/api/"):
            return None
        if session_mfa_verified(user):
            return None
        target = "web:mfa_verify" if totp_device_confirmed(user) is not None else "web:mfa_setup"
        return redirect_to_login(request.get_full_path(), reverse(target))


class SecurityHeadersMiddleware:
    """Headers Django's own middleware does not set: ``Permissions-Policy``,
    ``Cross-Origin-Resource-Policy``, and ``Cache-Control: no-store`` on pages
    for a signed-in user (personal data must not linger in a shared browser's cache).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.CUSTOS_PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
