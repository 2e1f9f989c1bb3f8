"""Shared test fixtures: named personas, reference data, the default rubric."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

from custos.accounts.models import Course, Role, TrainingRecord, User
from custos.register.models import BCU

# CI (CI=true) draws the same hypothesis examples every run, so main stays green or red for a reason; a run on a
# developer's machine draws new ones, which is where new failures are found (and then fixed, with a test).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _own_erasure_ledger(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test starts with an empty erasure ledger of its own (ADR 10)."""
    settings.ERASURE_LEDGER_PATH = tmp_path_factory.mktemp("keys") / "erasure-ledger.jsonl"


@pytest.fixture
def reference_data(db: Any) -> None:
    """12 BCUs, 32 boroughs, the default rubric, retention schedule and action policy, as ``custos init`` loads them."""
    from custos.web.management.commands.init import Command

    cmd = Command()
    cmd._reference_data()
    from custos.audit.services import Actor
    from custos.register.services import rubric_load
    from custos.web.management.commands.init import default_rubric

    rubric_load(actor=Actor.system("test"), definition=default_rubric())
    from custos.retention.services import schedule_ensure_default

    schedule_ensure_default(actor=Actor.system("test"))
    from custos.register.actions import action_policy_ensure_default

    action_policy_ensure_default(actor=Actor.system("test"))


@pytest.fixture(autouse=True)
def erasure_ledger_per_test(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test its own erasure ledger: the file lives outside the database, so a test's rolled-back
    erasures would otherwise stay in it and be "re-applied" by later tests."""
    settings.ERASURE_LEDGER_PATH = tmp_path_factory.mktemp("ledger") / "erasure-ledger.jsonl"


@pytest.fixture
def bcu_a(reference_data: None) -> BCU:
    return BCU.objects.get(code="central-east")


@pytest.fixture
def bcu_b(reference_data: None) -> BCU:
    return BCU.objects.get(code="north-area")


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    """Makes a persona: trained in both courses (current for about a year) and with access just attested.

    ``trained=False`` makes one with no training at all (signs in, sees no personal data).
    """

    def make(username: str, role: str, bcu: BCU | None = None, *, trained: bool = True, **extra: Any) -> User:
        extra.setdefault("access_confirmed_at", timezone.now())
        user = User.objects.create(username=username, role=role, bcu_code=bcu.code if bcu else "", **extra)
        user.set_password("correct horse battery staple")
        user.save()
        if trained:
            train(user)
        return user

    return make


def train(user: User, *, completed_on: dt.date | None = None, days: int = 365) -> None:
    """Both courses recorded for ``user`` (directly, as test set-up: no audit event)."""
    completed_on = completed_on or timezone.localdate() - dt.timedelta(days=30)
    for course in Course:
        TrainingRecord.objects.create(
            user=user,
            course=course,
            completed_on=completed_on,
            expires_on=completed_on + dt.timedelta(days=days),
            evidence_reference="LMS test certificate",
        )


@pytest.fixture
def officer_a(make_user: Callable[..., User], bcu_a: BCU) -> User:
    """An officer of BCU A (Central East)."""
    return make_user("officer_a", Role.OFFICER, bcu_a)


@pytest.fixture
def officer_b(make_user: Callable[..., User], bcu_b: BCU) -> User:
    """An officer of BCU B (North Area)."""
    return make_user("officer_b", Role.OFFICER, bcu_b)


@pytest.fixture
def analyst_a(make_user: Callable[..., User], bcu_a: BCU) -> User:
    return make_user("analyst_a", Role.ANALYST, bcu_a)


@pytest.fixture
def spoc_a(make_user: Callable[..., User], bcu_a: BCU) -> User:
    """The single point of contact of BCU A."""
    return make_user("spoc_a", Role.BCU_SPOC, bcu_a)


@pytest.fixture
def central(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("central", Role.CENTRAL_GOVERNANCE)


@pytest.fixture
def auditor(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("auditor", Role.AUDITOR)


@pytest.fixture
def sysadmin(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("sysadmin", Role.SYSADMIN)


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A test client signed in as the user, past the second factor (a confirmed authenticator)."""
    from tests.mfa import verify_session

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return verify_session(client, user)

    return make
