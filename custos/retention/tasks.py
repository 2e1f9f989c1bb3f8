"""Background task of retention: the sweep (``services.retention_sweep``), as system:retention-sweep or a user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from custos.retention.services import retention_sweep
from custos.workers.services import task_actor

JOB = "retention-sweep"


@task()
def retention_sweep_task(*, today: str | None = None, user_id: int | None = None) -> dict[str, Any]:
    """Run the retention sweep as of ``today`` (YYYY-MM-DD, default the day it runs); returns its counts.

    The same service as ``custos retention_sweep``: it opens reviews, escalates
    and carries out decided erasures, never removes anyone on its own, and is
    safe to run again (a task picked up again after its worker died).
    """
    actor = task_actor(job=JOB, user_id=user_id)
    report = retention_sweep(actor=actor, today=dt.date.fromisoformat(today) if today else None)
    return report.as_detail()
