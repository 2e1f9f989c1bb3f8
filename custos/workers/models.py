"""A worker's lease: proof, renewed every few seconds, that a ``custos worker`` process is alive.

The task queue itself is django-tasks-db's ``DBTaskResult``. It records which
worker claimed a task but not whether that worker still runs: a worker killed
mid-task leaves its task RUNNING for ever. Each ``custos worker`` therefore
holds a lease row, renewed from a thread; a RUNNING task whose worker's lease
has expired is put back on the queue by the next worker (``services``).
"""

from __future__ import annotations

from django.db import models


class WorkerLease(models.Model):
    """One running (or dead) ``custos worker`` process: who, where, and until when it is presumed alive."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    #: Set from the database's clock at each renewal (heartbeat + the worker's lease), so hosts need not agree on time.
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-heartbeat_at"]

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.host} (pid {self.pid})"
