"""Who may do what in the register. One rule per function, one condition per line.

Deny by default. Reach is by role and, for BCU-scoped roles, by BCU: a
record outside a user's reach is treated as not existing (404), so nobody
learns that it does. Account gates come first, from ``custos.accounts.policies``:
a suspended account has no capability at all (``may_use_service``), and an
account without both training courses current has none in the register
either (``may_see_personal_data``, Annex 1 terms 8 and 9): it may sign in and
is told why it sees nothing.
"""

from __future__ import annotations

import enum

from django.db.models import Q

from custos.accounts.models import Role, User
from custos.accounts.policies import may_see_personal_data, may_use_service


class Capability(enum.StrEnum):
    VIEW_PEOPLE = "register.view_people"
    VIEW_PROTECTED_CHARACTERISTICS = "register.view_protected_characteristics"
    ADD_PERSON = "register.add_person"
    ADD_INTELLIGENCE = "register.add_intelligence"
    VERIFY_INTELLIGENCE = "register.verify_intelligence"
    PROPOSE_NOMINATION = "register.propose_nomination"
    ACTIVATE_NOMINATION = "register.activate_nomination"
    DECIDE_RAG = "register.decide_rag"
    IMPORT_MATRIX = "register.import_matrix"
    RECORD_ACTION = "register.record_action"


_ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OFFICER: frozenset(
        {
            Capability.VIEW_PEOPLE,
            Capability.ADD_PERSON,
            Capability.ADD_INTELLIGENCE,
            Capability.PROPOSE_NOMINATION,
            Capability.RECORD_ACTION,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Capability.VIEW_PEOPLE,
            Capability.ADD_PERSON,
            Capability.ADD_INTELLIGENCE,
            Capability.VERIFY_INTELLIGENCE,
            Capability.PROPOSE_NOMINATION,
            Capability.RECORD_ACTION,
        }
    ),
    Role.BCU_SPOC: frozenset(
        {
            Capability.VIEW_PEOPLE,
            Capability.ADD_PERSON,
            Capability.ADD_INTELLIGENCE,
            Capability.VERIFY_INTELLIGENCE,
            Capability.PROPOSE_NOMINATION,
            Capability.ACTIVATE_NOMINATION,
            Capability.DECIDE_RAG,
            Capability.IMPORT_MATRIX,
            Capability.RECORD_ACTION,
        }
    ),
    Role.CENTRAL_GOVERNANCE: frozenset(
        {
            Capability.VIEW_PEOPLE,
            Capability.VIEW_PROTECTED_CHARACTERISTICS,
            Capability.VERIFY_INTELLIGENCE,
            Capability.ACTIVATE_NOMINATION,
            Capability.DECIDE_RAG,
            Capability.IMPORT_MATRIX,
            Capability.RECORD_ACTION,
        }
    ),
    Role.IRU: frozenset({Capability.VIEW_PEOPLE}),
    Role.DPO: frozenset({Capability.VIEW_PEOPLE, Capability.VIEW_PROTECTED_CHARACTERISTICS}),
    # Auditors read logs, not intelligence; sysadmins run the system, not the register.
    Role.AUDITOR: frozenset(),
    Role.SYSADMIN: frozenset(),
}


def role_capabilities(user: User) -> frozenset[Capability]:
    """What the user's role would allow a usable account, whatever its training."""
    if not may_use_service(user):
        return frozenset()
    return _ROLE_CAPABILITIES.get(user.role, frozenset())


def capabilities_of(user: User) -> frozenset[Capability]:
    """What the user may do now: nothing unless they may see personal data (training current)."""
    if not may_see_personal_data(user):
        return frozenset()
    return role_capabilities(user)


def has(user: User, capability: Capability) -> bool:
    return capability in capabilities_of(user)


def people_scope(user: User) -> Q | None:
    """The filter on people (by their BCU) this user may see; None means none at all."""
    if not has(user, Capability.VIEW_PEOPLE):
        return None
    # A restricted person (s.47) is seen only by the roles the restriction names.
    unrestricted = Q(restricted_at__isnull=True) | Q(restricted_to__contains=f",{user.role},")
    if user.is_bcu_scoped:
        return Q(bcu__code=user.bcu_code) & unrestricted
    return unrestricted


def may_view_people(user: User) -> bool:
    return has(user, Capability.VIEW_PEOPLE)


def role_may_view_people(user: User) -> bool:
    """The role reads personal data, though training may still be missing."""
    return Capability.VIEW_PEOPLE in role_capabilities(user)


def may_view_protected_characteristics(user: User) -> bool:
    return has(user, Capability.VIEW_PROTECTED_CHARACTERISTICS)


def may_act_in_bcu(user: User, bcu_code: str) -> bool:
    """Writes are confined to the user's own BCU unless the role is London-wide."""
    if not user.is_bcu_scoped:
        return True
    return user.bcu_code == bcu_code


def may_add_person(user: User, bcu_code: str) -> bool:
    if not has(user, Capability.ADD_PERSON):
        return False
    return may_act_in_bcu(user, bcu_code)


def may_add_intelligence(user: User, bcu_code: str) -> bool:
    if not has(user, Capability.ADD_INTELLIGENCE):
        return False
    return may_act_in_bcu(user, bcu_code)


def may_verify_intelligence(user: User, bcu_code: str) -> bool:
    if not has(user, Capability.VERIFY_INTELLIGENCE):
        return False
    return may_act_in_bcu(user, bcu_code)


def may_propose_nomination(user: User, bcu_code: str) -> bool:
    if not has(user, Capability.PROPOSE_NOMINATION):
        return False
    return may_act_in_bcu(user, bcu_code)


def may_activate_nomination(user: User, bcu_code: str) -> bool:
    if not has(user, Capability.ACTIVATE_NOMINATION):
        return False
    return may_act_in_bcu(user, bcu_code)


def may_decide_rag(user: User, bcu_code: str) -> bool:
    if not has(user, Capability.DECIDE_RAG):
        return False
    return may_act_in_bcu(user, bcu_code)


def may_import_matrix(user: User, bcu_code: str) -> bool:
    if not has(user, Capability.IMPORT_MATRIX):
        return False
    return may_act_in_bcu(user, bcu_code)


def may_record_action(user: User, bcu_code: str) -> bool:
    """Record a proportionate action about a person of this BCU (which actions: the action policy)."""
    if not has(user, Capability.RECORD_ACTION):
        return False
    return may_act_in_bcu(user, bcu_code)


def may_load_action_policy(user: User) -> bool:
    """Only central governance changes what is proportionate (action kinds and policy), London-wide."""
    if not may_use_service(user):
        return False
    return user.role == Role.CENTRAL_GOVERNANCE
