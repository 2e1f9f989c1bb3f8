"""Benchmarks for Custos: they print figures; they are not timed tests.

    make bench                      # seed 100,000 people on SQLite, re-score them, then the audit log
    BENCH_PEOPLE=20000 BENCH_EVENTS=20000 make bench   # a smaller run

Each run uses a fresh data directory and database (see tests/server.py), so
nothing of yours is touched. The audit log's figures (appending events with
and without the hash chain, checkpoints, verifying) come from
``bench/audit.py``, run afterwards in a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
django.setup()  # tests.server reads model enums

from tests.server import custos_instance  # noqa: E402


def timed(label: str, run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {elapsed:8.1f} s", flush=True)
    return elapsed


def main() -> None:
    people = int(os.environ.get("BENCH_PEOPLE", "100000"))
    print(f"Custos benchmarks ({os.cpu_count()} cores), {people:,} synthetic people")
    print(f"database: {os.environ.get('CUSTOS_DATABASE_URL') or 'SQLite (fresh file)'}")
    with custos_instance(demo_users=True) as inst:
        seconds = timed(
            f"seed_demo --people {people}",
            lambda: inst.custos("seed_demo", "--people", str(people), "--seed", "1", "--no-progress"),
        )
        print(f"{'  people per second':<48} {people / seconds:8.0f}")
        rescore = timed("rescore (all people)", lambda: inst.custos("rescore", "--no-progress"))
        print(f"{'  people re-scored per second':<48} {people / rescore:8.0f}")
        timed("audit_verify (whole chain)", lambda: inst.custos("audit_verify"))
        db = inst.data_dir / "custos.sqlite3"
        if db.exists():
            size = sum(p.stat().st_size for p in inst.data_dir.glob("custos.sqlite3*"))
            print(f"{'database size':<48} {size / 1e6:8.1f} MB")
    print(flush=True)
    # Its own process: it sets Django up against an instance of its own.
    subprocess.run([sys.executable, str(Path(__file__).with_name("audit.py"))], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
