"""Who may read, draft and publish guidance. One rule per function; deny by default.

Guidance holds no personal data: every account that may use Custos reads the
versions in force, since every decision form links to them. Central
governance and the DPO draft and publish; the publisher must not be the person
who drafted the version (enforced in ``services``).
"""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service

_EDITORS = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO})


def may_read_guidance(user: User) -> bool:
    return may_use_service(user)


def may_draft_guidance(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in _EDITORS


def may_publish_guidance(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in _EDITORS
