"""The access governance pages write exactly their events (s.62): training, recertification, accounts.

Each test makes the POST a person makes and compares the events written
with what the page must record, in order, nothing more. The pages' wider
behaviour (who may, what they show) is in ``custos/accounts/tests/test_governance.py``
and ``tests/test_role_reach.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Course, Role, Suspension, User
from custos.accounts.selectors import training_status_of
from custos.audit.models import AuditEvent
from custos.register.models import BCU

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def _last_seq() -> int:
    return AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0


def _since(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def test_training_is_recorded(make_user: Callable[..., User], bcu_a: BCU, central: User, client_for: ClientFor) -> None:
    newcomer = make_user("newcomer", Role.OFFICER, bcu_a, trained=False)
    client = client_for(central)
    today = timezone.localdate()
    before = _last_seq()
    response = client.post(
        reverse("web:training_add", args=[newcomer.pk]),
        {
            "course": Course.MATRIX_PURPOSE.value,
            "completed_on_0": today.day,
            "completed_on_1": today.month,
            "completed_on_2": today.year,
            "evidence_reference": "LMS 4411",
        },
    )
    assert response.status_code == 302
    [event] = _since(before)
    assert event.verb == "training.recorded"
    assert (event.actor_username, event.object_type, event.targets) == ("central", "training", [f"user:{newcomer.pk}"])
    assert event.detail["course"] == "matrix_purpose"
    [matrix, dp] = training_status_of(User.objects.get(pk=newcomer.pk))
    assert matrix.is_current
    assert not dp.is_current


def test_recertification(officer_a: User, analyst_a: User, spoc_a: User, client_for: ClientFor) -> None:
    before = _last_seq()
    response = client_for(spoc_a).post(
        reverse("web:recertification"), {f"user_{officer_a.pk}": "keep", f"user_{analyst_a.pk}": "remove"}
    )
    assert response.status_code == 302
    events = _since(before)
    # One attestation each; removing the analyst suspends them in the same transaction, right after.
    per_user = [(e.verb, e.targets[0] if e.targets else e.object_ref) for e in events]
    analyst, officer = f"user:{analyst_a.pk}", f"user:{officer_a.pk}"
    assert sorted(per_user) == sorted(
        [("access.attested", officer), ("access.attested", analyst), ("user.suspended", analyst)]
    )
    assert per_user.index(("user.suspended", analyst)) == per_user.index(("access.attested", analyst)) + 1
    [suspended] = [e for e in events if e.verb == "user.suspended"]
    assert suspended.detail["reason"] == Suspension.NOT_NEEDED
    assert all(e.actor_username == "spoc_a" for e in events)


def test_user_add(sysadmin: User, bcu_a: BCU, client_for: ClientFor) -> None:
    before = _last_seq()
    response = client_for(sysadmin).post(
        reverse("web:user_add"),
        {"username": "new_spoc", "role": Role.BCU_SPOC, "bcu_code": bcu_a.code, "password": "a long first password"},
    )
    assert response.status_code == 302
    [event] = _since(before)
    created = User.objects.get(username="new_spoc")
    assert (event.verb, event.object_ref, event.actor_username) == ("user.created", f"user:{created.pk}", "sysadmin")
    assert event.detail == {"role": "bcu_spoc", "bcu": "central-east"}


def test_user_suspend(sysadmin: User, analyst_a: User, client_for: ClientFor) -> None:
    before = _last_seq()
    assert client_for(sysadmin).post(reverse("web:user_suspend", args=[analyst_a.pk])).status_code == 302
    [event] = _since(before)
    assert (event.verb, event.object_ref) == ("user.suspended", f"user:{analyst_a.pk}")
    assert event.detail == {"reason": "by_administrator"}
    assert not User.objects.get(pk=analyst_a.pk).is_active


def test_user_reinstate(sysadmin: User, analyst_a: User, client_for: ClientFor) -> None:
    client = client_for(sysadmin)
    client.post(reverse("web:user_suspend", args=[analyst_a.pk]))
    before = _last_seq()
    assert client.post(reverse("web:user_reinstate", args=[analyst_a.pk])).status_code == 302
    [event] = _since(before)
    assert (event.verb, event.object_ref) == ("user.reinstated", f"user:{analyst_a.pk}")
    assert event.detail == {"was": "by_administrator"}
    assert User.objects.get(pk=analyst_a.pk).is_active
    # Posting again changes nothing and records nothing.
    before = _last_seq()
    client.post(reverse("web:user_reinstate", args=[analyst_a.pk]))
    assert _since(before) == []
