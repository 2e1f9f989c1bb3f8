"""Who may manage accounts and tokens, and who may see personal data at all.

One rule per function, one condition per line; deny by default.
``may_see_personal_data`` is the single gate every interface passes through
(``custos.register.policies.capabilities_of`` starts with it): an account
that may use the service but lacks current training may sign in, and sees
no personal data.
"""

from __future__ import annotations

from django.db.models import QuerySet

from custos.accounts.models import ApiToken, Role, Suspension, User
from custos.accounts.selectors import training_gaps

#: Roles that look after other people's access (training records, recertification).
ACCESS_GOVERNORS = frozenset({Role.BCU_SPOC, Role.CENTRAL_GOVERNANCE})


def may_use_service(user: User) -> bool:
    """An active account with a role; scoped roles must name their BCU."""
    if not user.is_active:
        return False
    if not user.role:
        return False
    if user.is_bcu_scoped and not user.bcu_code:
        return False
    return True


def may_see_personal_data(user: User) -> bool:
    """The account may be used and both courses are current (Annex 1 terms 8 and 9).

    Necessary, not sufficient: the role must also read personal data
    (``custos.register.policies``).
    """
    if not may_use_service(user):
        return False
    if training_gaps(user):
        return False
    return True


def may_declare_purpose(user: User) -> bool:
    return may_see_personal_data(user)


def may_issue_own_token(user: User) -> bool:
    return may_use_service(user)


def may_revoke_token(user: User, token: ApiToken) -> bool:
    if token.user_id == user.pk:
        return True
    return user.role == Role.SYSADMIN


def may_manage_users(user: User) -> bool:
    return user.is_active and user.role == Role.SYSADMIN


def may_view_training(user: User) -> bool:
    """SPOCs (their BCU), central governance and system administrators see training records."""
    if not may_use_service(user):
        return False
    return user.role in {Role.BCU_SPOC, Role.CENTRAL_GOVERNANCE, Role.SYSADMIN}


def training_users_for(user: User) -> QuerySet[User]:
    """The accounts whose training this user sees: a SPOC's BCU, or everyone."""
    if not may_view_training(user):
        return User.objects.none()
    if user.role == Role.BCU_SPOC:
        return User.objects.filter(bcu_code=user.bcu_code, role__in=[Role.OFFICER, Role.ANALYST, Role.BCU_SPOC])
    return User.objects.all()


def may_record_training(actor: User, user: User) -> bool:
    """Training is recorded by someone else: the user's SPOC, central governance or a system administrator."""
    if not may_view_training(actor):
        return False
    if actor.pk == user.pk:
        return False
    return training_users_for(actor).filter(pk=user.pk).exists()


def may_view_recertification(user: User) -> bool:
    """SPOCs attest for their BCU; central governance for London-wide accounts (and any BCU)."""
    if not may_use_service(user):
        return False
    return user.role in ACCESS_GOVERNORS


def attestable_users_for(user: User) -> QuerySet[User]:
    """The accounts this user attests: a SPOC's BCU, or for central governance everyone; never themselves."""
    if not may_view_recertification(user):
        return User.objects.none()
    users = User.objects.exclude(pk=user.pk)
    if user.role == Role.BCU_SPOC:
        return users.filter(bcu_code=user.bcu_code, role__in=[Role.OFFICER, Role.ANALYST, Role.BCU_SPOC])
    return users


def may_attest(actor: User, user: User) -> bool:
    if not may_view_recertification(actor):
        return False
    return attestable_users_for(actor).filter(pk=user.pk).exists()


def may_suspend(actor: User, user: User) -> bool:
    """A system administrator suspends any account but their own."""
    if not may_manage_users(actor):
        return False
    return actor.pk != user.pk


def may_reinstate(actor: User, user: User) -> bool:
    """A system administrator reinstates anyone; a SPOC their BCU's users, except leavers."""
    if actor.pk == user.pk:
        return False
    if may_manage_users(actor):
        return True
    if not may_view_recertification(actor):
        return False
    if actor.role != Role.BCU_SPOC:
        return False
    if user.suspended_reason == Suspension.LEAVER:
        return False
    return attestable_users_for(actor).filter(pk=user.pk).exists()
