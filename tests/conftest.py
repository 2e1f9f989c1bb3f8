"""Fixtures for tests that run Custos as a user would: in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server import CustosInstance, custos_instance, serve


@pytest.fixture
def instance() -> Iterator[CustosInstance]:
    """A fresh, initialised instance with demo users (no server)."""
    with custos_instance() as inst:
        yield inst


@pytest.fixture(scope="module")
def server() -> Iterator[CustosInstance]:
    """A running server on loopback with its own data; shared by a module's tests."""
    with custos_instance() as inst:
        serve(inst)
        yield inst
