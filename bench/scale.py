"""Scale benchmark (issue 8): a million people on PostgreSQL, 100,000 on SQLite, and what the register does then.

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/scale.py   # 1,000,000 people
    .venv/bin/python bench/scale.py                                                                # SQLite, 100,000
    BENCH_SCALE_PEOPLE=20000 .venv/bin/python bench/scale.py                                       # a smaller run

On a fresh instance (tests/server.py: its own data directory and database; PostgreSQL when
``BENCH_POSTGRES_URL`` is set, else SQLite) it:

1. seeds ``BENCH_SCALE_PEOPLE`` synthetic people (default 1,000,000 on PostgreSQL, 100,000 on SQLite) with
   ``BENCH_SCALE_ITEMS_PER_PERSON`` intelligence items each (default 5) with ``custos seed_scale``: the first
   20,000 alone, to print the rate and the time the rest will take, then the rest in ``BENCH_SCALE_WORKERS``
   processes side by side (default 1; SQLite has one writer at a time, and on PostgreSQL a second process
   showed no gain on this shared 2-core machine);
2. starts gunicorn (deploy/gunicorn.conf.py, plain HTTP on loopback, ``WEB_CONCURRENCY`` workers, default
   2 x cores + 1) and times, over HTTP, one signed-in London-wide user (``demo_central_governance``) loading the
   matrix with filters (``BENCH_SCALE_REQUESTS`` requests, default 200, rotating over BCU, band, status,
   category and page) and random person pages: p50 and p95 of the server's whole answer (gunicorn's worker
   timeout is raised to 600 s so that a slow page is measured rather than killed);
3. runs locust (bench/locustfile.py) with ``BENCH_LOCUST_USERS`` users (50), spawned 10 a second, for
   ``BENCH_LOCUST_SECONDS`` (60): each signs in with password and code as its own bench account (40 officers
   spread over the BCUs, 10 central governance; created through the accounts services, audited) and
   browses; requests per second, p50/p95 and failures;
4. times ``custos rescore``, ``custos retention_sweep`` (today: victims' and witnesses' records and overdue
   listings are due), ``custos dlp_index --rebuild`` and ``custos audit_verify`` on the whole register;
5. runs bench/audit.py (audit append and verify rates) against the same database server.

It prints figures; nothing here is a test. The machine is shared: other work running at the same time makes
every figure slower.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
django.setup()  # tests.server reads model enums

import requests  # noqa: E402
from signin import sign_in  # noqa: E402

from tests.server import (  # noqa: E402
    CUSTOS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    CustosInstance,
    _free_port,
    custos_instance,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "")
PEOPLE = int(os.environ.get("BENCH_SCALE_PEOPLE", "1000000" if POSTGRES_URL else "100000"))
ITEMS = int(os.environ.get("BENCH_SCALE_ITEMS_PER_PERSON", "5"))
FIRST = min(PEOPLE, int(os.environ.get("BENCH_SCALE_FIRST", "20000")))
REQUESTS = int(os.environ.get("BENCH_SCALE_REQUESTS", "200"))
USERS = int(os.environ.get("BENCH_LOCUST_USERS", "50"))
SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "60"))
AUDIT_EVENTS = os.environ.get("BENCH_EVENTS", "100000")
WORKERS = int(os.environ.get("BENCH_SCALE_WORKERS", "1"))
TIMEOUT = 6 * 3600

ACCOUNTS = """
import json
from custos.accounts.mfa import parse_base32_secret, totp_device_enrol
from custos.accounts.models import Role
from custos.accounts.selectors import training_gaps
from custos.accounts.services import training_record, user_create
from custos.audit.services import Actor
from custos.register.models import BCU
from django.db import transaction
from django.utils import timezone
actor = Actor.system("bench_scale")
secret = parse_base32_secret(%(secret)r)
codes = list(BCU.objects.order_by("code").values_list("code", flat=True))
users = []
for i in range(%(users)d):
    central = i %% 5 == 4
    bcu = "" if central else codes[i %% len(codes)]
    with transaction.atomic():
        user = user_create(actor=actor, username=f"bench_{i:03d}", password=%(password)r,
                           role=Role.CENTRAL_GOVERNANCE if central else Role.OFFICER, bcu_code=bcu,
                           check_password=False)
        totp_device_enrol(actor=actor, user=user, secret=secret)
        for status in training_gaps(user):
            training_record(actor=actor, user=user, course=status.course, completed_on=timezone.localdate(),
                            evidence_reference="Benchmark account (synthetic data only)")
    users.append({"username": user.username, "bcu": bcu})
