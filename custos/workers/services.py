"""Worker leases and the recovery of tasks whose worker stopped (django-tasks-db has none).

A ``custos worker`` takes a lease when it starts, renews it from a thread
every third of its lease, and gives it up when it stops. Any worker, before
it claims work and then at each renewal, puts back on the queue (READY)
every RUNNING task whose worker's lease has expired, or which was claimed
more than a lease ago by a worker that never held one. Each task put back is
a ``task.recovered`` event in the same transaction: no event, no recovery.
Tasks are written to be run again (each batch one transaction, re-runs skip
what is done), so a task picked up again finishes the work without doubling it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Now
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import Actor, EventSpec, events_record
from custos.workers.models import WorkerLease

#: Leases expired this long ago are forgotten (the tasks they held were recovered long before).
FORGET_AFTER = dt.timedelta(days=1)


def _db_now_plus(seconds: float) -> ExpressionWrapper[CombinedExpression]:
    """The database's clock plus ``seconds``: every host compares leases against the same clock."""
    return ExpressionWrapper(Now() + Value(dt.timedelta(seconds=seconds)), output_field=DateTimeField())


def lease_take(*, worker_id: str, host: str, pid: int, queues: str, lease_seconds: float) -> WorkerLease:
    """Record a worker as alive for ``lease_seconds`` (no personal data: an id, a host name, a pid)."""
    now = timezone.now()
    WorkerLease.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": host[:255], "pid": pid, "queues": queues[:255], "started_at": now, "heartbeat_at": now},
        create_defaults={
            "host": host[:255],
            "pid": pid,
            "queues": queues[:255],
            "started_at": now,
            "heartbeat_at": now,
            "expires_at": now + dt.timedelta(seconds=lease_seconds),
        },
    )
    lease_renew(worker_id=worker_id, lease_seconds=lease_seconds)
    return WorkerLease.objects.get(worker_id=worker_id)


def lease_renew(*, worker_id: str, lease_seconds: float) -> bool:
    """Extend a worker's lease by ``lease_seconds`` from now (database time); False if it has no lease."""
    updated = WorkerLease.objects.filter(worker_id=worker_id).update(
        heartbeat_at=Now(), expires_at=_db_now_plus(lease_seconds)
    )
    return bool(updated)


def lease_release(*, worker_id: str) -> None:
    """A worker stopping cleanly gives up its lease (its tasks are finished or were never claimed)."""
    WorkerLease.objects.filter(worker_id=worker_id).delete()


def _task_name(task: DBTaskResult[Any, Any]) -> str:
    return str(task.task_path).rsplit(".", 1)[-1]


@transaction.atomic
def tasks_recover(*, actor: Actor, lease_seconds: float) -> list[str]:
    """Put back on the queue every RUNNING task whose worker is presumed dead; returns their ids.

    A task's worker is the last id in its ``worker_ids`` (the one that
    claimed it this time; earlier ids are workers that died before). It is
    presumed dead when its lease has expired, or, for a worker that never
    held a lease (django-tasks-db's own ``db_worker``), when the task was
    claimed more than ``lease_seconds`` ago. Records ``task.recovered`` for
    each, in this transaction.
    """
    leases = set(WorkerLease.objects.values_list("worker_id", flat=True))
    live = set(WorkerLease.objects.filter(expires_at__gt=Now()).values_list("worker_id", flat=True))
    claimed_before = timezone.now() - dt.timedelta(seconds=lease_seconds)
    running = list(
        DBTaskResult.objects.running().select_for_update(skip_locked=True).order_by("started_at", "enqueued_at")
    )
    recovered: list[DBTaskResult[Any, Any]] = []
    for task in running:
        worker = task.worker_ids[-1] if task.worker_ids else ""
        if worker in live:
            continue
        if worker not in leases and task.started_at is not None and task.started_at > claimed_before:
            continue
        changed = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        if changed:
            recovered.append(task)
    if recovered:
        events_record(
            actor=actor,
            specs=[
                EventSpec(
                    verb=Verb.TASK_RECOVERED,
                    object_type="task",
                    object_ref=f"task:{task.pk}",
                    detail={
                        "task": _task_name(task),
                        "worker": task.worker_ids[-1] if task.worker_ids else "",
                        "attempts": len(task.worker_ids),
                    },
                )
                for task in recovered
            ],
        )
    WorkerLease.objects.filter(expires_at__lt=timezone.now() - FORGET_AFTER).delete()
    return [str(task.pk) for task in recovered]


def task_actor(*, job: str, user_id: int | None) -> User | Actor:
    """Who a background task acts as: the system actor ``system:<job>``, or the user who asked (by id).

    Refuses (``PermissionDenied``) when that user's account is no longer
    active: a suspended user's request does not run. The service the task
    calls then authorises the user as it would in the foreground.
    """
    if user_id is None:
        return Actor.system(job)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise PermissionDenied("The account that asked for this task is no longer active.")
    return user
