"""The register's JSON API, ``/api/v1/``: one view per operation.

Every operation needs a per-user API token (``Authorization: Bearer cst_…``,
see ``custos.accounts.api_auth``); without one the answer is 401. Views parse
input, call a selector (reads) or a service (writes) and present the result;
they hold no rules and never query personal data themselves. The rules are
the ones every interface shares:

- reach comes from ``policies.people_scope``: a record outside it answers 404,
  exactly as a record that does not exist, so nobody learns it does;
- a role that reads no personal data (auditor, system administrator) gets 403,
  and so does an account whose training is missing or expired, with
  ``{"detail": why, "training": [{"course", "state", "expires_on"}]}``
  (Annex 1 terms 8 and 9; ``SeesPersonalData``);
- every operation on personal data needs a declared purpose, the
  ``X-Custos-Purpose`` header (or ``purpose`` in a write's body): without one
  the answer is 400 ``{"purpose": [message]}``. Every read records a
  consultation event (s.62) naming the people returned, with that purpose;
- every write goes through a service, which authorises, validates, writes and
  records its event in one transaction.

Errors: malformed input or a field the service refuses, or no purpose → 400
with field errors (``{"field": ["message"]}``); a rule of the register broken
→ 400 with ``{"detail": message}``; not allowed → 403 with ``{"detail":
why}``; out of reach or unknown → 404.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views import defaults
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler, set_rollback

from custos.accounts.models import User
from custos.accounts.selectors import TrainingRequired
from custos.audit.services import UNAVAILABLE_MESSAGE, AuditUnavailable
from custos.register import actions, policies, selectors, services
from custos.register.models import Gang
from custos.register.serializers import (
    ErrorOutputSerializer,
    IntelligenceCreateInputSerializer,
    IntelligenceFilterInputSerializer,
    IntelligenceOutputSerializer,
    NominalDetailOutputSerializer,
    NominalFilterInputSerializer,
    NominalOutputSerializer,
    PersonCreateInputSerializer,
    PersonDetailOutputSerializer,
    PersonSummaryOutputSerializer,
)
from custos.register.services import RuleBroken

if TYPE_CHECKING:
    from rest_framework.views import AsView, GenericView

PURPOSE_HEADER = "X-Custos-Purpose"
PURPOSE_MAX = 500


# Plumbing ------------------------------------------------------------------------------------------------------------


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes ``ApiTokenAuthentication`` in the OpenAPI schema."""

    target_class = "custos.accounts.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cst_…",
            "description": "A personal API token from your account page or `custos api_token`.",
        }


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, taught the register's refusals (Django ``ValidationError`` and ``RuleBroken``)."""
    if isinstance(exc, AuditUnavailable):
        # The s.62 log could not be written: the selector or service refused
        # before anything was returned or committed (fail closed).
        logging.getLogger(__name__).error("audit log unavailable: refused %s", context["request"].method)
        set_rollback()
        return Response({"detail": UNAVAILABLE_MESSAGE}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, TrainingRequired):
        training = [
            {
                "course": gap.course,
                "state": gap.state,
                "expires_on": gap.expires_on.isoformat() if gap.expires_on else None,
            }
            for gap in exc.gaps
        ]
        exc = exceptions.PermissionDenied({"detail": str(exc), "training": training}, code="training_required")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RuleBroken):
        exc = exceptions.ValidationError({"detail": " ".join(exc.messages)}, code="rule_broken")
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    return exception_handler(exc, context)


class SeesPersonalData(BasePermission):
    """The caller's account and role may read personal data; else 403 saying why (e.g. training)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        selectors.require_people_access(viewer_of(request))
        return True


class ApiView(APIView):
    """Base of every API view: token authentication, personal data only for who may see it, the register's errors."""

    permission_classes = [IsAuthenticated, SeesPersonalData]

    @classmethod
    def as_view(cls, **initkwargs: Any) -> AsView[GenericView]:
        # The API authenticates by token, per request; the session-based
        # LoginRequiredMiddleware would send a token caller to the sign-in
        # page. ``IsAuthenticated`` (the default permission) still refuses
        # anyone without a valid token, with 401.
        return login_not_required(super().as_view(**initkwargs))

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return api_exception_handler


