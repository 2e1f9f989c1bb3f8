"""Who may see the equality monitor and publish it. One rule per function, one condition per line.

The monitor reads protected characteristics, so its detail is for those who
oversee the register: central governance, the DPO, the Information Rights
Unit and auditors see every BCU; a BCU SPOC sees their own BCU only.
Officers, analysts and system administrators are refused. Publishing a
quarter (aggregates, suppressed) is for central governance and the DPO.
The public transparency page needs no rule: it shows only a publication.
"""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service

_LONDON_WIDE = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO, Role.IRU, Role.AUDITOR})
_PUBLISHERS = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO})


def may_view_equality(user: User) -> bool:
    if not may_use_service(user):
        return False
    if user.role in _LONDON_WIDE:
        return True
    return user.role == Role.BCU_SPOC and bool(user.bcu_code)


def equality_bcu_scope(user: User) -> str | None:
    """The one BCU a viewer is held to, or None for London-wide viewers."""
    if user.role in _LONDON_WIDE:
        return None
    return user.bcu_code


def may_publish_equality(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in _PUBLISHERS


def may_load_baseline(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in _PUBLISHERS
