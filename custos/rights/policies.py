"""Who may see and handle data-subject requests. One rule per function, one condition per line.

The Information Rights Unit handles requests: receives them, stops and
restarts their clocks, extends them, compiles subject access responses,
marks what is withheld, responds, rectifies and asks for erasure or
restriction. The DPO and central governance may see every request and its
clock, not act on it. Every role here is London-wide. Every rule needs a
usable account with current training first (the register's VIEW_PEOPLE
capability): a request shows a person's record.
"""

from __future__ import annotations

from custos.accounts.models import Role, User
from custos.register.policies import Capability, has

_READERS = frozenset({Role.IRU, Role.DPO, Role.CENTRAL_GOVERNANCE})
_HANDLERS = frozenset({Role.IRU})


def may_view_requests(user: User) -> bool:
    """See the requests dashboard, each request, its clock and its response."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role in _READERS


def may_handle_requests(user: User) -> bool:
    """Receive, pause, extend, compile, withhold, respond, rectify, close."""
    if not has(user, Capability.VIEW_PEOPLE):
        return False
    return user.role in _HANDLERS


def role_may_view_requests(user: User) -> bool:
    """The role reads requests, though training may still be missing (for the navigation)."""
    return user.role in _READERS