class ApiPagination(LimitOffsetPagination):
    """``?limit=&offset=`` (default 50, at most 200); the selector reads only that window."""

    max_limit = 200

    #: No window starts further in than this: a larger ``?offset=`` would overflow the database's
    #: 64-bit OFFSET (a 500); any offset past the last row answers an empty page anyway.
    max_offset = 2**31 - 1

    def window(self, request: Request) -> tuple[int, int]:
        self.request = request
        self.limit = self.get_limit(request) or 50
        self.offset = min(self.get_offset(request), self.max_offset)
        return self.offset, self.limit

    def respond(self, data: Any, count: int) -> Response:
        self.count = count
        return self.get_paginated_response(data)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: under ``/api/`` an address that matches no operation (an id that is not a UUID, a
    mistyped path) answers ``{"detail": "Not found."}`` as JSON, like every other API 404; elsewhere the 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def viewer_of(request: Request) -> User:
    return cast(User, request.user)


PURPOSE_MISSING = (
    "Say why you are consulting or recording personal data: send the X-Custos-Purpose header, "
    "e.g. 'OP-1234: briefing for the tasking meeting' (s.62). It is recorded in the event log."
)


def declared_purpose(request: Request, given: str = "") -> str:
    """The purpose the caller declared: in the body, else in the header; "" if none."""
    return " ".join((given or request.headers.get(PURPOSE_HEADER, "")).split())[:PURPOSE_MAX]


def purpose_of(request: Request, given: str = "") -> str:
    """The declared purpose; 400 ``{"purpose": [...]}`` if the caller gave none."""
    purpose = declared_purpose(request, given)
    if not purpose:
        raise exceptions.ValidationError({"purpose": [PURPOSE_MISSING]}, code="purpose_required")
    return purpose


PURPOSE_PARAMETER = OpenApiParameter(
    PURPOSE_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="Why you are consulting or recording (s.62), e.g. `OP-1234: weekly tasking`; recorded in the "
    "event log. Required: without it the answer is 400. A write may give `purpose` in its body instead.",
)

_ERRORS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description='Field errors (`{"field": ["message"]}`) or a rule of the register broken (`{"detail": …}`).',
    ),
    401: OpenApiResponse(ErrorOutputSerializer, description="No valid API token."),
    403: OpenApiResponse(ErrorOutputSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorOutputSerializer, description="No such record within your reach."),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: _ERRORS[code] for code in codes}


# The matrix ----------------------------------------------------------------------------------------------------------


