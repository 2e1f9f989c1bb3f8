from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from custos.accounts.models import Role, User


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def iru(make_user: Callable[..., User], reference_data: None) -> User:
    """An Information Rights Unit officer."""
    return make_user("iru", Role.IRU)


@pytest.fixture
def iru_2(make_user: Callable[..., User], reference_data: None) -> User:
    """A second IRU officer (the four-eyes rule: a drafter never approves)."""
    return make_user("iru_2", Role.IRU)


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)
