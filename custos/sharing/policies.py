"""Who may do what with agreements and disclosures. One rule per function, one condition per line.

Agreements hold no personal data: every account in use may read them (an
officer must see what an agreement allows before asking). Drafting is for
the Information Rights Unit and central governance; **approval is for the
Information Rights Unit only** (Annex 1 term 7), never by the person who
drafted it; revoking is the IRU's.

A disclosure is asked for by someone who may see the people (officer,
analyst, BCU SPOC, central governance) and approved by someone else: the
IRU always; a BCU SPOC only when the recipient exercises statutory
functions and every person is in the SPOC's own BCU. The requester can
never approve their own request.
"""

from __future__ import annotations

from collections.abc import Sequence

from custos.accounts.models import Role, User
from custos.accounts.policies import may_use_service
from custos.register.policies import Capability, has

_DRAFTERS = frozenset({Role.IRU, Role.CENTRAL_GOVERNANCE})
_REQUESTERS = frozenset({Role.OFFICER, Role.ANALYST, Role.BCU_SPOC, Role.CENTRAL_GOVERNANCE})
#: Roles that see every disclosure (names and reasons included).
_OVERSEERS = frozenset({Role.IRU, Role.CENTRAL_GOVERNANCE, Role.DPO})
#: Roles that read the sharing review (aggregates, no personal data).
_REVIEWERS = frozenset({Role.IRU, Role.CENTRAL_GOVERNANCE, Role.DPO, Role.AUDITOR})
_IMPORTERS = frozenset({Role.IRU, Role.CENTRAL_GOVERNANCE})


def may_view_agreements(user: User) -> bool:
    return may_use_service(user)


def may_draft_agreement(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in _DRAFTERS


def may_approve_agreement(user: User, drafted_by_id: int | None) -> bool:
    """Approve an agreement: the Information Rights Unit only, and not whoever drafted it."""
    if not may_use_service(user):
        return False
    if user.role != Role.IRU:
        return False
    return drafted_by_id != user.pk


def may_revoke_agreement(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role == Role.IRU


def may_request_disclosure(user: User) -> bool:
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role in _REQUESTERS


def may_approve_disclosure(user: User, *, requested_by_id: int, statutory: bool, target_bcus: Sequence[str]) -> bool:
    """Approve (or refuse) a disclosure: not the requester; the IRU, or a SPOC of every person for a statutory body."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    if user.pk == requested_by_id:
        return False
    if user.role == Role.IRU:
        return True
    if user.role != Role.BCU_SPOC:
        return False
    if not statutory:
        return False
    return bool(target_bcus) and set(target_bcus) == {user.bcu_code}


def may_view_disclosure(
    user: User, *, requested_by_id: int, decided_by_id: int | None, target_bcus: Sequence[str]
) -> bool:
    """See a disclosure with its people: who asked, who decided, the overseers, the SPOC of every person."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    if user.pk in (requested_by_id, decided_by_id):
        return True
    if user.role in _OVERSEERS:
        return True
    return user.role == Role.BCU_SPOC and bool(target_bcus) and set(target_bcus) <= {user.bcu_code}


def sees_every_disclosure(user: User) -> bool:
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role in _OVERSEERS


def may_list_disclosures(user: User) -> bool:
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role in _REQUESTERS | _OVERSEERS


def may_withdraw_disclosure(user: User, requested_by_id: int) -> bool:
    if not may_use_service(user):
        return False
    return user.pk == requested_by_id


def may_download_package(user: User, *, requested_by_id: int, decided_by_id: int | None) -> bool:
    """Download the encrypted package to send it: who asked, who approved, or the IRU."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    if user.pk in (requested_by_id, decided_by_id):
        return True
    return user.role == Role.IRU


def may_view_sharing_review(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in _REVIEWERS


def may_import_sharing_log(user: User) -> bool:
    if not may_use_service(user):
        return False
    return user.role in _IMPORTERS
