"""Who may see the Annex 1 tracker and reports, and who may generate a report. One rule per function.

Central governance, the DPO and the auditor read; central governance and the
DPO generate. Every other role is refused (403). Nothing here is personal data.
"""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service

_READERS = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO, Role.AUDITOR})
_GENERATORS = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO})


def may_view_annex1(user: User) -> bool:
    """Central governance, the DPO and the auditor see the tracker and the monthly reports."""
    if not may_use_service(user):
        return False
    return user.role in _READERS


def may_generate_annex1(user: User) -> bool:
    """Central governance and the DPO generate a monthly report (the timer runs as the system)."""
    if not may_use_service(user):
        return False
    return user.role in _GENERATORS
