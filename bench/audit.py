"""Audit log benchmarks: appending with and without the hash chain, signed checkpoints, verifying.

    .venv/bin/python bench/audit.py                          # 100,000 events on SQLite
    BENCH_EVENTS=20000 .venv/bin/python bench/audit.py       # a smaller run
    CUSTOS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/audit.py

It prints figures and asserts nothing. Each run uses a fresh data directory
and database (see tests/server.py), so nothing of yours is touched; the
benchmark then drives Django in this process against that instance.

The baseline inserts the same rows with a plain ``bulk_create`` in the same
batches and transactions, but computes no hash and takes no head lock, so
the difference is what the chain costs. It runs last, because its rows
break the chain on purpose.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.server import custos_instance  # noqa: E402

BATCH = 1000


def timed(label: str, run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = run()
    elapsed = time.perf_counter() - start
    print(f"{label:<56} {elapsed:8.2f} s", flush=True)
    return elapsed, value


def rate(label: str, count: int, seconds: float) -> None:
    print(f"{'  ' + label:<56} {count / seconds:8.0f} /s", flush=True)


def main() -> None:
    events = int(os.environ.get("BENCH_EVENTS", "100000"))
    singles = min(events, int(os.environ.get("BENCH_SINGLE_EVENTS", "5000")))
    print(f"Custos audit benchmarks ({os.cpu_count()} cores), {events:,} events in batches of {BATCH:,}")
    print(f"database: {os.environ.get('CUSTOS_DATABASE_URL') or 'SQLite (fresh file)'}")
    with custos_instance(demo_users=False) as inst:
        for name in ("CUSTOS_DATA_DIR", "CUSTOS_DATABASE_URL"):
            os.environ[name] = inst.env[name]
        os.environ["DJANGO_SETTINGS_MODULE"] = "custos.settings"
        import django

        django.setup()
        run(inst, events, singles)


def run(inst: Any, events: int, singles: int) -> None:
    from django.db import transaction

    from custos.audit.checkpoints import checkpoint_create, consistency_proof_between, inclusion_proof_for
    from custos.audit.models import AuditEvent, Verb
    from custos.audit.services import Actor, EventSpec, event_record, events_record
    from custos.audit.verify import chain_verify, log_verify

    actor = Actor(id=42, username="bench_officer", role="officer", bcu="central-east")

    def spec(i: int) -> EventSpec:
        return EventSpec(
            verb=Verb.PERSON_CONSULTED,
            object_type="person",
            object_ref=f"person:{i:012d}-0000-4000-8000-000000000000",
            purpose="Operation benchmark: reviewing nominal before a case conference",
            detail={"fields": ["names", "addresses"], "page": i % 50},
        )

    def chained_batches() -> None:
        for start in range(0, events, BATCH):
            with transaction.atomic():
                events_record(actor=actor, specs=[spec(i) for i in range(start, min(start + BATCH, events))])

    def chained_singles() -> None:
        for i in range(singles):
            with transaction.atomic():
                event_record(actor=actor, verb=Verb.PERSON_CONSULTED, object_ref=f"person:{i}", purpose="single")

    seconds, _ = timed(f"events_record, chained, {events:,} in batches", chained_batches)
    rate("events appended per second (chained, batched)", events, seconds)
    seconds, _ = timed(f"event_record, chained, {singles:,} one per transaction", chained_singles)
    rate("events appended per second (chained, one per txn)", singles, seconds)

    total = AuditEvent.objects.count()
    seconds, outcome = timed(f"first checkpoint over {total:,} events (reads all)", checkpoint_create)
    rate("events checkpointed per second", total, seconds)
    with transaction.atomic():
        events_record(actor=actor, specs=[spec(i) for i in range(BATCH)])
    seconds, outcome = timed(f"next checkpoint, {BATCH:,} new events (incremental)", checkpoint_create)
    size = outcome.checkpoint.tree_size

    seconds, result = timed(f"chain_verify ({size:,} events)", chain_verify)
    rate("events verified per second (chain only)", result.checked, seconds)
    seconds, result = timed(f"log_verify ({size:,} events, chain + 2 checkpoints)", log_verify)
    rate("events verified per second (chain + Merkle)", result.checked, seconds)
    if not result.ok:
        print(f"  log_verify FAILED, figures are meaningless: {result.reason}", flush=True)
    timed("custos audit_verify (subprocess, wall clock)", lambda: inst.custos("audit_verify"))
    timed("inclusion proof of event #1 (streams the tree)", lambda: inclusion_proof_for(seq=1))
    timed(
        f"consistency proof {size // 2:,} -> {size:,}",
        lambda: consistency_proof_between(old_size=size // 2, new_size=size),
    )

    # Baseline: the same rows, no chain. Sequence numbers far above the log's.
    base = 10**12
    filler = "0" * 64

    def plain(i: int, seq: int) -> AuditEvent:
        s = spec(i)
        return AuditEvent(
            seq=seq,
            occurred_at=outcome.checkpoint.created_at,
            actor_id=actor.id,
            actor_username=actor.username,
            actor_role=actor.role,
            actor_bcu=actor.bcu,
            verb=s.verb,
            object_type=s.object_type,
            object_ref=s.object_ref,
            targets=[],
            purpose=s.purpose,
            recipients=[],
            detail=s.detail,
            request_id="",
            prev_hash=filler,
            hash=filler,
        )

    def plain_batches() -> None:
        for start in range(0, events, BATCH):
            with transaction.atomic():
                AuditEvent.objects.bulk_create(
                    [plain(i, base + i) for i in range(start, min(start + BATCH, events))], batch_size=500
                )

    def plain_singles() -> None:
        for i in range(singles):
            with transaction.atomic():
                AuditEvent.objects.bulk_create([plain(i, base + events + i)])

    seconds, _ = timed(f"baseline bulk_create, no chain, {events:,} in batches", plain_batches)
    rate("rows inserted per second (no chain, batched)", events, seconds)
    seconds, _ = timed(f"baseline insert, no chain, {singles:,} one per transaction", plain_singles)
    rate("rows inserted per second (no chain, one per txn)", singles, seconds)


if __name__ == "__main__":
    main()
