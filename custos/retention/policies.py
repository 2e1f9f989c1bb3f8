"""Who may see and decide reviews, restrict processing, and load schedules.

Every rule needs a usable account with current training (``register``'s
VIEW_PEOPLE capability) first: a review shows a person's record.
"""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.register.policies import Capability, has

#: Roles that may be named on a restriction as still seeing the person.
RESTRICTION_ROLES = (Role.DPO, Role.IRU, Role.CENTRAL_GOVERNANCE, Role.BCU_SPOC)
DEFAULT_RESTRICTION_ROLES = (Role.DPO, Role.IRU)

_REVIEW_READERS = frozenset({Role.BCU_SPOC, Role.CENTRAL_GOVERNANCE, Role.DPO})
_REVIEW_DECIDERS = frozenset({Role.BCU_SPOC, Role.CENTRAL_GOVERNANCE})
_RESTRICTERS = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO, Role.IRU})
_LIFTERS = frozenset({Role.CENTRAL_GOVERNANCE, Role.DPO})


def _in_reach(user: User, bcu_code: str | None) -> bool:
    if not user.is_bcu_scoped:
        return True
    return bcu_code is not None and user.bcu_code == bcu_code


def may_view_reviews(user: User, bcu_code: str | None = None) -> bool:
    """See a review queue (a BCU's, or every BCU's for London-wide roles)."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    if user.role not in _REVIEW_READERS:
        return False
    if bcu_code is None:
        return True
    return _in_reach(user, bcu_code)


def may_decide_review(user: User, bcu_code: str) -> bool:
    """Decide a review: the BCU's SPOC, or central governance anywhere."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    if user.role not in _REVIEW_DECIDERS:
        return False
    return _in_reach(user, bcu_code)


def may_open_review(user: User, bcu_code: str) -> bool:
    """Open a review by hand: whoever may decide one, and the rights team for requests."""
    if may_decide_review(user, bcu_code):
        return True
    return has(user, Capability.VIEW_PEOPLE) and user.role in {Role.IRU, Role.DPO}


def may_restrict(user: User, bcu_code: str) -> bool:
    """Restrict processing directly (a SPOC restricts through a review decision)."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    if user.role in _RESTRICTERS:
        return True
    return user.role == Role.BCU_SPOC and _in_reach(user, bcu_code)


def may_lift_restriction(user: User) -> bool:
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role in _LIFTERS


def may_load_schedule(user: User) -> bool:
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role == Role.CENTRAL_GOVERNANCE
