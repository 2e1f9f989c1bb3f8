"""Worker leases and recovery: a task whose worker's lease expired goes back on the queue, a live one does not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent
from custos.audit.services import Actor, AuditUnavailable
from custos.register.models import BCU
from custos.retention.tasks import retention_sweep_task
from custos.workers.models import WorkerLease
from custos.workers.selectors import task_counts, tasks_recent
from custos.workers.services import lease_release, lease_renew, lease_take, task_actor, tasks_recover

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("worker")
LEASE = 30


def _claimed(*worker_ids: str, started_ago: float = 0) -> DBTaskResult[Any, Any]:
    """A queued task claimed in turn by these workers (the last one holds it now)."""
    task = DBTaskResult.objects.get(pk=retention_sweep_task.enqueue().id)
    for worker_id in worker_ids:
        task.claim(worker_id)
    if started_ago:
        DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now() - dt.timedelta(seconds=started_ago))
    return task


def _lease(worker_id: str, *, expired: bool = False) -> None:
    lease_take(worker_id=worker_id, host="host-1", pid=4242, queues="default", lease_seconds=LEASE)
    if expired:
        WorkerLease.objects.filter(pk=worker_id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


def _status(task: DBTaskResult[Any, Any]) -> str:
    return str(DBTaskResult.objects.get(pk=task.pk).status)


def test_only_tasks_whose_worker_stopped_go_back_on_the_queue(reference_data: None) -> None:
    _lease("alive")
    _lease("killed", expired=True)
    live = _claimed("alive", started_ago=600)
    dead = _claimed("killed", started_ago=5)
    never_leased_old = _claimed("db-worker", started_ago=2 * LEASE)
    never_leased_new = _claimed("db-worker-2")
    retried_live = _claimed("killed", "alive", started_ago=600)  # picked up again by a live worker
    finished = _claimed("killed")
    DBTaskResult.objects.filter(pk=finished.pk).update(status=TaskResultStatus.SUCCESSFUL)
    before = AuditEvent.objects.count()

    recovered = tasks_recover(actor=SYSTEM, lease_seconds=LEASE)

    assert sorted(recovered) == sorted([str(dead.pk), str(never_leased_old.pk)])
    for task in (dead, never_leased_old):
        again = DBTaskResult.objects.get(pk=task.pk)
        assert again.status == TaskResultStatus.READY
        assert again.started_at is None
        assert again.worker_ids == task.worker_ids  # who tried is kept
    for task in (live, never_leased_new, retried_live):
        assert _status(task) == TaskResultStatus.RUNNING
    assert _status(finished) == TaskResultStatus.SUCCESSFUL
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [e.verb for e in events] == ["task.recovered", "task.recovered"]
    assert {e.object_ref for e in events} == {f"task:{dead.pk}", f"task:{never_leased_old.pk}"}
    assert all(e.actor_username == "system:worker" and e.object_type == "task" for e in events)
    assert {e.detail["worker"] for e in events} == {"killed", "db-worker"}
    assert all(e.detail["task"] == "retention_sweep_task" for e in events)
    # nothing left to recover: a second pass changes nothing and records nothing
    assert tasks_recover(actor=SYSTEM, lease_seconds=LEASE) == []
    assert AuditEvent.objects.count() == before + 2


def test_a_renewed_lease_keeps_its_task_and_a_released_one_is_gone(reference_data: None) -> None:
    _lease("w1", expired=True)
    assert lease_renew(worker_id="w1", lease_seconds=LEASE)
    lease = WorkerLease.objects.get(pk="w1")
    assert lease.expires_at > timezone.now() + dt.timedelta(seconds=LEASE - 5)
    task = _claimed("w1", started_ago=600)
    assert tasks_recover(actor=SYSTEM, lease_seconds=LEASE) == []
    assert _status(task) == TaskResultStatus.RUNNING
    lease_release(worker_id="w1")
    assert not WorkerLease.objects.filter(pk="w1").exists()
    assert not lease_renew(worker_id="w1", lease_seconds=LEASE)
    assert tasks_recover(actor=SYSTEM, lease_seconds=LEASE) == [str(task.pk)]


def test_no_event_no_recovery(reference_data: None) -> None:
    """If the audit log cannot be written, the task stays as it was."""
    _lease("killed", expired=True)
    task = _claimed("killed")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION audit_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit store unavailable'; "
                "END; $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_fail()"
            )
    with pytest.raises(AuditUnavailable):
        tasks_recover(actor=SYSTEM, lease_seconds=LEASE)
    assert _status(task) == TaskResultStatus.RUNNING


def test_a_task_acts_as_the_system_or_an_active_user(make_user: Callable[..., User], bcu_a: BCU) -> None:
    assert task_actor(job="rescore", user_id=None) == Actor.system("rescore")
    central = make_user("central_tasks", Role.CENTRAL_GOVERNANCE)
    assert task_actor(job="bcu_audit", user_id=central.pk) == central
    User.objects.filter(pk=central.pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        task_actor(job="bcu_audit", user_id=central.pk)
    with pytest.raises(PermissionDenied):
        task_actor(job="bcu_audit", user_id=999_999)


def test_the_task_list_shows_status_worker_and_host_but_no_arguments(reference_data: None) -> None:
    _lease("w-host")
    running = _claimed("w-host")
    retention_sweep_task.enqueue(today="2026-01-31")
    rows = tasks_recent(limit=10)
    assert [r.status for r in rows] == ["READY", "RUNNING"]
    assert rows[1].id == str(running.pk)
    assert rows[1].worker == "w-host"
    assert rows[1].host == "host-1"
    assert rows[1].name == "retention_sweep_task"
    assert rows[1].attempts == 1
    assert not any("2026-01-31" in str(r) for r in rows)
    assert task_counts() == {"READY": 1, "RUNNING": 1}
    assert [r.id for r in tasks_recent(status="RUNNING")] == [str(running.pk)]