class NominalListApi(ApiView):
    """``GET /api/v1/nominals/``: the matrix within the caller's reach."""

    pagination_class = ApiPagination

    @extend_schema(
        operation_id="nominals_list",
        summary="List nominations on the matrix",
        tags=["matrix"],
        parameters=[NominalFilterInputSerializer, PURPOSE_PARAMETER],
        responses={200: NominalOutputSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        """The matrix within your reach: open nominations unless ``status`` says otherwise.

        Needs a role that reads personal data (else 403); a BCU-scoped role sees
        its own BCU only. Logs ``matrix.listed`` naming every person returned.
        """
        filters_in = NominalFilterInputSerializer(data=request.query_params)
        filters_in.is_valid(raise_exception=True)
        paginator = ApiPagination()
        offset, limit = paginator.window(request)
        rows, total = selectors.matrix_window_for(
            viewer=viewer_of(request),
            filters=selectors.MatrixFilters(**filters_in.validated_data),
            purpose=purpose_of(request),
            offset=offset,
            limit=limit,
        )
        return paginator.respond(NominalOutputSerializer(rows, many=True).data, total)


class NominalDetailApi(ApiView):
    """``GET /api/v1/nominals/<id>/``: one nomination with its reasons and band decisions."""

    @extend_schema(
        operation_id="nominals_retrieve",
        summary="Read one nomination",
        tags=["matrix"],
        parameters=[PURPOSE_PARAMETER],
        responses={200: NominalDetailOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, nomination_id: uuid.UUID) -> Response:
        """One nomination, with its reasons, corroboration and band decisions.

        404 unless the person is within your reach. Logs ``person.consulted``
        on the nomination, naming the person.
        """
        detail = selectors.nomination_get_for(
            viewer=viewer_of(request), nomination_id=nomination_id, purpose=purpose_of(request)
        )
        return Response(NominalDetailOutputSerializer(detail).data)


# People --------------------------------------------------------------------------------------------------------------


class PersonListApi(ApiView):
    """``GET /api/v1/people/``: people within the caller's reach, newest first."""

    pagination_class = ApiPagination

    @extend_schema(
        operation_id="people_list",
        summary="List people",
        tags=["people"],
        parameters=[PURPOSE_PARAMETER],
        responses={200: PersonSummaryOutputSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        """People within your reach, newest first, with categories and current score.

        Needs a role that reads personal data (else 403). Logs
        ``people.listed`` naming every person returned.
        """
        paginator = ApiPagination()
        offset, limit = paginator.window(request)
        rows, total = selectors.people_window_for(
            viewer=viewer_of(request), purpose=purpose_of(request), offset=offset, limit=limit
        )
        return paginator.respond(PersonSummaryOutputSerializer(rows, many=True).data, total)


class PersonCreateApi(ApiView):
    """``POST /api/v1/people/``: record a data subject in a BCU (s.62 collection)."""

    @extend_schema(
        operation_id="people_create",
        summary="Record a person",
        tags=["people"],
        parameters=[PURPOSE_PARAMETER],
        request=PersonCreateInputSerializer,
        responses={201: PersonDetailOutputSerializer, **_errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        """Record a data subject in a BCU (s.62 collection).

        Needs a purpose (``purpose`` in the body, or the ``X-Custos-Purpose``
        header) and the right to record people in that BCU (else 403).
        Logs ``person.created``.
        """
        viewer = viewer_of(request)
        given = PersonCreateInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        purpose = purpose_of(request, data.get("purpose", ""))
        person = services.person_create(
            actor=viewer,
            purpose=purpose,
            bcu=data["bcu"],
            full_name=data["full_name"],
            date_of_birth=data["date_of_birth"],
            aliases=data["aliases"],
            addresses=data["addresses"],
            borough=data["borough"],
            observed_ethnicity=data["observed_ethnicity"],
            self_defined_ethnicity=data["self_defined_ethnicity"],
            gender=data["gender"],
        )
        detail = selectors.PersonDetail(
            person=person,
            categories=[],
            intelligence=[],
            score=None,
            nominations=[],
            decisions=[],
            show_protected=policies.may_view_protected_characteristics(viewer),
        )
        location = reverse("api:person-detail", kwargs={"person_id": person.pk})
        return Response(
            PersonDetailOutputSerializer(detail).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class PeopleApi(PersonListApi, PersonCreateApi):
    """``/api/v1/people/``: ``GET`` is ``PersonListApi``, ``POST`` is ``PersonCreateApi``."""


class PersonDetailApi(ApiView):
    """``GET /api/v1/people/<id>/``: one person's record, categories and current score."""

    @extend_schema(
        operation_id="people_retrieve",
        summary="Read one person",
        tags=["people"],
        parameters=[PURPOSE_PARAMETER],
        responses={200: PersonDetailOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, person_id: uuid.UUID) -> Response:
        """One person's record, the categories they are recorded in, their current score and the actions taken.

        404 unless the person is within your reach. Protected characteristics
        are ``null`` unless your role may see them. Logs ``person.consulted``.
        """
        viewer = viewer_of(request)
        detail = selectors.person_detail_for(viewer=viewer, person_id=person_id, purpose=purpose_of(request))
        taken = actions.actions_for(viewer=viewer, person=detail.person)
        return Response(PersonDetailOutputSerializer(detail, context={"actions": taken}).data)


# Intelligence --------------------------------------------------------------------------------------------------------


class IntelligenceListApi(ApiView):
    """``GET /api/v1/intelligence/``: items within the caller's reach, optionally ``?person=<id>``."""

    pagination_class = ApiPagination

    @extend_schema(
        operation_id="intelligence_list",
        summary="List intelligence items",
        tags=["intelligence"],
        parameters=[IntelligenceFilterInputSerializer, PURPOSE_PARAMETER],
        responses={200: IntelligenceOutputSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        """Intelligence items within your reach, newest first; ``?person=<id>`` for one person's.

        Needs a role that reads personal data (else 403). A person out of reach
        yields no items. Logs ``intelligence.consulted`` naming the people and
        items returned.
        """
        filters_in = IntelligenceFilterInputSerializer(data=request.query_params)
        filters_in.is_valid(raise_exception=True)
        paginator = ApiPagination()
        offset, limit = paginator.window(request)
        items, total = selectors.intelligence_window_for(
            viewer=viewer_of(request),
            purpose=purpose_of(request),
            offset=offset,
            limit=limit,
            person_id=filters_in.validated_data.get("person"),
        )
        return paginator.respond(IntelligenceOutputSerializer(items, many=True).data, total)


class IntelligenceAddApi(ApiView):
    """``POST /api/v1/intelligence/``: add a graded item about a person, who is then re-scored."""

    @extend_schema(
        operation_id="intelligence_create",
        summary="Add an intelligence item",
        tags=["intelligence"],
        parameters=[PURPOSE_PARAMETER],
        request=IntelligenceCreateInputSerializer,
        responses={201: IntelligenceOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        """Add a graded intelligence item about a person, who is then re-scored.

        404 unless the person is within your reach; 403 without the right to
        add intelligence in their BCU. A social-media item starts unverified
        and counts towards nothing until verified. Logs ``intelligence.added``
        and ``score.computed``.
        """
        viewer = viewer_of(request)
        given = IntelligenceCreateInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        purpose = purpose_of(request, data.get("purpose", ""))
        # Not logged as a consultation: nothing about the person is returned,
        # and the service's event names them.
        person = selectors.person_get_for(viewer=viewer, person_id=data["person"], purpose=purpose, log=False)
        gang = None
        if data["gang"] is not None:
            gang = Gang.objects.filter(pk=data["gang"], bcu_id=person.bcu_id).first()
            if gang is None:
                raise exceptions.ValidationError({"gang": ["No such gang in this person's BCU."]})
        item = services.intelligence_add(
            actor=viewer,
            person=person,
            purpose=purpose,
            category=data["category"],
            occurred_on=data["occurred_on"],
            source_type=data["source_type"],
            source_reference=data["source_reference"],
            source_grade=data["source_grade"],
            intel_grade=data["intel_grade"],
            handling=data["handling"],
            handling_conditions=data["handling_conditions"],
            nature=data["nature"],
            criterion=data["criterion"],
            summary=data["summary"],
            gang=gang,
            offence_code=data["offence_code"],
        )
        location = reverse("api:intelligence-detail", kwargs={"item_id": item.pk})
        return Response(
            IntelligenceOutputSerializer(item).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class IntelligenceCollectionApi(IntelligenceListApi, IntelligenceAddApi):
    """``/api/v1/intelligence/``: ``GET`` is ``IntelligenceListApi``, ``POST`` is ``IntelligenceAddApi``."""


class IntelligenceDetailApi(ApiView):
    """``GET /api/v1/intelligence/<id>/``: one item with its grade, nature and handling."""

    @extend_schema(
        operation_id="intelligence_retrieve",
        summary="Read one intelligence item",
        tags=["intelligence"],
        parameters=[PURPOSE_PARAMETER],
        responses={200: IntelligenceOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, item_id: uuid.UUID) -> Response:
        """One intelligence item, with its grade, nature (fact or assessment) and handling.

        404 unless the item's person is within your reach. Logs
        ``intelligence.consulted`` naming the person.
        """
        item = selectors.intelligence_get_for(viewer=viewer_of(request), item_id=item_id, purpose=purpose_of(request))
        return Response(IntelligenceOutputSerializer(item).data)