print(json.dumps({"users": users, "bcus": codes}))
"""

SAMPLE = """
import json
from custos.register.models import BCU, Nomination, Person
out = {}
for code in BCU.objects.values_list("code", flat=True):
    ids = list(Person.objects.filter(bcu__code=code).order_by("?").values_list("id", flat=True)[:%(n)d])
    out[code] = [str(i) for i in ids]
counts = {"people": Person.objects.count(), "nominations": Nomination.objects.count()}
print(json.dumps({"people": out, "counts": counts}))
"""

EVENTS = "from custos.audit.models import AuditEvent; print(AuditEvent.objects.count())"

MATRIX_QUERIES: list[dict[str, str]] = [
    {},
    {"band": "red"},
    {"band": "amber", "status": "active"},
    {"status": "proposed"},
    {"band": "none"},
    {"category": "victim"},
    {"category": "suspected_offender", "band": "green"},
    {"page": "20"},
    {"bcu": "*"},
    {"bcu": "*", "band": "amber"},
]

rows: list[tuple[str, str]] = []


def say(label: str, value: str) -> None:
    rows.append((label, value))
    print(f"  {label:<58} {value}", flush=True)


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def shell(inst: CustosInstance, code: str) -> str:
    return inst.custos("shell", "-v", "0", "-c", code, timeout=TIMEOUT).stdout.strip().splitlines()[-1]


def run_streamed(inst: CustosInstance, *args: str) -> str:
    """Run a custos command with its progress lines shown as they come; returns its standard output."""
    result = subprocess.run(
        [CUSTOS, *args], env=inst.env, stdout=subprocess.PIPE, stderr=None, text=True, timeout=TIMEOUT, check=True
    )
    print(result.stdout, end="", flush=True)
    return result.stdout


def seed(inst: CustosInstance) -> None:
    print(f"seed_scale: {PEOPLE:,} people, {ITEMS} items each", flush=True)
    base = ["seed_scale", "--items-per-person", str(ITEMS)]
    first, _ = timed(lambda: run_streamed(inst, *base, "--people", str(FIRST), "--seed", "1"))
    rate = FIRST / first
    say(f"seed_scale, first {FIRST:,} people", f"{first:8.1f} s  ({rate:,.0f} people/s, {rate * ITEMS:,.0f} items/s)")
    rest = PEOPLE - FIRST
    if not rest:
        return
    say("  expected for the rest at that rate (one process)", f"{rest / rate / 60:8.1f} min")
    shares = [rest // WORKERS + (1 if i < rest % WORKERS else 0) for i in range(WORKERS)]
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [CUSTOS, *base, "--people", str(share), "--seed", str(2 + i)],
            env=inst.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i, share in enumerate(shares)
        if share
    ]
    for process in processes:
        out, _ = process.communicate(timeout=TIMEOUT)
        print(out, end="", flush=True)
        if process.returncode:
            raise SystemExit(f"seed_scale failed ({process.returncode})")
    seconds = time.perf_counter() - start
    say(
        f"seed_scale, the other {rest:,} people ({len(processes)} processes)",
        f"{seconds:8.1f} s  ({rest / seconds:,.0f} people/s, {rest * ITEMS / seconds:,.0f} items/s)",
    )
    say("  seeding time per 100,000 people (whole run)", f"{(first + seconds) / PEOPLE * 1e5 / 60:8.1f} min")


def percentiles(times: list[float]) -> str:
    if not times:
        return "no successful request"
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:7.0f} ms, p95 {p95 * 1000:7.0f} ms (n={len(ordered)})"


def start_gunicorn(inst: CustosInstance) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = _free_port()
    env = inst.env | {"CUSTOS_BIND": f"127.0.0.1:{port}", "CUSTOS_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    env.setdefault("WEB_CONCURRENCY", str((os.cpu_count() or 1) * 2 + 1))
    env.setdefault("CUSTOS_WORKER_TIMEOUT", "600")  # a slow page at scale is measured, not killed after 60 s
    log = inst.data_dir / "gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=str(inst.data_dir),
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped:\n" + log.read_text()[-3000:])
        try:
            if requests.get(url + "/sign-in/", timeout=5).status_code == 200:
                return process, url, log
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("gunicorn did not answer within 120 s:\n" + log.read_text()[-3000:])
        time.sleep(0.5)


def pages(url: str, people: dict[str, list[str]], bcus: list[str]) -> None:
    session = requests.Session()
    sign_in(session, url, username="demo_central_governance", password=DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET)
    by_query: dict[str, list[float]] = {}
    times: list[float] = []
    failures: list[str] = []
    for n in range(REQUESTS):
        query = dict(MATRIX_QUERIES[n % len(MATRIX_QUERIES)])
        if query.get("bcu") == "*":
            query["bcu"] = bcus[n % len(bcus)]
        start = time.perf_counter()
        response = session.get(url + "/matrix/", params=query, timeout=300)
        elapsed = time.perf_counter() - start
        if response.status_code != 200 or "/purpose/" in response.url:
            failures.append(f"matrix {response.status_code}")
            continue
        times.append(elapsed)
        key = "&".join(f"{k}={'<bcu>' if k == 'bcu' else v}" for k, v in query.items()) or "(no filter)"
        by_query.setdefault(key, []).append(elapsed)
    say("matrix list page, filters rotating (HTTP, gunicorn)", percentiles(times))
    for key, values in by_query.items():
        say(f"    {key}", f"p50 {statistics.median(values) * 1000:7.0f} ms, max {max(values) * 1000:7.0f} ms")
    everyone = [p for ps in people.values() for p in ps]
    times = []
    for n in range(REQUESTS):
        person = everyone[(n * 7919) % len(everyone)]
        start = time.perf_counter()
        response = session.get(f"{url}/people/{person}/", timeout=300)
        if response.status_code != 200:
            failures.append(f"person page {response.status_code}")
            continue
        times.append(time.perf_counter() - start)
    say("person page, random people (HTTP, gunicorn)", percentiles(times))
    if failures:
        say("  requests that failed (not timed)", ", ".join(sorted(set(failures))) + f" ({len(failures)})")


def locust(inst: CustosInstance, url: str, data: dict[str, Any]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="h4-locust-", dir=inst.data_dir))
    data_file = folder / "data.json"
    data_file.write_text(json.dumps(data))
    prefix = folder / "stats"
    command = [
        str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
        "-u", str(USERS), "-r", "10", "-t", f"{SECONDS}s", "--host", url, "--csv", str(prefix),
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        env=os.environ | {"BENCH_LOCUST_DATA": str(data_file)},
        capture_output=True,
        text=True,
        timeout=SECONDS + 600,
        check=False,
    )
    stats = prefix.with_name("stats_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust wrote no statistics ({result.returncode}):\n{result.stderr[-3000:]}")
    with open(stats, newline="") as handle:
        for row in csv.DictReader(handle):
            name = f"{row['Type']} {row['Name']}".strip() if row["Name"] != "Aggregated" else "all requests"
            say(
                f"locust {USERS} users {SECONDS}s: {name}",
                f"{float(row['Requests/s']):6.1f} req/s, p50 {row['50%']} ms, p95 {row['95%']} ms, "
                f"{row['Request Count']} requests, {row['Failure Count']} failures",
            )
    failures = prefix.with_name("stats_failures.csv")
    if failures.exists():
        lines = failures.read_text().splitlines()[1:6]
        for line in lines:
            print(f"    failure: {line}", flush=True)


def maintenance(inst: CustosInstance, people: int) -> None:
    seconds, _ = timed(lambda: inst.custos("rescore", "--no-progress", timeout=TIMEOUT))
    say("rescore (everyone)", f"{seconds:8.1f} s  ({people / seconds:,.0f} people/s)")
    seconds, out = timed(lambda: inst.custos("retention_sweep", "--no-progress", timeout=TIMEOUT).stdout)
    opened = next((line.strip() for line in out.splitlines() if line.startswith("open")), "")
    say("retention_sweep (today)", f"{seconds:8.1f} s  ({people / seconds:,.0f} people/s; {opened})")
    seconds, out = timed(lambda: inst.custos("dlp_index", "--rebuild", "--no-progress", timeout=TIMEOUT).stdout)
    say("dlp_index --rebuild", f"{seconds:8.1f} s  ({people / seconds:,.0f} people/s)")
    events = int(shell(inst, EVENTS))
    seconds, _ = timed(lambda: inst.custos("audit_verify", timeout=TIMEOUT))
    say(f"audit_verify, whole chain ({events:,} events)", f"{seconds:8.1f} s  ({events / seconds:,.0f} events/s)")


AUDIT_RUN = """
import os, runpy, sys
from pathlib import Path
sys.path.insert(0, %(root)r)
from tests.server import CustosInstance
bench = runpy.run_path(%(script)r)
inst = CustosInstance(data_dir=Path(os.environ["CUSTOS_DATA_DIR"]), env=dict(os.environ),
                      database_url=os.environ["CUSTOS_DATABASE_URL"])
