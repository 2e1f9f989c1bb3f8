"""Sharing API URLs (``custos.sharing.api``) under ``/api/v1/``, namespace ``sharing_api``."""

from django.urls import path

from custos.sharing import api

app_name = "sharing_api"

urlpatterns = [
    path("sharing/agreements/", api.AgreementsApi.as_view(), name="agreement-list"),
    path("sharing/agreements/<uuid:agreement_id>/", api.AgreementDetailApi.as_view(), name="agreement-detail"),
    path(
        "sharing/agreements/<uuid:agreement_id>/approve/", api.AgreementApproveApi.as_view(), name="agreement-approve"
    ),
    path("sharing/agreements/<uuid:agreement_id>/revoke/", api.AgreementRevokeApi.as_view(), name="agreement-revoke"),
    path("sharing/disclosures/", api.DisclosuresApi.as_view(), name="disclosure-list"),
    path("sharing/disclosures/<uuid:disclosure_id>/", api.DisclosureDetailApi.as_view(), name="disclosure-detail"),
    path(
        "sharing/disclosures/<uuid:disclosure_id>/approve/",
        api.DisclosureApproveApi.as_view(),
        name="disclosure-approve",
    ),
    path(
        "sharing/disclosures/<uuid:disclosure_id>/refuse/", api.DisclosureRefuseApi.as_view(), name="disclosure-refuse"
    ),
    path(
        "sharing/disclosures/<uuid:disclosure_id>/withdraw/",
        api.DisclosureWithdrawApi.as_view(),
        name="disclosure-withdraw",
    ),
    path("sharing/disclosures/<uuid:disclosure_id>/package", api.PackageDownloadApi.as_view(), name="package"),
    path("sharing/destruction/", api.DestructionConfirmApi.as_view(), name="destruction"),
]
