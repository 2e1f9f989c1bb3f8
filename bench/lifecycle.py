"""Lifecycle benchmarks: retention sweep, subject access compile, erasure, on SQLite and PostgreSQL.

    make bench                                   # part of the whole run
    .venv/bin/python bench/lifecycle.py          # this part only
    BENCH_LIFECYCLE_PEOPLE=20000 .venv/bin/python bench/lifecycle.py

For each database (a fresh SQLite file; then a fresh PostgreSQL database if
``BENCH_POSTGRES_URL``, default ``postgres://postgres@127.0.0.1:5432/test``,
answers) it seeds the synthetic register, then times as an operator would:

- ``retention_sweep --dry-run`` and a real sweep as of 400 days ahead (almost
  everyone is due then, so it opens a review for most people);
- compiling subject access responses (JSON and PDF) for a sample of people;
- erasure: reviewers' removal decisions for a block of people are put in
  place, then ``retention_sweep`` carries them out (tombstones, ledger, events,
  key shredding, row deletion, WAL truncation / key-table rewrite).

It prints figures; nothing here is a test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
django.setup()  # tests.server reads model enums

from tests.server import CustosInstance, custos_instance  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_LIFECYCLE_PEOPLE", os.environ.get("BENCH_PEOPLE", "100000")))
ERASE = int(os.environ.get("BENCH_ERASE", "5000"))
SAR_SAMPLE = int(os.environ.get("BENCH_SAR_SAMPLE", "20"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

SAR_SCRIPT = """
import json, statistics, time
from custos.accounts.models import User
from custos.register.models import Person
try:
    from custos.rights.services import sar_compile
except ImportError:
    print(json.dumps({"skipped": "custos.rights.services.sar_compile is not available"}))
    raise SystemExit
iru = User.objects.get(username="demo_iru")
people = list(Person.objects.order_by("?")[:%(sample)d])
times, pages = [], []
for person in people:
    start = time.perf_counter()
    result = sar_compile(actor=iru, person=person)
    times.append(time.perf_counter() - start)
times.sort()
print(json.dumps({"n": len(times), "p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
                  "max": times[-1]}))
"""

SCHEDULE_REMOVALS = """
import datetime as dt
from django.utils import timezone
from custos.register.models import Person
from custos.retention.models import Review
ids = list(Review.objects.filter(status="open").values_list("id", flat=True)[:%(erase)d])
Review.objects.filter(pk__in=ids).update(status="removal_scheduled", decision="remove",
    decided_at=timezone.now(), erasure_due_at=timezone.now() - dt.timedelta(days=1))
print(len(ids))
"""


def timed(label: str, run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"  {label:<54} {elapsed:8.1f} s", flush=True)
    return elapsed


def _shell(inst: CustosInstance, code: str) -> str:
    return inst.custos("shell", "-v", "0", "-c", code, timeout=7200).stdout.strip().splitlines()[-1]


def run_on(label: str, database_url: str | None) -> None:
    if database_url is None:
        os.environ.pop("CUSTOS_DATABASE_URL", None)
    else:
        os.environ["CUSTOS_DATABASE_URL"] = database_url
    print(f"\n{label}: {PEOPLE:,} synthetic people", flush=True)
    with custos_instance(demo_users=True) as inst:
        timed(
            f"seed_demo --people {PEOPLE}",
            lambda: inst.custos("seed_demo", "--people", str(PEOPLE), "--seed", "1", "--no-progress", timeout=7200),
        )
        ahead = (dt.date.today() + dt.timedelta(days=400)).isoformat()

        def sweep_cmd(*extra: str) -> str:
            return inst.custos("retention_sweep", "--today", ahead, "--no-progress", *extra, timeout=7200).stdout

        timed("retention_sweep --dry-run (as of +400 days)", lambda: sweep_cmd("--dry-run"))
        result: dict[str, str] = {}

        def sweep() -> None:
            result["out"] = sweep_cmd()

        seconds = timed("retention_sweep (as of +400 days, opens reviews)", sweep)
        opened = next(line for line in result["out"].splitlines() if line.startswith("open "))
        print(f"  {'  ' + opened:<54}")
        print(f"  {'  people checked per second':<54} {PEOPLE / seconds:8.0f}")
        again = timed(
            "retention_sweep again (nothing new)",
            lambda: sweep_cmd(),
        )
        print(f"  {'  people checked per second':<54} {PEOPLE / again:8.0f}")

        sar = json.loads(_shell(inst, SAR_SCRIPT % {"sample": SAR_SAMPLE}))
        if "skipped" in sar:
            print(f"  SAR compile: skipped ({sar['skipped']})")
        else:
            print(
                f"  {'SAR compile (JSON + PDF), ' + str(sar['n']) + ' people':<54} "
                f"p50 {sar['p50']:.2f} s, p95 {sar['p95']:.2f} s, max {sar['max']:.2f} s"
            )

        scheduled = int(_shell(inst, SCHEDULE_REMOVALS % {"erase": ERASE}))
        erase = timed(
            f"retention_sweep erasing {scheduled:,} decided removals",
            lambda: sweep_cmd(),
        )
        print(f"  {'  people erased per second':<54} {scheduled / erase:8.0f}")
        timed("audit_verify (whole chain)", lambda: inst.custos("audit_verify", timeout=7200))


def _postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - any failure means: skip PostgreSQL
        return False


def main() -> None:
    print(f"Lifecycle benchmarks ({os.cpu_count()} cores)")
    original = os.environ.get("CUSTOS_DATABASE_URL")
    try:
        run_on("SQLite", None)
        if _postgres_answers():
            run_on("PostgreSQL", POSTGRES_URL)
        else:
            print(f"\nPostgreSQL: skipped ({POSTGRES_URL} does not answer)")
    finally:
        if original is None:
            os.environ.pop("CUSTOS_DATABASE_URL", None)
        else:
            os.environ["CUSTOS_DATABASE_URL"] = original


if __name__ == "__main__":
    main()
