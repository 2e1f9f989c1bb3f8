"""A background re-score: chunks of people as tasks, each chunk idempotent within its run."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from custos.accounts.models import User
from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.register.models import HarmScore, Person
from custos.register.services import rescore_all, rescore_people, rubric_active, rubric_load
from custos.register.tasks import rescore_chunk, rescore_enqueue
from custos.register.tests.factories import a_person, an_item

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def _people(officer: User, n: int) -> list[Person]:
    people = []
    for i in range(n):
        person = a_person(officer, full_name=f"Chunk Person {i}")
        an_item(officer, person, source_reference=f"CAD {i}")
        people.append(person)
    return people


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return int(last or 0)


def _scored_since(seq: int) -> Counter[str]:
    """How many ``score.computed`` events each person got since ``seq``."""
    counts: Counter[str] = Counter()
    for targets in AuditEvent.objects.filter(seq__gt=seq, verb="score.computed").values_list("targets", flat=True):
        counts.update(targets)
    return counts


def _kwargs(task_id: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = DBTaskResult.objects.get(pk=task_id).args_kwargs["kwargs"]
    return kwargs


def run_queue() -> int:
    """Claim and run every ready task with django-tasks-db's worker, in this test's transaction.

    (``custos worker`` itself runs in a subprocess in tests/cli/test_tasks_cli.py: its loop closes the
    connection between tasks, which would end the test's transaction.)
    """
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="unit-test",
        excluded_queue_names=[],
    )
    ran = 0
    while (task := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)
        ran += 1
    return ran


def test_a_background_rescore_is_one_task_per_chunk_and_scores_everyone_once(officer_a: User) -> None:
    people = _people(officer_a, 5)
    before = _last_seq()
    tasks = rescore_enqueue(rubric=rubric_active(), chunk_size=2, batch_size=1)
    assert len(tasks) == 3
    # arguments are ids, a version, a time and sizes: JSON, no personal data
    for task in tasks:
        kwargs = _kwargs(task.id)
        assert set(kwargs) == {"first_person", "last_person", "rubric_version", "run_started", "batch_size", "user_id"}
        assert "Chunk Person" not in str(kwargs)
    assert run_queue() == 3
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    assert _scored_since(before) == Counter({p.ref: 1 for p in people})
    assert HarmScore.objects.filter(is_current=True).count() == 5
    events = AuditEvent.objects.filter(seq__gt=before)
    assert {e.actor_username for e in events} == {"system:rescore"}


def test_a_chunk_run_again_scores_nobody_twice_in_its_run(officer_a: User) -> None:
    people = _people(officer_a, 4)
    (task,) = rescore_enqueue(rubric=rubric_active(), chunk_size=10, batch_size=3)
    kwargs = _kwargs(task.id)
    before = _last_seq()
    first = rescore_chunk.call(**kwargs)
    again = rescore_chunk.call(**kwargs)  # as when its worker died after the last batch and another picks it up
    assert first == {"people": 4, "scored": 4, "rubric": 1}
    assert again == {"people": 4, "scored": 0, "rubric": 1}
    assert _scored_since(before) == Counter({p.ref: 1 for p in people})
    # a new run scores them again
    (task2,) = rescore_enqueue(rubric=rubric_active(), chunk_size=10, batch_size=3)
    assert rescore_chunk.call(**_kwargs(task2.id))["scored"] == 4


def test_a_chunk_half_done_finishes_the_rest_only(officer_a: User) -> None:
    people = _people(officer_a, 5)
    (task,) = rescore_enqueue(rubric=rubric_active(), chunk_size=10, batch_size=2)
    kwargs = _kwargs(task.id)
    # the first batch (two people) was written in this run before the worker died
    ordered = sorted(people, key=lambda p: str(p.pk))
    rescore_people(
        actor=Actor.system("rescore"),
        person_ids=[p.pk for p in ordered[:2]],
        rubric=rubric_active(),
        run_started=dt.datetime.fromisoformat(kwargs["run_started"]),
    )
    before = _last_seq()
    assert rescore_chunk.call(**kwargs)["scored"] == 3
    assert _scored_since(before) == Counter({p.ref: 1 for p in ordered[2:]})


def test_restricted_people_keep_their_score_and_a_superseded_rubric_scores_nobody(officer_a: User) -> None:
    people = _people(officer_a, 3)
    Person.objects.filter(pk=people[0].pk).update(restricted_at=timezone.now())  # s.47: frozen
    (task,) = rescore_enqueue(rubric=rubric_active(), chunk_size=10)
    kwargs = _kwargs(task.id)
    rubric_load(actor=SYSTEM, definition=rubric_active().definition, name="v2")
    assert rescore_chunk.call(**kwargs)["scored"] == 0  # the run's rubric is no longer the active one
    before = _last_seq()
    (task2,) = rescore_enqueue(rubric=rubric_active(), chunk_size=10)
    assert rescore_chunk.call(**_kwargs(task2.id)) == {"people": 2, "scored": 2, "rubric": 2}
    assert people[0].ref not in _scored_since(before)


def test_rescore_all_still_scores_everyone_each_run(officer_a: User) -> None:
    people = _people(officer_a, 3)
    before = _last_seq()
    assert rescore_all(actor=SYSTEM, batch_size=2) == 3
    assert rescore_all(actor=SYSTEM, batch_size=2) == 3
    assert _scored_since(before) == Counter({p.ref: 2 for p in people})
    assert HarmScore.objects.filter(is_current=True).count() == 3
