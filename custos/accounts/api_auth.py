"""API authentication by per-user token (``Authorization: Bearer cst_…``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from custos.accounts.models import ApiToken, User
from custos.accounts.policies import may_use_service
from custos.crypto.tokens import TOKEN_PREFIX, token_digest


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("Bearer", "Token")

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] not in self.keywords:
            return None
        if len(header) != 2 or not header[1].startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Malformed token header.")
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(header[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None or not may_use_service(token.user):
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="custos"'
