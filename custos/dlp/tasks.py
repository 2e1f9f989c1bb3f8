"""Background task of loss prevention: a copy scan (``services.scan_run``), as system:dlp_scan or a user."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from custos.dlp.services import scan_resumable, scan_run
from custos.workers.services import task_actor

JOB = "dlp_scan"


@task()
def dlp_scan_task(*, paths: list[str], workers: int = 1, user_id: int | None = None) -> dict[str, Any]:
    """Scan these folders and files, as ``custos dlp_scan`` does; returns the scan's reference and counts.

    It carries on the last unfinished scan of the same paths if there is one,
    so a task picked up again after its worker died does not start over.
    Findings are recorded by the service; the result holds counts only.
    """
    actor = task_actor(job=JOB, user_id=user_id)
    run = scan_run(actor=actor, paths=paths, resume=scan_resumable(paths) is not None, workers=max(1, workers))
    return {
        "scan": run.ref,
        "status": run.status,
        "files_scanned": run.files_scanned,
        "files_flagged": run.files_flagged,
        "files_failed": run.files_failed,
    }
