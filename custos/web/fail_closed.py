"""Fail closed: when the s.62 log, the database or the keys are unavailable, the request is refused with 503.

Selectors record a consultation before they return personal data, and
services record their event inside the change's transaction, so when the
log cannot be written they raise ``AuditUnavailable`` before anything is
shown, and the change rolls back. This middleware turns that into a plain
GOV.UK page with status 503 that shows nothing of what was asked for. (The
JSON API does the same in ``custos.register.api.api_exception_handler``; the
``custos`` command exits non-zero with one line.)

The same holds for the other things no request can do without (issue 8,
fault injection; ``docs/deployment.md``, "Faults"):

- the database going away (a lost connection, a server restart, SQLite's
  file locked beyond the busy timeout): ``OperationalError`` or
  ``InterfaceError``. The transaction in flight is rolled back by the
  database, so a change is all or nothing; Django drops the broken
  connection at the end of the request and the next request opens a new one.
- the key provider unavailable (no key file, no HSM token): refused before
  the view runs (``KeyProviderMiddleware``), so nothing is read, logged or
  written; ``KeyUnavailable`` raised later in a view is refused the same way.

The answer is HTML, or ``{"detail": …}`` under ``/api/``; the log line names
the fault, the method and the path (paths carry ids, never names), never the
exception's text or a traceback (``custos.web.faultlog`` strips Django's).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from custos.audit.services import UNAVAILABLE_MESSAGE, AuditUnavailable
from custos.crypto.envelope import DataKeyShredded
from custos.crypto.keys import KeyUnavailable, get_provider

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE_MESSAGE = (
    "The database is unavailable, so nothing was shown or changed. Try again in a few minutes."
)
KEYS_UNAVAILABLE_MESSAGE = (
    "The encryption keys (the key provider) are unavailable, so nothing was shown or changed. "
    "Try again later; if this goes on, tell your system administrator."
)


@dataclass(frozen=True)
class Fault:
    """Why a request was refused with 503: a code (the page's element id), the log line's words, the message."""

    code: str
    logged_as: str
    message: str


AUDIT_FAULT = Fault("audit", "audit log unavailable", UNAVAILABLE_MESSAGE)
DATABASE_FAULT = Fault("database", "database unavailable", DATABASE_UNAVAILABLE_MESSAGE)
KEYS_FAULT = Fault("keys", "key provider unavailable", KEYS_UNAVAILABLE_MESSAGE)


def fault_of(exception: BaseException | None) -> Fault | None:
    """The fault an exception means, or None for any other exception (a bug: the 500 page)."""
    if isinstance(exception, AuditUnavailable):
        # The event could not be written because the database went away: say so.
        return DATABASE_FAULT if isinstance(exception.__cause__, OperationalError | InterfaceError) else AUDIT_FAULT
    if isinstance(exception, OperationalError | InterfaceError):
        return DATABASE_FAULT
    # A shredded data key is an erased record, not an unavailable provider.
    if isinstance(exception, KeyUnavailable) and not isinstance(exception, DataKeyShredded):
        return KEYS_FAULT
    return None


def refusal(request: HttpRequest, fault: Fault) -> HttpResponse:
    """The 503 answer, rendered without the request's context processors (they may need the database)."""
    logger.error("%s: refused %s %s", fault.logged_as, request.method, request.path)
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": fault.message}, status=503)
    else:
        body = loader.get_template("503.html").render({"message": fault.message, "fault": fault.code})
        response = HttpResponse(body, status=503)
    response["Cache-Control"] = "no-store"
    response["Retry-After"] = "60"
    # KeyProviderMiddleware answers before the inner middlewares that set these: set them here too.
    response.headers.setdefault(CSP_HEADER, build_policy())
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", settings.CUSTOS_PERMISSIONS_POLICY)
    response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    return response


class KeyProviderMiddleware:
    """Refuses every request with 503 while the key provider cannot give a key: before anything is read or logged.

    ``get_provider`` is cheap once the provider is loaded (a ``stat`` of the
    key file, or a logged-in PKCS#11 session kept per process).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            get_provider()
        except KeyUnavailable:
            return refusal(request, KEYS_FAULT)
        return self.get_response(request)


class AuditFailClosedMiddleware:
    """Answers ``AuditUnavailable`` (and the database or key provider failing) raised by a view with 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        fault = fault_of(exception)
        if fault is None:
            return None
        return refusal(request, fault)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the 503 answer for a fault raised outside a view, else the 500 page.

    Catches ``AuditUnavailable`` raised by a middleware (one that records an
    event as a request passes through), and the database failing in one
    (sessions, authentication), which ``process_exception`` never sees.
    Rendered without the request's context processors, as Django's own 500
    handler is, so that it cannot fail in turn.
    """
    fault = fault_of(sys.exc_info()[1])
    if fault is not None:
        return refusal(request, fault)
    return defaults.server_error(request)
