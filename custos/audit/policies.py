"""Who may read the s.62 log. One rule per function, one condition per line; deny by default.

The audit layer sits below accounts, so these rules take any user-like
object with ``role`` (and, if it has one, ``is_active``) and name roles by
their stored values. The interfaces also apply
``custos.accounts.policies.may_use_service`` (MFA, training and the rest of
the account gates) before calling a selector here.

Readers of the log see pseudonymous references only (``person:<uuid>``),
never names or intelligence: the log holds nothing else.
"""

from __future__ import annotations

import enum
from typing import Any, Protocol


class Capability(enum.StrEnum):
    READ_LOG = "audit.read_log"
    EXPORT_LOG = "audit.export_log"


class RoleHolder(Protocol):
    role: Any


#: Auditors read and export the log; the DPO too; central governance reads it to oversee the BCUs.
_ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "auditor": frozenset({Capability.READ_LOG, Capability.EXPORT_LOG}),
    "dpo": frozenset({Capability.READ_LOG, Capability.EXPORT_LOG}),
    "central_governance": frozenset({Capability.READ_LOG}),
}


def capabilities_of(user: RoleHolder) -> frozenset[Capability]:
    if not getattr(user, "is_active", True):
        return frozenset()
    return _ROLE_CAPABILITIES.get(str(user.role or ""), frozenset())


def may_read_log(user: RoleHolder) -> bool:
    """Search the log and see the suspicious-patterns report."""
    return Capability.READ_LOG in capabilities_of(user)


def may_export_log(user: RoleHolder) -> bool:
    """Download events with a signed checkpoint, for an outside party."""
    return Capability.EXPORT_LOG in capabilities_of(user)
