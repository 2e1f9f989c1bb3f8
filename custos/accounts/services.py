"""Account writes: each one authorised, validated, written and audited together."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from custos.accounts.models import BCU_SCOPED_ROLES, ApiToken, Role, User
from custos.accounts.policies import may_issue_own_token, may_revoke_token
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.tokens import token_digest, token_new


@transaction.atomic
def user_create(
    *,
    actor: User | Actor,
    username: str,
    password: str,
    role: str,
    bcu_code: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    check_password: bool = True,
) -> User:
    """Create a staff account with a role and (for scoped roles) a BCU.

    The caller has already checked the BCU exists. Audited as ``user.created``.
    """
    if role not in Role.values:
        raise ValidationError(f"unknown role {role!r}")
    if role in BCU_SCOPED_ROLES and not bcu_code:
        raise ValidationError(f"a {role} must be given a BCU")
    if role not in BCU_SCOPED_ROLES:
        bcu_code = ""
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"user {username!r} already exists")
    user = User(
        username=username, role=role, bcu_code=bcu_code, first_name=first_name, last_name=last_name, email=email
    )
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    event_record(
        actor=actor,
        verb=Verb.USER_CREATED,
        object_type="user",
        object_ref=f"user:{user.pk}",
        detail={"role": role, "bcu": bcu_code},
    )
    return user


@transaction.atomic
def api_token_issue(*, actor: User | Actor, owner: User, label: str) -> tuple[ApiToken, str]:
    """Issue a token for ``owner``; returns the row and the token, shown once.

    Only the owner may issue their own token (from the profile page), or an
    operator at the command line acting as the system. Audited.
    """
    if isinstance(actor, User) and actor.pk != owner.pk:
        raise PermissionDenied("a token can only be issued to yourself")
    if not may_issue_own_token(owner):
        raise PermissionDenied("this account cannot use the API")
    label = label.strip() or "API token"
    token = token_new()
    row = ApiToken.objects.create(user=owner, label=label[:100], prefix=token[:10], digest=token_digest(token))
    event_record(
        actor=actor,
        verb=Verb.API_TOKEN_ISSUED,
        object_type="api_token",
        object_ref=f"api_token:{row.pk}",
        targets=[f"user:{owner.pk}"],
    )
    return row, token


@transaction.atomic
def api_token_revoke(*, actor: User | Actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once; idempotent. Audited."""
    if isinstance(actor, User) and not may_revoke_token(actor, token):
        raise PermissionDenied("you may not revoke this token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            verb=Verb.API_TOKEN_REVOKED,
            object_type="api_token",
            object_ref=f"api_token:{token.pk}",
            targets=[f"user:{token.user_id}"],
        )
    return token
