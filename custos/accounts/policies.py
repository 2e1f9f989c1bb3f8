"""Who may manage accounts and tokens. One rule per function; deny by default."""

from __future__ import annotations

from custos.accounts.models import ApiToken, Role, User


def may_use_service(user: User) -> bool:
    """An active account with a role; scoped roles must name their BCU."""
    if not user.is_active:
        return False
    if not user.role:
        return False
    if user.is_bcu_scoped and not user.bcu_code:
        return False
    return True


def may_issue_own_token(user: User) -> bool:
    return may_use_service(user)


def may_revoke_token(user: User, token: ApiToken) -> bool:
    if token.user_id == user.pk:
        return True
    return user.role == Role.SYSADMIN


def may_manage_users(user: User) -> bool:
    return user.is_active and user.role == Role.SYSADMIN
