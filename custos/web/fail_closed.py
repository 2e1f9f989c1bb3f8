"""Fail closed: if the s.62 log cannot be written, the request is refused with 503.

Selectors record a consultation before they return personal data, and
services record their event inside the change's transaction, so when the
log cannot be written they raise ``AuditUnavailable`` before anything is
shown, and the change rolls back. This middleware turns that into a plain
GOV.UK page with status 503 that shows nothing of what was asked for. (The
JSON API does the same in ``custos.register.api.api_exception_handler``; the
``custos`` command exits non-zero with one line.)
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from custos.audit.services import UNAVAILABLE_MESSAGE, AuditUnavailable

logger = logging.getLogger(__name__)


class AuditFailClosedMiddleware:
    """Answers ``AuditUnavailable`` raised by a view with the 503 page (``503.html``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, AuditUnavailable):
            return None
        # The method and path only (paths carry ids, never names); no request data.
        logger.error("audit log unavailable: refused %s %s", request.method, request.path)
        response = render(request, "503.html", {"message": UNAVAILABLE_MESSAGE}, status=503)
        response["Cache-Control"] = "no-store"
        response["Retry-After"] = "60"
        return response


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the 503 page when the log could not be written outside a view, else the 500 page.

    Catches ``AuditUnavailable`` raised by a middleware (one that records an
    event as a request passes through), which ``process_exception`` never
    sees. Rendered without the request's context processors, as Django's own
    500 handler is, so that it cannot fail in turn.
    """
    if isinstance(sys.exc_info()[1], AuditUnavailable):
        logger.error("audit log unavailable: refused %s %s", request.method, request.path)
        body = loader.get_template("503.html").render({"message": UNAVAILABLE_MESSAGE})
        response = HttpResponse(body, status=503)
        response["Cache-Control"] = "no-store"
        response["Retry-After"] = "60"
        return response
    return defaults.server_error(request)
