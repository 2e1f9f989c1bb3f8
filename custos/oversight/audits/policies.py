"""Who may see and run BCU audits. One rule per function, one condition per line; deny by default."""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service

#: Roles that see every BCU's audits.
_LONDON_WIDE = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO, Role.AUDITOR})


def may_view_audits(user: User) -> bool:
    """Central governance, the DPO and auditors see all audits; a BCU SPOC their own BCU's."""
    if not may_use_service(user):
        return False
    return user.role in _LONDON_WIDE or user.role == Role.BCU_SPOC


def may_view_audit_of(user: User, bcu_code: str) -> bool:
    if not may_view_audits(user):
        return False
    if user.role in _LONDON_WIDE:
        return True
    return user.bcu_code == bcu_code


def may_run_audit(user: User) -> bool:
    """Only central governance runs an audit on demand (the monthly one runs as the system)."""
    if not may_use_service(user):
        return False
    return user.role == Role.CENTRAL_GOVERNANCE
