"""The sharing JSON API, ``/api/v1/sharing/``: agreements, disclosures, packages.

The same rules as the register's API (``custos.register.api``), whose
plumbing this module reuses: a per-user token (``Authorization: Bearer
cst_…``, else 401); views parse input, call a service of
``custos.sharing.services`` and present the result; every permission is a
function of ``custos.sharing.policies``, checked inside the service.

- Agreements hold no personal data: any account in service reads them;
  drafting, approving and revoking are for the roles the policies name
  (else 403).
- Disclosures name people: the list shows counts and references of
  disclosures only (no names, no purpose) and records ``disclosure.listed``;
  one disclosure, with the people's
  references, bands and reasons of necessity, needs a declared purpose
  (``X-Custos-Purpose``) and records ``disclosure.consulted``; reads go
  through ``custos.sharing.selectors``, as the web pages' do. A disclosure
  outside the caller's reach answers 404, as one that does not exist.
- The package is the age ciphertext only the recipient's key opens.
- ``POST /api/v1/sharing/destruction/`` needs no token: the recipient's
  confirmation carries the code only the package holds.

Errors: field errors → 400 ``{"field": ["message"]}``; a rule of sharing
broken (agreement expired, revoked, already decided) → 400 ``{"detail":
message}``; not allowed → 403; out of reach or unknown → 404. A refusal
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from custos.register.api import (
    _ERRORS,
    PURPOSE_PARAMETER,
    ApiPagination,
    ApiView,
    api_exception_handler,
    declared_purpose,
    purpose_of,
    viewer_of,
)
from custos.sharing import policies, selectors, services
from custos.sharing.models import Agreement, Disclosure

__all__ = ["api_exception_handler"]

TAGS = ["sharing"]


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: _ERRORS[code] for code in codes}


# Permissions ---------------------------------------------------------------------------------------------------------


class UsesService(BasePermission):
    """An account in service (agreements hold no personal data: every role may read them)."""

    message = "Your account may not use Custos."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return policies.may_view_agreements(viewer_of(request))


class AgreementApiView(ApiView):
    """Agreements: a token and an account in service; personal-data access not needed."""

    permission_classes = [IsAuthenticated, UsesService]


# Serializers ---------------------------------------------------------------------------------------------------------


class SignatorySerializer(serializers.Serializer[dict[str, str]]):
    name = serializers.CharField(allow_blank=True, max_length=200)
    role = serializers.CharField(allow_blank=True, max_length=200)
    organisation = serializers.CharField(allow_blank=True, max_length=200)


class AgreementInputSerializer(serializers.Serializer[dict[str, Any]]):
    """A draft agreement. Every field is checked by the service, which names every problem at once."""

    title = serializers.CharField(required=False, allow_blank=True, default="")
    recipient_name = serializers.CharField(required=False, allow_blank=True, default="")
    recipient_kind = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="`statutory` or `non_statutory`."
    )
    parties = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="")
    purpose = serializers.CharField(required=False, allow_blank=True, default="")
    fields = serializers.ListField(  # type: ignore[assignment]  # an agreement's part, not Serializer.fields
        child=serializers.CharField(), required=False, default=list, help_text="Field codes of the sharing guidance."
    )
    categories = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    bands = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="`red`, `amber`, `green`, `none`."
    )
    onward_sharing = serializers.CharField(required=False, allow_blank=True, default="")
    retention_days = serializers.IntegerField(required=False, allow_null=True, default=None)
    retention_rules = serializers.CharField(required=False, allow_blank=True, default="")
    security = serializers.CharField(required=False, allow_blank=True, default="")
    recipient_key = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="The recipient's age public key (`age1…`)."
    )
    review_date = serializers.DateField(required=False, allow_null=True, default=None)
    signatories = SignatorySerializer(many=True, required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(type(self)._declared_fields))
        if unknown:
            raise serializers.ValidationError(
                {"non_field_errors": ["An agreement has no such part: " + ", ".join(unknown) + "."]}
            )
        return attrs


class AgreementApproveInputSerializer(serializers.Serializer[dict[str, Any]]):
    exceptions = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text="Guidance rule code → reasons for departing from it (a recipient with no statutory function).",
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonsInputSerializer(serializers.Serializer[dict[str, Any]]):
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


class AskedInputSerializer(serializers.Serializer[dict[str, Any]]):
    person = serializers.UUIDField()
    necessity = serializers.CharField(allow_blank=True, help_text="Why sharing this person's data is necessary.")


class DisclosureRequestInputSerializer(serializers.Serializer[dict[str, Any]]):
    agreement = serializers.UUIDField(help_text="The agreement's id.")
    purpose = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="`REFERENCE: reason`, e.g. `OP-1234: referral`."
    )
    people = AskedInputSerializer(many=True, allow_empty=True)


class DestructionInputSerializer(serializers.Serializer[dict[str, Any]]):
    reference = serializers.CharField(help_text="The disclosure's reference, `D-…`, from README.txt.")
    code = serializers.CharField(help_text="The destruction code from README.txt in the package.")
    confirmed_by = serializers.CharField(allow_blank=True, help_text="Your name and role.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AgreementSummaryOutputSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    code = serializers.CharField()
    title = serializers.CharField()
    recipient_name = serializers.CharField()
    recipient_kind = serializers.CharField()
    status = serializers.SerializerMethodField()
    in_force = serializers.SerializerMethodField()
    review_date = serializers.DateField()

    def get_status(self, agreement: Agreement) -> str:
        """The status as it stands today (an approved agreement past its review date is expired)."""
        return agreement.effective_status(_today())

    def get_in_force(self, agreement: Agreement) -> bool:
        return agreement.in_force(_today())


class AgreementOutputSerializer(AgreementSummaryOutputSerializer):
    parties = serializers.ListField(child=serializers.CharField())
    legal_basis = serializers.CharField()
    purpose = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    categories = serializers.ListField(child=serializers.CharField())
    bands = serializers.ListField(child=serializers.CharField())
    onward_sharing = serializers.CharField()
    retention_days = serializers.IntegerField()
    retention_rules = serializers.CharField()
    security = serializers.CharField()
    recipient_key = serializers.CharField()
    signatories = SignatorySerializer(many=True)
    exceptions = serializers.DictField(child=serializers.CharField())
    approval_notes = serializers.CharField()
    guidance_version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reasons = serializers.CharField()
    supersedes = serializers.SerializerMethodField()

    def get_supersedes(self, agreement: Agreement) -> str:
        """The code of the agreement this one renews, or ``""``."""
        return agreement.supersedes.code if agreement.supersedes_id and agreement.supersedes else ""


class DisclosureSummaryOutputSerializer(serializers.Serializer[Any]):
    """A disclosure without personal data: references and counts."""

    id = serializers.UUIDField()
    reference = serializers.CharField(source="short_ref")
    agreement = serializers.CharField(source="agreement.code")
    agreement_id = serializers.UUIDField()
    status = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    people_count = serializers.IntegerField()
    band_counts = serializers.DictField(child=serializers.IntegerField())
    category_counts = serializers.DictField(child=serializers.IntegerField())
    expires_on = serializers.DateField(allow_null=True)
    destroyed = serializers.BooleanField(source="is_destroyed")


class CheckOutputSerializer(serializers.Serializer[dict[str, Any]]):
    rule = serializers.CharField()
    passed = serializers.BooleanField()
    message = serializers.CharField()


class DisclosureOutputSerializer(DisclosureSummaryOutputSerializer):
    purpose = serializers.CharField()
    checks = CheckOutputSerializer(many=True)
    fields = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    decision_reasons = serializers.CharField()
    package_sha256 = serializers.CharField()
    package_bytes = serializers.IntegerField()


class SubjectOutputSerializer(serializers.Serializer[Any]):
    """One person of a disclosure: reference, band, categories and why sharing them is necessary (no name)."""

    reference = serializers.CharField(source="short_ref")
    band = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    necessity = serializers.CharField()


class DisclosureDetailOutputSerializer(DisclosureOutputSerializer):
    requested_by = serializers.CharField(source="requested_by.username")
    decided_by = serializers.SerializerMethodField()
    people = serializers.SerializerMethodField()
    people_erased = serializers.SerializerMethodField()

    def get_decided_by(self, disclosure: Disclosure) -> str:
        """The username of who decided, or ``""``."""
        return disclosure.decided_by.username if disclosure.decided_by else ""

    @extend_schema_field(SubjectOutputSerializer(many=True))
    def get_people(self, disclosure: Disclosure) -> list[dict[str, Any]]:
        return list(SubjectOutputSerializer(self.context["subjects"], many=True).data)

    def get_people_erased(self, disclosure: Disclosure) -> int:
        """How many of the people have since been erased (no longer listed)."""
        return int(self.context["erased"])


class DestructionOutputSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(source="short_ref")
    destroyed_at = serializers.DateTimeField()


# Helpers -------------------------------------------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _agreement(request: Request, agreement_id: Any) -> Agreement:
    """An agreement by id (agreements hold no personal data), or 404."""
    return selectors.agreement_get_for(viewer=viewer_of(request), agreement_id=agreement_id)


def _disclosure(request: Request, disclosure_id: uuid.UUID) -> Disclosure:
    return services.disclosure_get_for(viewer=viewer_of(request), disclosure_id=disclosure_id)


def _agreement_input(data: dict[str, Any]) -> services.AgreementInput:
    return services.AgreementInput(**{**data, "signatories": [dict(s) for s in data["signatories"]]})


def _base_url(request: Request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _disclosure_location(disclosure: Disclosure) -> str:
    return reverse("sharing_api:disclosure-detail", kwargs={"disclosure_id": disclosure.pk})


class DisclosureFilterInputSerializer(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=Disclosure.Status.choices, required=False, default="")


# Agreements ----------------------------------------------------------------------------------------------------------


class AgreementListApi(AgreementApiView):
    """``GET /api/v1/sharing/agreements/``: every agreement (no personal data)."""

    pagination_class = ApiPagination

    @extend_schema(
        operation_id="sharing_agreements_list",
        summary="List information sharing agreements",
        tags=TAGS,
        responses={200: AgreementSummaryOutputSerializer(many=True), **_errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        """Every agreement, by code, with its status as it stands today. Any account in service; logs nothing."""
        paginator = ApiPagination()
        offset, limit = paginator.window(request)
        agreements = selectors.agreements_for(viewer=viewer_of(request))
        rows = agreements[offset : offset + limit]
        return paginator.respond(AgreementSummaryOutputSerializer(rows, many=True).data, len(agreements))


class AgreementDraftApi(AgreementApiView):
    """``POST /api/v1/sharing/agreements/``: draft an agreement (IRU or central governance)."""

    @extend_schema(
        operation_id="sharing_agreements_create",
        summary="Draft an information sharing agreement",
        tags=TAGS,
        request=AgreementInputSerializer,
        responses={201: AgreementOutputSerializer, **_errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        """Record a draft agreement; every problem with it is named at once (400, by field).

        Only the Information Rights Unit or central governance (else 403).
        Fields must come from the sharing guidance (``custos isa guidance``);
        the recipient's key must be an age public key. Logs ``isa.drafted``.
        """
        given = AgreementInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        agreement = services.agreement_draft(actor=viewer_of(request), data=_agreement_input(given.validated_data))
        location = reverse("sharing_api:agreement-detail", kwargs={"agreement_id": agreement.pk})
        return Response(
            AgreementOutputSerializer(agreement).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class AgreementsApi(AgreementListApi, AgreementDraftApi):
    """``/api/v1/sharing/agreements/``: ``GET`` lists, ``POST`` drafts."""


class AgreementDetailApi(AgreementApiView):
    """``GET /api/v1/sharing/agreements/<id>/``: one agreement in full."""

    @extend_schema(
        operation_id="sharing_agreements_retrieve",
        summary="Read one information sharing agreement",
        tags=TAGS,
        responses={200: AgreementOutputSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, agreement_id: uuid.UUID) -> Response:
        """One agreement: parties, legal basis, fields, categories, bands, terms, key, exceptions. Logs nothing."""
        return Response(AgreementOutputSerializer(_agreement(request, agreement_id)).data)


class AgreementApproveApi(AgreementApiView):
    """``POST /api/v1/sharing/agreements/<id>/approve/``: the IRU approves a draft."""

    @extend_schema(
        operation_id="sharing_agreements_approve",
        summary="Approve a draft agreement (IRU)",
        tags=TAGS,
        request=AgreementApproveInputSerializer,
        responses={200: AgreementOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, agreement_id: uuid.UUID) -> Response:
        """Approve a draft within the guidance, or with an exception (and reasons) for each rule it departs from.

        The Information Rights Unit only, never whoever drafted it (else
        403). Logs ``isa.approved``.
        """
        agreement = _agreement(request, agreement_id)
        given = AgreementApproveInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        approved = services.agreement_approve(
            actor=viewer_of(request),
            agreement=agreement,
            exceptions=given.validated_data["exceptions"],
            notes=given.validated_data["notes"],
        )
        return Response(AgreementOutputSerializer(approved).data)


class AgreementRevokeApi(AgreementApiView):
    """``POST /api/v1/sharing/agreements/<id>/revoke/``: the IRU ends an agreement at once."""

    @extend_schema(
        operation_id="sharing_agreements_revoke",
        summary="Revoke an agreement (IRU)",
        tags=TAGS,
        request=ReasonsInputSerializer,
        responses={200: AgreementOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, agreement_id: uuid.UUID) -> Response:
        """End an agreement now, with reasons; its pending disclosures are refused. Logs ``isa.revoked``."""
        agreement = _agreement(request, agreement_id)
        given = ReasonsInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        revoked = services.agreement_revoke(
            actor=viewer_of(request), agreement=agreement, reasons=given.validated_data["reasons"]
        )
        return Response(AgreementOutputSerializer(revoked).data)


# Disclosures ---------------------------------------------------------------------------------------------------------


class DisclosureListApi(ApiView):
    """``GET /api/v1/sharing/disclosures/``: the disclosures the caller may see, without names."""

    pagination_class = ApiPagination

    @extend_schema(
        operation_id="sharing_disclosures_list",
        summary="List disclosures",
        tags=TAGS,
        parameters=[DisclosureFilterInputSerializer],
        responses={200: DisclosureSummaryOutputSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        """Disclosures you asked for or decided, or (IRU, central governance, DPO) every one; a BCU SPOC also
        those about people of their BCU only. References and counts only: no names, no purpose. Logs
        ``disclosure.listed`` (the disclosures shown, with the purpose if you declared one).
        """
        filters_in = DisclosureFilterInputSerializer(data=request.query_params)
        filters_in.is_valid(raise_exception=True)
        paginator = ApiPagination()
        offset, limit = paginator.window(request)
        listed = selectors.disclosures_for(viewer=viewer_of(request), purpose=declared_purpose(request))
        wanted = filters_in.validated_data["status"]
        rows = [d for d in listed if not wanted or d.status == wanted]
        return paginator.respond(
            DisclosureSummaryOutputSerializer(rows[offset : offset + limit], many=True).data, len(rows)
        )


class DisclosureRequestApi(ApiView):
    """``POST /api/v1/sharing/disclosures/``: ask to share named people under an agreement."""

    @extend_schema(
        operation_id="sharing_disclosures_create",
        summary="Ask for a disclosure",
        tags=TAGS,
        parameters=[PURPOSE_PARAMETER],
        request=DisclosureRequestInputSerializer,
        responses={201: DisclosureOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        """Ask to share people under an approved agreement, with a reason of necessity for each.

        Every check runs first: the agreement in force, every person within
        your reach (else 403), covered by the agreement's categories and
        bands, not restricted, with a reason (400 naming each person by
        reference). Logs ``disclosure.requested``; the approvers are notified.
        """
        given = DisclosureRequestInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        purpose = purpose_of(request, data["purpose"])
        agreement = _agreement(request, data["agreement"])
        disclosure = services.disclosure_request(
            actor=viewer_of(request),
            agreement=agreement,
            purpose=purpose,
            people=[services.Asked(p["person"], p["necessity"]) for p in data["people"]],
        )
        return Response(
            DisclosureOutputSerializer(disclosure).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": _disclosure_location(disclosure)},
        )


class DisclosuresApi(DisclosureListApi, DisclosureRequestApi):
    """``/api/v1/sharing/disclosures/``: ``GET`` lists, ``POST`` asks."""


class DisclosureDetailApi(ApiView):
    """``GET /api/v1/sharing/disclosures/<id>/``: one disclosure with its people's references and reasons."""

    @extend_schema(
        operation_id="sharing_disclosures_retrieve",
        summary="Read one disclosure",
        tags=TAGS,
        parameters=[PURPOSE_PARAMETER],
        responses={200: DisclosureDetailOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, disclosure_id: uuid.UUID) -> Response:
        """One disclosure: checks, decision, package, and each person's reference, band and reason of necessity.

        Who asked, who decided, the IRU, central governance, the DPO and the
        SPOC of every person's BCU; 404 for anyone else. Logs
        ``disclosure.consulted`` naming the people, with your purpose.
        """
        detail = selectors.disclosure_detail_for(
            viewer=viewer_of(request), disclosure_id=disclosure_id, purpose=purpose_of(request)
        )
        context = {"subjects": detail.subjects, "erased": detail.erased}
        return Response(DisclosureDetailOutputSerializer(detail.disclosure, context=context).data)


class DisclosureApproveApi(ApiView):
    """``POST /api/v1/sharing/disclosures/<id>/approve/``: approve and make the encrypted package."""

    @extend_schema(
        operation_id="sharing_disclosures_approve",
        summary="Approve a disclosure",
        tags=TAGS,
        request=ReasonsInputSerializer,
        responses={200: DisclosureOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, disclosure_id: uuid.UUID) -> Response:
        """Approve a pending disclosure; the checks run again, then the package is made and encrypted.

        The IRU, or for a recipient exercising statutory functions the SPOC
        of every person's BCU; never who asked (403). Logs
        ``disclosure.made``.
        """
        disclosure = _disclosure(request, disclosure_id)
        given = ReasonsInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        done = services.disclosure_approve(
            actor=viewer_of(request),
            disclosure=disclosure,
            reasons=given.validated_data["reasons"],
            base_url=_base_url(request),
        )
        return Response(DisclosureOutputSerializer(done).data)


class DisclosureRefuseApi(ApiView):
    """``POST /api/v1/sharing/disclosures/<id>/refuse/``: refuse a pending disclosure, with reasons."""

    @extend_schema(
        operation_id="sharing_disclosures_refuse",
        summary="Refuse a disclosure",
        tags=TAGS,
        request=ReasonsInputSerializer,
        responses={200: DisclosureOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, disclosure_id: uuid.UUID) -> Response:
        """Refuse a pending disclosure, with reasons; the same people as may approve it. Logs ``disclosure.refused``."""
        disclosure = _disclosure(request, disclosure_id)
        given = ReasonsInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        done = services.disclosure_refuse(
            actor=viewer_of(request), disclosure=disclosure, reasons=given.validated_data["reasons"]
        )
        return Response(DisclosureOutputSerializer(done).data)


class DisclosureWithdrawApi(ApiView):
    """``POST /api/v1/sharing/disclosures/<id>/withdraw/``: the requester withdraws a pending request."""

    @extend_schema(
        operation_id="sharing_disclosures_withdraw",
        summary="Withdraw a disclosure request",
        tags=TAGS,
        request=None,
        responses={200: DisclosureOutputSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, disclosure_id: uuid.UUID) -> Response:
        """Withdraw your own pending request (else 403). Logs ``disclosure.withdrawn``."""
        disclosure = _disclosure(request, disclosure_id)
        done = services.disclosure_withdraw(actor=viewer_of(request), disclosure=disclosure)
        return Response(DisclosureOutputSerializer(done).data)


class PackageDownloadApi(ApiView):
    """``GET /api/v1/sharing/disclosures/<id>/package``: the age-encrypted package, to send to the recipient."""

    @extend_schema(
        operation_id="sharing_disclosures_package",
        summary="Download a disclosure's encrypted package",
        tags=TAGS,
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The package, age-encrypted to the recipient's key."
            ),
            **_errors(400, 401, 403, 404),
        },
    )
    def get(self, request: Request, disclosure_id: uuid.UUID) -> HttpResponse:
        """The package in the age format; only the recipient's secret key opens it.

        Who asked, who approved, or the IRU (else 403). Refused once the
        package has expired or been confirmed destroyed. Logs
        ``package.downloaded``.
        """
        disclosure = _disclosure(request, disclosure_id)
        content = services.package_download(actor=viewer_of(request), disclosure=disclosure)
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{disclosure.short_ref}.age"'
        response["Cache-Control"] = "no-store"
        return response


class DestructionConfirmApi(ApiView):
    """``POST /api/v1/sharing/destruction/``: the recipient confirms a package destroyed (no token)."""

    authentication_classes: list[type[Any]] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="sharing_destruction_confirm",
        summary="Confirm a package destroyed (recipient; no token)",
        tags=TAGS,
        auth=[],
        request=DestructionInputSerializer,
        responses={200: DestructionOutputSerializer, **_errors(400)},
    )
    def post(self, request: Request) -> Response:
        """The recipient confirms destruction with the reference and code from README.txt in the package.

        No token: the code, only inside the encrypted package, is the proof.
        A wrong reference or code is refused with one message that says
        neither which (400), and is logged. Logs ``package.destroyed``.
        """
        given = DestructionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        disclosure = services.package_destruction_confirm(
            reference=data["reference"], code=data["code"], confirmed_by=data["confirmed_by"], note=data["note"]
        )
        return Response(DestructionOutputSerializer(disclosure).data)
