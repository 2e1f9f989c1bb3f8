"""custos worker: run background tasks from the database queue, holding a lease so a dead worker's task is re-run."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import threading
import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker

from custos.audit.services import Actor
from custos.workers.services import lease_release, lease_renew, lease_take, tasks_recover

SYSTEM = Actor.system("worker")
logger = logging.getLogger("custos.workers")


def _positive_seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from exc
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} must be more than 0 seconds")
    return number


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


class Heartbeat(threading.Thread):
    """Renews the worker's lease every third of it and puts back tasks whose worker's lease expired.

    Runs on its own database connection. A failed renewal is logged (by
    exception class only) and tried again at the next beat.
    """

    def __init__(self, *, worker_id: str, lease_seconds: float) -> None:
        super().__init__(name="custos-worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(max(self.lease_seconds / 3, 0.2)):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        try:
            close_old_connections()
            if not lease_renew(worker_id=self.worker_id, lease_seconds=self.lease_seconds):
                logger.warning("worker %s had lost its lease; taking it again", self.worker_id)
                lease_take(
                    worker_id=self.worker_id,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    queues="",
                    lease_seconds=self.lease_seconds,
                )
            _recover(self.lease_seconds)
        except Exception as exc:  # noqa: BLE001 - the beat must go on; the class name holds no personal data
            logger.warning("worker %s could not renew its lease: %s", self.worker_id, type(exc).__name__)
            connection.close()


def _recover(lease_seconds: float) -> None:
    for task_id in tasks_recover(actor=SYSTEM, lease_seconds=lease_seconds):
        logger.warning("task %s was put back on the queue: its worker stopped without finishing it", task_id)


class Command(BaseCommand):
    """Run background tasks (re-score chunks, retention sweeps, scans, reports) from the database queue.

    Policy: tasks act as their system actor (``system:rescore`` ...) or as
    the user who asked, and record the same events as in the foreground.
    The worker holds a lease (worker id, host, pid, expiry) renewed every
    third of ``--lease-seconds``; before claiming work, and at each renewal,
    it puts back on the queue every running task whose worker's lease has
    expired (a worker killed mid-task), recorded as ``task.recovered`` by
    system:worker. Tasks are safe to run again: each batch is one
    transaction, and a re-run skips what the run already did.
    """

    help = (
        "Run background tasks (re-score chunks, retention sweeps, copy scans, reports) from the database queue; "
        "several workers, on several hosts, share one queue. The worker holds a lease renewed every third of "
        "--lease-seconds (default CUSTOS_WORKER_LEASE_SECONDS, 30); a task whose worker's lease expired (the "
        "worker was killed or its host lost) is put back on the queue and run again, recorded as task.recovered. "
        "Stop it with SIGTERM or Ctrl-C: it finishes the task in hand first. --once exits when the queue is empty."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue",
            default="default",
            help="the queues to take tasks from, separated by commas; '*' for every queue (default: default)",
        )
        parser.add_argument(
            "--once",
            "--batch",
            action="store_true",
            dest="once",
            help="run every task ready now, then exit (for cron, scripts and tests)",
        )
        parser.add_argument(
            "--lease-seconds",
            type=_positive_seconds,
            default=None,
            help="how long this worker counts as alive without renewing its lease, and how long another "
            "worker's task may run with no lease at all before it is put back (default: "
            "CUSTOS_WORKER_LEASE_SECONDS, 30)",
        )
        parser.add_argument(
            "--interval",
            type=_positive_seconds,
            default=1.0,
            help="seconds to wait before looking again when the queue is empty (default: 1)",
        )
        parser.add_argument("--max-tasks", type=_positive, default=None, help="exit after running this many tasks")

    def handle(self, *args: Any, **options: Any) -> None:
        lease_seconds = float(options["lease_seconds"] or settings.CUSTOS_WORKER_LEASE_SECONDS)
        verbosity = int(options["verbosity"])
        level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        for name in ("django_tasks", "django_tasks_db", "custos.workers"):
            logging.getLogger(name).setLevel(level)
        queues = [q.strip() for q in str(options["queue"]).split(",") if q.strip()] or ["default"]
        worker_id = uuid.uuid4().hex
        host = socket.gethostname()
        lease_take(
            worker_id=worker_id, host=host, pid=os.getpid(), queues=",".join(queues), lease_seconds=lease_seconds
        )
        worker = Worker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["once"],
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not options["once"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        heartbeat = Heartbeat(worker_id=worker_id, lease_seconds=lease_seconds)
        signals = [signal.SIGINT, signal.SIGTERM, *([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])]
        handlers = {sig: signal.getsignal(sig) for sig in signals}
        try:
            if verbosity:
                self.stdout.write(
                    f"worker {worker_id} on {host} (pid {os.getpid()}): queues {','.join(queues)}, "
                    f"lease {lease_seconds:g} s{', until the queue is empty' if options['once'] else ''}"
                )
            _recover(lease_seconds)
            heartbeat.start()
            worker.configure_signals()
            worker.run()
        finally:
            for sig, handler in handlers.items():  # as they were (the command may run inside another program)
                signal.signal(sig, handler)
            heartbeat.stopped.set()
            if heartbeat.is_alive():
                heartbeat.join(timeout=lease_seconds)
            lease_release(worker_id=worker_id)
            if verbosity:
                self.stdout.write(f"worker {worker_id} stopped after {worker._run_tasks} task(s)")
