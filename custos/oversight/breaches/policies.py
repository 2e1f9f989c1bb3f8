"""Who may see and record breaches. One rule per function, one condition per line; deny by default."""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service

_EDITORS = frozenset({Role.DPO, Role.CENTRAL_GOVERNANCE})
_READERS = frozenset({Role.DPO, Role.CENTRAL_GOVERNANCE, Role.IRU, Role.AUDITOR})


def may_view_breaches(user: User) -> bool:
    """The DPO, central governance, the IRU and auditors read the register."""
    if not may_use_service(user):
        return False
    return user.role in _READERS


def may_edit_breaches(user: User) -> bool:
    """The DPO and central governance record breaches and every step on them."""
    if not may_use_service(user):
        return False
    return user.role in _EDITORS
