"""Signing in with the force's identity provider (OpenID Connect), when ``CUSTOS_OIDC_ENABLED=1``.

The identity provider says who someone is; Custos alone says what they may
do. The provider's claim (``CUSTOS_OIDC_USERNAME_CLAIM``) is matched to an
existing account by username or e-mail (``CUSTOS_OIDC_MATCH_FIELD``); an
unknown person is refused, never created, so roles and BCU scope always come
from Custos. The provider's ``amr``/``acr`` claims stand in for the TOTP code
only when ``CUSTOS_OIDC_TRUST_MFA=1`` (ADR 9).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from custos.accounts.models import User
from custos.accounts.policies import may_use_service

#: Attributes the backend leaves on the request for the callback view.
REFUSAL_ATTRIBUTE = "custos_oidc_refusal"
IDP_MFA_REQUEST_ATTRIBUTE = "custos_oidc_mfa"


class OidcRefused(Exception):
    """The identity provider vouched for someone Custos will not sign in; the message says why."""


def oidc_user_for_claims(claims: dict[str, Any]) -> User:
    """The one active Custos account these claims name, or ``OidcRefused`` saying why not.

    Matching is exact on the username (or case-insensitive on the e-mail
    address); nothing is created or changed.
    """
    claim = settings.CUSTOS_OIDC_USERNAME_CLAIM
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        raise OidcRefused(
            f"Your identity provider did not say who you are (no “{claim}” claim). Ask your system administrator."
        )
    if settings.CUSTOS_OIDC_MATCH_FIELD == "email":
        users = list(User.objects.filter(email__iexact=value.strip())[:2])
    else:
        users = list(User.objects.filter(username=value.strip())[:2])
    if not users:
        raise OidcRefused(
            "You signed in with your force account, but it is not linked to a Custos account. "
            "Ask your BCU SPOC to arrange access."
        )
    if len(users) > 1:
        raise OidcRefused("More than one Custos account matches your force account. Ask your system administrator.")
    user = users[0]
    if not may_use_service(user):
        raise OidcRefused("Your Custos account cannot be used at the moment. Ask your BCU SPOC.")
    return user


def idp_vouches_for_mfa(claims: dict[str, Any]) -> bool:
    """Whether the ID token says the person used more than one factor (``amr`` or ``acr``).

    Only consulted when ``CUSTOS_OIDC_TRUST_MFA`` is on.
    """
    amr = claims.get("amr")
    methods = {amr} if isinstance(amr, str) else set(amr) if isinstance(amr, list) else set()
    if methods & set(settings.CUSTOS_OIDC_MFA_AMR):
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in settings.CUSTOS_OIDC_MFA_ACR


class CustosOidcBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """mozilla-django-oidc's backend, matching claims to existing accounts only."""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get(settings.CUSTOS_OIDC_USERNAME_CLAIM))

    def create_user(self, claims: dict[str, Any]) -> User:
        raise SuspiciousOperation("Custos never creates accounts at sign-in")

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User | None:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        return self.user_for_tokens(payload=payload, userinfo=userinfo)

    def user_for_tokens(self, *, payload: dict[str, Any], userinfo: dict[str, Any]) -> User | None:
        """The account for a verified ID token (``payload``) and userinfo, or None (the reason on the request)."""
        request = getattr(self, "request", None)
        issuer = settings.CUSTOS_OIDC_ISSUER
        try:
            if issuer and payload.get("iss") != issuer:
                raise OidcRefused("The sign-in came from an identity provider Custos does not trust.")
            user = oidc_user_for_claims({**payload, **userinfo})
        except OidcRefused as refusal:
            if request is not None:
                setattr(request, REFUSAL_ATTRIBUTE, str(refusal))
            return None
        if request is not None:
            setattr(request, IDP_MFA_REQUEST_ATTRIBUTE, idp_vouches_for_mfa(payload))
        return user
