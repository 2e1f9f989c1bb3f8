"""Who may scan, see findings and act on them. One rule per function, one condition per line.

Findings point at copies of personal data, so reading them needs an account
that may see personal data (training current, ``register``'s VIEW_PEOPLE).
Central governance and the DPO see every finding; a BCU SPOC sees the
findings assigned to them. Scans are run from the command line (or a
scheduled task) by central governance or a system administrator.
"""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service
from custos.audit.services import Actor
from custos.register.policies import Capability, has

#: Roles that see every finding and run the workflow.
_OVERSEERS = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO})
#: Roles a finding may be assigned to.
ASSIGNEE_ROLES = (Role.BCU_SPOC, Role.CENTRAL_GOVERNANCE, Role.DPO)
#: Roles that may run a scan.
_SCANNERS = frozenset({Role.CENTRAL_GOVERNANCE, Role.SYSADMIN})


def may_scan(actor: User | Actor) -> bool:
    """Run a scan: central governance or a system administrator, or a scheduled (system) task."""
    if isinstance(actor, Actor):
        return actor.role == "system"
    if not may_use_service(actor):
        return False
    return actor.role in _SCANNERS


def may_view_findings(user: User) -> bool:
    """See the findings page at all (which findings: ``findings_scope``)."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role in _OVERSEERS or user.role == Role.BCU_SPOC


def sees_every_finding(user: User) -> bool:
    if not may_view_findings(user):
        return False
    return user.role in _OVERSEERS


def may_view_finding(user: User, assignee_id: int | None) -> bool:
    if sees_every_finding(user):
        return True
    if not may_view_findings(user):
        return False
    return assignee_id is not None and assignee_id == user.pk


def may_assign(user: User) -> bool:
    return sees_every_finding(user)


def may_be_assigned(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in ASSIGNEE_ROLES


def may_confirm_erasure(user: User, assignee_id: int | None) -> bool:
    """Confirm the copy is erased: whoever it is assigned to, or central governance and the DPO."""
    return may_view_finding(user, assignee_id)


def may_close(user: User) -> bool:
    return sees_every_finding(user)


# --- Controlled exports (custos.dlp.exports) -------------------------------------------------------------------

#: Roles that may export personal data: a BCU SPOC (their own BCU's people) and central governance.
EXPORTER_ROLES = frozenset({Role.BCU_SPOC, Role.CENTRAL_GOVERNANCE})


def may_export(user: User) -> bool:
    """Export personal data: a BCU SPOC or central governance who may see people; officers and analysts may not."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role in EXPORTER_ROLES


def may_list_exports(user: User) -> bool:
    """See the exports page: anyone who exports (their own), and so a BCU SPOC or central governance."""
    return may_export(user)


def sees_bcu_exports(user: User, bcu_code: str) -> bool:
    """See another user's export: central governance any, a BCU SPOC their own BCU's."""
    if not may_export(user):
        return False
    if user.role == Role.CENTRAL_GOVERNANCE:
        return True
    return bool(bcu_code) and user.bcu_code == bcu_code


def may_view_export(user: User, created_by_id: int, bcu_code: str) -> bool:
    if user.pk == created_by_id and may_use_service(user):
        return True
    return sees_bcu_exports(user, bcu_code)


def may_download_export(user: User, created_by_id: int) -> bool:
    """Only the exporter downloads the file, and only while they may still export."""
    if not may_export(user):
        return False
    return user.pk == created_by_id


def may_confirm_destruction(user: User, created_by_id: int) -> bool:
    """Only the exporter confirms that every copy is destroyed (they hold it)."""
    if not may_use_service(user):
        return False
    return user.pk == created_by_id
