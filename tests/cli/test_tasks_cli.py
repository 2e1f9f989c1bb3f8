"""Background work as an operator runs it: queue a re-score, run `custos worker` processes, kill one mid-task.

The state is read straight from the instance's database (SQLite file or
PostgreSQL) so the tests can poll it while workers run; every wait polls a
condition, none is a fixed sleep.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import pytest

from tests.server import CUSTOS, CustosInstance, custos_instance

pytestmark = pytest.mark.cli

TASK_ID = re.compile(r"^\s+([0-9a-f-]{36})$", re.MULTILINE)


@pytest.fixture(scope="module")
def instance() -> Iterator[CustosInstance]:
    with custos_instance(demo_users=False) as inst:
        yield inst


def rows(inst: CustosInstance, sql: str) -> list[tuple[Any, ...]]:
    """Run one query on the instance's own database."""
    if inst.database_url.startswith("sqlite:///"):
        with closing(sqlite3.connect(inst.database_url.removeprefix("sqlite:///"), timeout=30)) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(inst.database_url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type,unused-ignore]


def db_now(inst: CustosInstance) -> str:
    return "strftime('%Y-%m-%d %H:%M:%f', 'now')" if inst.database_url.startswith("sqlite") else "now()"


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def last_seq(inst: CustosInstance) -> int:
    return int(rows(inst, "SELECT COALESCE(MAX(seq), 0) FROM audit_auditevent")[0][0])


def events_since(inst: CustosInstance, seq: int) -> list[tuple[str, str, str, list[str]]]:
    found = rows(
        inst,
        f"SELECT verb, actor_username, object_ref, targets FROM audit_auditevent WHERE seq > {seq} ORDER BY seq",
    )
    return [(verb, actor, ref, as_json(targets)) for verb, actor, ref, targets in found]


def scored_since(inst: CustosInstance, seq: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for verb, _, _, targets in events_since(inst, seq):
        if verb == "score.computed":
            counts.update(targets)
    return counts


def people_refs(inst: CustosInstance) -> set[str]:
    found = rows(inst, "SELECT id FROM register_person WHERE restricted_at IS NULL")
    return {f"person:{uuid.UUID(str(r[0]))}" for r in found}


def tasks(inst: CustosInstance) -> dict[str, tuple[str, list[str]]]:
    """Every task: id -> (status, the workers that claimed it)."""
    found = rows(inst, "SELECT id, status, worker_ids FROM django_tasks_database_dbtaskresult")
    return {str(tid).replace("-", ""): (status, as_json(workers)) for tid, status, workers in found}


def key(task_id: str) -> str:
    return task_id.replace("-", "")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.02)


def worker(inst: CustosInstance, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CUSTOS, "worker", *args],
        env=inst.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_workers_share_a_background_rescore_and_score_everyone_once(instance: CustosInstance) -> None:
    instance.custos("seed_demo", "--people", "60", "--seed", "3", "--no-progress")
    before = last_seq(instance)
    queued = instance.custos("rescore", "--background", "--chunk-size", "10", "--batch-size", "4")
    ids = TASK_ID.findall(queued.stdout)
    assert len(ids) == 6, queued.stdout
    assert "custos worker" in queued.stdout
    assert "custos tasks" in queued.stdout
    assert {tasks(instance)[key(i)][0] for i in ids} == {"READY"}
    assert events_since(instance, before) == []  # queued, nothing scored yet

    workers = [worker(instance, "--once"), worker(instance, "--once")]
    for process in workers:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output

    state = tasks(instance)
    assert {state[key(i)][0] for i in ids} == {"SUCCESSFUL"}
    assert all(len(state[key(i)][1]) == 1 for i in ids)  # each claimed once
    assert scored_since(instance, before) == Counter(dict.fromkeys(people_refs(instance), 1))
    assert {actor for _, actor, _, _ in events_since(instance, before)} == {"system:rescore"}
    current = rows(instance, "SELECT COUNT(*), COUNT(DISTINCT person_id) FROM register_harmscore WHERE is_current")
    assert current[0] == (len(people_refs(instance)), len(people_refs(instance)))
    assert rows(instance, "SELECT COUNT(*) FROM workers_workerlease") == [(0,)]  # both gave their lease up
    listed = instance.custos("tasks", "--limit", "6").stdout
    assert listed.count("SUCCESSFUL") == 6
    assert listed.count("rescore_chunk") == 6
    assert all(i in listed for i in ids)
    assert "custos.register" not in listed
    assert "audit chain intact" in instance.custos("audit_verify").stdout

    # the retention sweep, the same way
    before = last_seq(instance)
    queued = instance.custos("retention_sweep", "--background")
    (sweep,) = TASK_ID.findall(queued.stdout) or re.findall(r"task ([0-9a-f-]{36})", queued.stdout)
    instance.custos("worker", "--once")
    assert tasks(instance)[key(sweep)][0] == "SUCCESSFUL"
    assert [(v, a) for v, a, _, _ in events_since(instance, before)][-1] == (
        "retention.swept",
        "system:retention-sweep",
    )
    refused = instance.custos("retention_sweep", "--background", "--dry-run", check=False)
    assert refused.returncode != 0


def test_a_worker_killed_mid_task_leaves_no_half_batch_and_its_task_is_run_again(instance: CustosInstance) -> None:
    instance.custos("seed_demo", "--people", "300", "--seed", "4", "--no-progress")
    people = people_refs(instance)
    before = last_seq(instance)
    queued = instance.custos("rescore", "--background", "--chunk-size", "200", "--batch-size", "1")
    ids = TASK_ID.findall(queued.stdout)
    assert len(ids) == 2

    first = worker(instance, "--lease-seconds", "1")
    try:
        wait_for(
            lambda: (
                any(status == "RUNNING" for status, _ in tasks(instance).values())
                and bool(scored_since(instance, before))
            ),
            "a worker part way through a chunk",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    state = tasks(instance)
    killed = [i for i in ids if state[key(i)][0] == "RUNNING"]
    assert len(killed) == 1, state
    scored_when_killed = scored_since(instance, before)
    assert 0 < sum(scored_when_killed.values()) < len(people)

    # the killed worker's lease runs out; the next worker puts its task back and finishes the run
    now = db_now(instance)
    wait_for(
        lambda: rows(instance, f"SELECT COUNT(*) FROM workers_workerlease WHERE expires_at > {now}") == [(0,)],
        "the killed worker's lease to expire",
        timeout=60,
    )
    second = instance.custos("worker", "--once", "--lease-seconds", "1")
    assert second.returncode == 0

    state = tasks(instance)
    assert {state[key(i)][0] for i in ids} == {"SUCCESSFUL"}
    assert len(state[key(killed[0])][1]) == 2  # claimed by the killed worker, then by the second
    events = events_since(instance, before)
    recovered = [(actor, ref) for verb, actor, ref, _ in events if verb == "task.recovered"]
    assert recovered == [("system:worker", f"task:{killed[0]}")]
    # nobody scored twice in the run, everyone scored once
    assert scored_since(instance, before) == Counter(dict.fromkeys(people, 1))
    # no half-written batch: every score of the run has its event and every event its score
    scores = rows(
        instance,
        "SELECT COUNT(*) FROM register_harmscore WHERE is_current AND computed_at >= "
        "(SELECT MIN(enqueued_at) FROM django_tasks_database_dbtaskresult WHERE task_path LIKE '%rescore_chunk' "
        f"AND id IN ({', '.join(repr(i if 'postgres' in instance.database_url else key(i)) for i in ids)}))",
    )
    assert scores == [(len(people),)]
    assert "audit chain intact" in instance.custos("audit_verify").stdout
