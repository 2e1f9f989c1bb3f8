"""Reading the task queue for ``custos tasks``: status, task name, times and worker; never arguments or results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django_tasks_db.models import DBTaskResult

from custos.workers.models import WorkerLease


@dataclass(frozen=True)
class TaskRow:
    """One task as ``custos tasks`` shows it (ids, names, times; no argument or result)."""

    id: str
    name: str
    status: str
    queue: str
    enqueued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    worker: str
    host: str
    attempts: int


def tasks_recent(*, limit: int = 20, status: str | None = None) -> list[TaskRow]:
    """The most recently enqueued tasks, newest first, with the host of the worker that last claimed each."""
    tasks = DBTaskResult.objects.order_by("-enqueued_at")
    if status:
        tasks = tasks.filter(status=status)
    rows = list(
        tasks.only("id", "task_path", "status", "queue_name", "enqueued_at", "started_at", "finished_at", "worker_ids")[
            :limit
        ]
    )
    workers = {t.worker_ids[-1] for t in rows if t.worker_ids}
    hosts = dict(WorkerLease.objects.filter(worker_id__in=workers).values_list("worker_id", "host"))
    return [
        TaskRow(
            id=str(t.pk),
            name=t.task_path.rsplit(".", 1)[-1],
            status=t.status,
            queue=t.queue_name,
            enqueued_at=t.enqueued_at,
            started_at=t.started_at,
            finished_at=t.finished_at,
            worker=t.worker_ids[-1] if t.worker_ids else "",
            host=hosts.get(t.worker_ids[-1], "") if t.worker_ids else "",
            attempts=len(t.worker_ids),
        )
        for t in rows
    ]


def task_counts() -> dict[str, int]:
    """How many tasks are in each status."""
    rows = DBTaskResult.objects.values_list("status").annotate(n=Count("pk")).order_by()
    return {str(status): int(n) for status, n in rows}  # noqa: C416 - typed
