"""custos tasks: the background tasks queued, running and finished, without their arguments or results."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django_tasks import TaskResultStatus

from custos.workers.selectors import task_counts, tasks_recent


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


class Command(BaseCommand):
    """List recent background tasks: id, status, task name, queue, when enqueued, started and finished, worker.

    Policy: shows no argument and no result (a task's arguments are ids and
    dates, its result counts; neither is needed to watch the queue). Reads
    no personal data and records nothing.
    """

    help = (
        "List the most recent background tasks (newest first): id, status (READY, RUNNING, SUCCESSFUL, FAILED), "
        "task, queue, enqueued, started and finished times, the worker that ran it and its host, and how many "
        "times it was claimed (more than 1: its worker stopped and it was run again). Shows no arguments or results."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=_positive, default=20, help="how many tasks to list (default: 20)")
        parser.add_argument("--status", choices=[s.value for s in TaskResultStatus], help="only tasks in this status")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = task_counts()
        summary = ", ".join(f"{counts.get(s.value, 0):,} {s.value.lower()}" for s in TaskResultStatus)
        self.stdout.write(f"tasks: {summary}")
        rows = tasks_recent(limit=options["limit"], status=options["status"])
        if not rows:
            self.stdout.write("no tasks")
            return
        self.stdout.write(
            f"{'id':<36}  {'status':<10}  {'task':<22}  {'queue':<8}  {'enqueued':<19}  {'started':<19}  "
            f"{'finished':<19}  {'tries':>5}  worker"
        )
        for row in rows:
            worker = f"{row.worker} ({row.host})" if row.host else row.worker or "-"
            self.stdout.write(
                f"{row.id:<36}  {row.status:<10}  {row.name:<22}  {row.queue:<8}  {_when(row.enqueued_at):<19}  "
                f"{_when(row.started_at):<19}  {_when(row.finished_at):<19}  {row.attempts:>5}  {worker}"
            )
