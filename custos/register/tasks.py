"""Background tasks of the register: a re-score split into chunks of people that several workers share.

``rescore_enqueue`` lists the people to re-score, cuts them into chunks of
``CHUNK_SIZE`` consecutive ids and queues one ``rescore_chunk`` task per
chunk (all or none, in one transaction). A task's arguments are the first
and last person id of its chunk, the rubric version, the run's start time
and a batch size: ids and dates, never personal data. Each chunk scores
its people in batches (``services.rescore_people``), each batch one
transaction with its ``score.computed`` events, as system:rescore. A chunk
run again (its worker was killed) skips people whose current score is under
this rubric and newer than the run's start: nobody is scored twice in one run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResult, task

from custos.register.models import Person, Rubric
from custos.register.services import rescore_people, rubric_active
from custos.workers.services import task_actor

#: People per task: large enough that a task's own overhead is small, small enough that workers share a re-score.
CHUNK_SIZE = 2000
JOB = "rescore"


@task()
def rescore_chunk(
    *,
    first_person: str,
    last_person: str,
    rubric_version: int,
    run_started: str,
    batch_size: int = 500,
    user_id: int | None = None,
) -> dict[str, Any]:
    """Re-score the unrestricted people whose ids lie from ``first_person`` to ``last_person`` (one chunk of a run).

    Scores only under the run's rubric while it is still the active one (a
    newer rubric's own re-score supersedes this run). Returns counts only.
    """
    actor = task_actor(job=JOB, user_id=user_id)
    rubric = rubric_active()
    if rubric.version != rubric_version:
        return {"people": 0, "scored": 0, "rubric": rubric_version, "skipped": "rubric no longer active"}
    ids = list(
        Person.objects.filter(pk__gte=first_person, pk__lte=last_person, restricted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    scored = rescore_people(
        actor=actor,
        person_ids=ids,
        rubric=rubric,
        batch_size=batch_size,
        run_started=dt.datetime.fromisoformat(run_started),
    )
    return {"people": len(ids), "scored": scored, "rubric": rubric_version}


def rescore_enqueue(
    *, rubric: Rubric, chunk_size: int = CHUNK_SIZE, batch_size: int = 500, user_id: int | None = None
) -> list[TaskResult[dict[str, Any]]]:
    """Queue a re-score of every unrestricted person under ``rubric`` as one task per chunk; returns the tasks.

    All chunks are queued in one transaction, so workers see the whole run
    or none of it. Records nothing itself: each chunk records its scores.
    """
    run_started = timezone.now()
    ids = [
        str(pk) for pk in Person.objects.filter(restricted_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    ]
    with transaction.atomic():
        return [
            rescore_chunk.enqueue(
                first_person=chunk[0],
                last_person=chunk[-1],
                rubric_version=rubric.version,
                run_started=run_started.isoformat(),
                batch_size=batch_size,
                user_id=user_id,
            )
            for chunk in (ids[start : start + chunk_size] for start in range(0, len(ids), chunk_size))
        ]
