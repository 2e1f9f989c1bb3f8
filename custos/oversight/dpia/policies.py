"""Who may do what with the DPIA pack, the risk register and the records of processing.

One rule per function. The DPO generates drafts, edits the risk register and
signs off; central governance, the auditor and the Information Rights Unit
read; every other role is refused (403). Nothing here holds personal data.
"""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service

_READERS = frozenset({Role.DPO, Role.CENTRAL_GOVERNANCE, Role.AUDITOR, Role.IRU})


def may_read_dpia(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in _READERS


def may_generate_dpia(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role == Role.DPO


def may_sign_off_dpia(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role == Role.DPO


def may_edit_risks(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role == Role.DPO
