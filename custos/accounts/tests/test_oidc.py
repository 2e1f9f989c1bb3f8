"""Signing in with the force's identity provider: claims are matched to existing accounts, never create one.

No identity provider is involved: the backend is given the claims an ID
token and a userinfo answer would carry.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from custos.accounts.models import User
from custos.accounts.oidc import (
    IDP_MFA_REQUEST_ATTRIBUTE,
    REFUSAL_ATTRIBUTE,
    CustosOidcBackend,
    OidcRefused,
    idp_vouches_for_mfa,
    oidc_user_for_claims,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def oidc(settings: Any) -> Any:
    settings.CUSTOS_OIDC_USERNAME_CLAIM = "preferred_username"
    settings.CUSTOS_OIDC_MATCH_FIELD = "username"
    settings.CUSTOS_OIDC_ISSUER = "https://idp.example.police.uk"
    settings.CUSTOS_OIDC_MFA_AMR = ["mfa"]
    settings.CUSTOS_OIDC_MFA_ACR = ["urn:force:loa:high"]
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp.example.police.uk/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.example.police.uk/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp.example.police.uk/jwks"
    settings.OIDC_RP_CLIENT_ID = "custos"
    settings.OIDC_RP_CLIENT_SECRET = "not-a-real-secret"
    return settings


def _backend() -> tuple[CustosOidcBackend, Any]:
    backend = CustosOidcBackend()
    request = RequestFactory().get("/oidc/callback/")
    backend.request = request
    return backend, request


def test_the_claim_names_an_existing_account(oidc: Any, officer_a: User) -> None:
    assert oidc_user_for_claims({"preferred_username": "officer_a", "email": "x@example.org"}) == officer_a


def test_matching_by_email_ignores_case(oidc: Any, officer_a: User) -> None:
    oidc.CUSTOS_OIDC_MATCH_FIELD = "email"
    oidc.CUSTOS_OIDC_USERNAME_CLAIM = "email"
    officer_a.email = "Officer.A@Example.Police.UK"
    officer_a.save(update_fields=["email"])
    assert oidc_user_for_claims({"email": "officer.a@example.police.uk"}) == officer_a


def test_an_unknown_person_is_refused_and_nobody_is_created(oidc: Any, officer_a: User) -> None:
    before = User.objects.count()
    with pytest.raises(OidcRefused, match="not linked to a Custos account"):
        oidc_user_for_claims({"preferred_username": "someone_new", "email": "new@example.org"})
    assert User.objects.count() == before


def test_a_missing_claim_is_refused(oidc: Any, officer_a: User) -> None:
    with pytest.raises(OidcRefused, match="did not say who you are"):
        oidc_user_for_claims({"email": "officer_a@example.org"})


def test_an_account_that_cannot_use_the_service_is_refused(oidc: Any, officer_a: User) -> None:
    officer_a.is_active = False
    officer_a.save(update_fields=["is_active"])
    with pytest.raises(OidcRefused, match="cannot be used"):
        oidc_user_for_claims({"preferred_username": "officer_a"})


def test_two_accounts_with_one_email_are_refused(oidc: Any, officer_a: User, officer_b: User) -> None:
    oidc.CUSTOS_OIDC_MATCH_FIELD = "email"
    oidc.CUSTOS_OIDC_USERNAME_CLAIM = "email"
    User.objects.filter(pk__in=[officer_a.pk, officer_b.pk]).update(email="shared@example.org")
    with pytest.raises(OidcRefused, match="More than one"):
        oidc_user_for_claims({"email": "shared@example.org"})


def test_the_create_user_path_is_closed(oidc: Any) -> None:
    from django.core.exceptions import SuspiciousOperation

    backend, _ = _backend()
    with pytest.raises(SuspiciousOperation):
        backend.create_user({"preferred_username": "x"})


@pytest.mark.parametrize(
    ("claims", "vouched"),
    [
        ({"amr": ["pwd", "mfa"]}, True),
        ({"amr": "mfa"}, True),
        ({"amr": ["pwd"]}, False),
        ({"acr": "urn:force:loa:high"}, True),
        ({"acr": "urn:force:loa:low"}, False),
        ({}, False),
    ],
)
def test_which_claims_vouch_for_a_second_factor(oidc: Any, claims: dict[str, Any], vouched: bool) -> None:
    assert idp_vouches_for_mfa(claims) is vouched


def test_the_backend_maps_tokens_and_notes_the_idps_mfa(oidc: Any, officer_a: User) -> None:
    backend, request = _backend()
    payload = {"iss": "https://idp.example.police.uk", "sub": "abc", "amr": ["pwd", "mfa"]}
    user = backend.user_for_tokens(payload=payload, userinfo={"preferred_username": "officer_a"})
    assert user == officer_a
    assert getattr(request, IDP_MFA_REQUEST_ATTRIBUTE) is True


def test_the_backend_without_mfa_claims_leaves_totp_required(oidc: Any, officer_a: User) -> None:
    backend, request = _backend()
    payload = {"iss": "https://idp.example.police.uk", "sub": "abc", "amr": ["pwd"]}
    assert backend.user_for_tokens(payload=payload, userinfo={"preferred_username": "officer_a"}) == officer_a
    assert getattr(request, IDP_MFA_REQUEST_ATTRIBUTE) is False


def test_the_backend_refuses_another_issuer(oidc: Any, officer_a: User) -> None:
    backend, request = _backend()
    payload = {"iss": "https://elsewhere.example", "sub": "abc", "amr": ["mfa"]}
    assert backend.user_for_tokens(payload=payload, userinfo={"preferred_username": "officer_a"}) is None
    assert "does not trust" in getattr(request, REFUSAL_ATTRIBUTE)


def test_the_backend_refuses_an_unknown_user_with_a_reason(oidc: Any, officer_a: User) -> None:
    backend, request = _backend()
    payload = {"iss": "https://idp.example.police.uk", "sub": "abc"}
    assert backend.user_for_tokens(payload=payload, userinfo={"preferred_username": "nobody"}) is None
    assert "not linked to a Custos account" in getattr(request, REFUSAL_ATTRIBUTE)


def test_get_or_create_user_goes_through_the_mapping(oidc: Any, officer_a: User, monkeypatch: Any) -> None:
    backend, _ = _backend()
    monkeypatch.setattr(backend, "get_userinfo", lambda *args: {"preferred_username": "officer_a"})
    payload = {"iss": "https://idp.example.police.uk", "sub": "abc"}
    assert backend.get_or_create_user("access", "id", payload) == officer_a
    monkeypatch.setattr(backend, "get_userinfo", lambda *args: {"preferred_username": "stranger"})
    assert backend.get_or_create_user("access", "id", payload) is None
    assert not User.objects.filter(username="stranger").exists()
