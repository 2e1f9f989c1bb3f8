"""Retention tests: London-wide DPO and a second BCU's SPOC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from custos.accounts.models import Role, User


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)


@pytest.fixture
def spoc_b(make_user: Callable[..., User], bcu_b: Any) -> User:
    return make_user("spoc_b", Role.BCU_SPOC, bcu_b)
