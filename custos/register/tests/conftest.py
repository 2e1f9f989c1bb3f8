"""The register's page tests act as users who have declared a purpose this session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from custos.accounts.models import User
from custos.accounts.tests.helpers import with_purpose


@pytest.fixture
def client_for(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """The project's ``client_for``, with ``TEST_PURPOSE`` declared in the session."""

    def make(user: User) -> Client:
        return with_purpose(client_for(user))

    return make