bench["run"](inst, %(events)d, %(singles)d)
"""


def audit_rates() -> None:
    """bench/audit.py's measurements, run inside ``custos shell`` of a fresh instance of their own.

    (Run as a script, bench/audit.py imports tests.server before Django is set up and stops.)
    """
    events = int(AUDIT_EVENTS)
    code = AUDIT_RUN % {
        "root": str(ROOT),
        "script": str(Path(__file__).with_name("audit.py")),
        "events": events,
        "singles": min(events, 5000),
    }
    print(f"\nbench/audit.py, {events:,} events (a fresh instance):", flush=True)
    with custos_instance(demo_users=False) as inst:
        result = inst.custos("shell", "-v", "0", "-c", code, timeout=TIMEOUT, check=False)
    print(result.stdout, flush=True)
    if result.returncode != 0:
        say("bench/audit.py", f"failed ({result.returncode}): {result.stderr.strip().splitlines()[-1:]}")
        return
    for line in result.stdout.splitlines():
        if line.rstrip().endswith(" /s"):
            label, value, _ = line.rsplit(None, 2)
            rows.append(("audit: " + label.strip(), f"{float(value):8,.0f} /s"))


def main() -> None:
    if POSTGRES_URL:
        os.environ["CUSTOS_DATABASE_URL"] = POSTGRES_URL
    else:
        os.environ.pop("CUSTOS_DATABASE_URL", None)
    database = "PostgreSQL" if POSTGRES_URL else "SQLite"
    print(f"Custos scale benchmark ({os.cpu_count()} cores), {database}, {PEOPLE:,} people x {ITEMS} items")
    with custos_instance(demo_users=True) as inst:
        seed(inst)
        sample = json.loads(shell(inst, SAMPLE % {"n": 200}))
        say("register", f"{sample['counts']['people']:,} people, {sample['counts']['nominations']:,} nominations")
        accounts = json.loads(
            shell(inst, ACCOUNTS % {"secret": DEMO_TOTP_SECRET, "users": USERS, "password": DEMO_PASSWORD})
        )
        process, url, log = start_gunicorn(inst)
        try:
            pages(url, sample["people"], accounts["bcus"])
            locust(
                inst,
                url,
                {
                    "password": DEMO_PASSWORD,
                    "totp_secret": DEMO_TOTP_SECRET,
                    "users": accounts["users"],
                    "bcus": accounts["bcus"],
                    "people": sample["people"],
                },
            )
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        maintenance(inst, sample["counts"]["people"])
    audit_rates()
    print(f"\nSummary ({database}, {PEOPLE:,} people x {ITEMS} items):")
    for label, value in rows:
        print(f"  {label:<58} {value}")


if __name__ == "__main__":
    main()
