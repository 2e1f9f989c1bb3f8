"""Background re-score benchmark: one `custos worker` against two, on PostgreSQL (issue 8: two at least 1.8x faster).

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/tasks.py
    BENCH_TASKS_PEOPLE=20000 .venv/bin/python bench/tasks.py

It creates a fresh PostgreSQL database (``BENCH_POSTGRES_URL``, default
``postgres://postgres@127.0.0.1:5432/test``), seeds ``BENCH_TASKS_PEOPLE``
synthetic people (default 50,000), then for 1 and for 2 workers: queues a
re-score (``custos rescore --background``, chunks of ``BENCH_TASKS_CHUNK``
people, batches of ``BENCH_TASKS_BATCH``), starts that many ``custos worker
--once`` processes at once and times them until the last one exits. A
foreground ``custos rescore`` is timed first, for reference. Besides the
times it prints, in cores, the CPU the workers used, the CPU the PostgreSQL
server on this host used (for all its clients) and how busy the whole machine
was (/proc), which tells whether the workers or the database were the limit.
It prints figures; nothing here is a test.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
django.setup()  # tests.server reads model enums

from tests.server import CUSTOS, CustosInstance, custos_instance  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_TASKS_PEOPLE", "50000"))
CHUNK = int(os.environ.get("BENCH_TASKS_CHUNK", "2000"))
BATCH = int(os.environ.get("BENCH_TASKS_BATCH", "500"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def _cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat (zeros where there is none)."""
    try:
        fields = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def _postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server on this host: its live processes, and the backends it has reaped.

    Every client of the server counts (anything else using it meanwhile too); 0 where /proc is not there.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if not name.startswith("postgres"):
            continue
        fields = text[text.rindex(")") + 2 :].split()
        total += sum(float(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _task_span(inst: CustosInstance, task_ids: list[str]) -> float:
    """Seconds from the first task's start to the last one's end (the workers' start-up left out)."""
    import psycopg

    with psycopg.connect(inst.database_url, autocommit=True) as conn:
        first, last = conn.execute(
            "SELECT MIN(started_at), MAX(finished_at) FROM django_tasks_database_dbtaskresult WHERE id = ANY(%s)",
            ([uuid.UUID(i) for i in task_ids],),
        ).fetchone() or (None, None)
    return float((last - first).total_seconds()) if first and last else 0.0


def run_workers(inst: CustosInstance, workers: int) -> dict[str, float]:
    """Queue a re-score, run ``workers`` processes until the queue is empty; wall time and CPU figures."""
    queued = inst.custos("rescore", "--background", "--chunk-size", str(CHUNK), "--batch-size", str(BATCH))
    task_ids = [line.strip() for line in queued.stdout.splitlines() if line.startswith("  ")]
    busy0, total0 = _cpu_busy()
    cpu0 = _children_cpu()
    pg0 = _postgres_cpu()
    start = time.perf_counter()
    processes = [
        subprocess.Popen([CUSTOS, "worker", "--once", "-v", "0"], env=inst.env, stdout=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    for process in processes:
        if process.wait(timeout=7200) != 0:
            raise SystemExit(f"a worker failed (exit {process.returncode})")
    elapsed = time.perf_counter() - start
    busy1, total1 = _cpu_busy()
    worker_cpu = _children_cpu() - cpu0
    postgres_cpu = _postgres_cpu() - pg0
    machine = (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0
    return {
        "seconds": elapsed,
        "tasks": len(task_ids),
        "span": _task_span(inst, task_ids),
        "worker_cpu": worker_cpu,
        "postgres_cpu": postgres_cpu,
        "machine_busy": machine,
    }


def main() -> None:
    cores = os.cpu_count() or 1
    print(f"Background re-score: 1 worker against 2 ({cores} cores; the database server on the same host)")
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except Exception:  # noqa: BLE001 - any failure means: skip
        print(f"PostgreSQL: skipped ({POSTGRES_URL} does not answer)")
        return
    original = os.environ.get("CUSTOS_DATABASE_URL")
    os.environ["CUSTOS_DATABASE_URL"] = POSTGRES_URL
    try:
        with custos_instance(demo_users=False) as inst:
            start = time.perf_counter()
            inst.custos("seed_demo", "--people", str(PEOPLE), "--seed", "1", "--no-progress", timeout=7200)
            print(f"  seed_demo --people {PEOPLE:<34,} {time.perf_counter() - start:8.1f} s", flush=True)
            start = time.perf_counter()
            inst.custos("rescore", "--no-progress", "--batch-size", str(BATCH), timeout=7200)
            print(f"  {'rescore in the foreground (reference)':<54} {time.perf_counter() - start:8.1f} s", flush=True)
            results = {}
            for workers in (1, 2):
                r = run_workers(inst, workers)
                results[workers] = r
                label = f"rescore --background, {workers} worker(s), {int(r['tasks'])} tasks"
                print(
                    f"  {label:<54} "
                    f"{r['seconds']:8.1f} s  (first task start to last end {r['span']:.1f} s; workers used "
                    f"{r['worker_cpu'] / r['seconds']:.2f} cores, PostgreSQL {r['postgres_cpu'] / r['seconds']:.2f} "
                    f"cores; machine {r['machine_busy']:.0%} busy)",
                    flush=True,
                )
            ratio = results[1]["seconds"] / results[2]["seconds"]
            print(f"  {'speed-up of 2 workers over 1 (target 1.8x)':<54} {ratio:8.2f} x")
            if results[2]["span"]:
                span_ratio = results[1]["span"] / results[2]["span"]
                print(f"  {'  the same, task time only (no worker start-up)':<54} {span_ratio:8.2f} x")
    finally:
        if original is None:
            os.environ.pop("CUSTOS_DATABASE_URL", None)
        else:
            os.environ["CUSTOS_DATABASE_URL"] = original


if __name__ == "__main__":
    main()
