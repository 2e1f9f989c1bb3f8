"""Sharing benchmark: how long a package for 1,000 people takes to build, on SQLite and PostgreSQL.

    make bench                                  # part of the whole run
    .venv/bin/python bench/sharing.py           # this part only
    BENCH_SHARING_PEOPLE=5000 BENCH_SHARE=2000 .venv/bin/python bench/sharing.py

For each database it seeds a synthetic register (``seed_demo``, default
5,000 people), drafts and approves an agreement that allows every field
(intelligence included, so every summary goes through third-party
redaction) for every category and band, asks to share the first ``BENCH_SHARE``
people (default 1,000) as central governance, and times:

- the request (every policy check, necessity sealed with each person's key);
- the approval, which builds the package: re-checks, reads and decrypts the
  people and their intelligence, redacts third parties through the blind
  index, plants the canary, zips, encrypts to the recipient's age key and
  registers it through the export service;
- opening it with the Debian ``age`` command, as the recipient would.

It prints figures; nothing here is a test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
django.setup()  # tests.server reads model enums

from tests.server import CustosInstance, custos_instance  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_SHARING_PEOPLE", "5000"))
SHARE = int(os.environ.get("BENCH_SHARE", "1000"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

SCRIPT = """
import datetime as dt, json, time
from django.utils import timezone
from custos.accounts.models import User
from custos.crypto.age import age_identity_new
from custos.register.models import Person
from custos.sharing import rules, services
from custos.sharing.services import AgreementInput, Asked
central = User.objects.get(username="demo_central_governance")
iru = User.objects.get(username="demo_iru")
identity, recipient = age_identity_new()
data = AgreementInput(
    title="Benchmark agreement", recipient_name="Benchmark Youth Offending Service", recipient_kind="statutory",
    legal_basis="DPA 2018 s.35(2)(b)", purpose="Benchmark", fields=list(rules.FIELDS),
    categories=list(rules.CATEGORIES), bands=list(rules.BANDS), onward_sharing="None.", retention_days=30,
    security="Benchmark.", recipient_key=recipient, review_date=timezone.localdate() + dt.timedelta(days=300),
    signatories=[{"name": "A", "role": "B", "organisation": "C"}, {"name": "D", "role": "E", "organisation": "F"}],
)
agreement = services.agreement_draft(actor=central, data=data)
agreement = services.agreement_approve(actor=iru, agreement=agreement, notes="benchmark")
people = [p for p in Person.objects.order_by("created_at") if not p.is_restricted]
stand = services.standings(people)
eligible = [p for p in people if stand[p.pk].categories][:%(share)d]
start = time.perf_counter()
disclosure = services.disclosure_request(
    actor=central, agreement=agreement, purpose="BENCH-1: sharing benchmark",
    people=[Asked(p.pk, "Necessary for the benchmark referral panel.") for p in eligible],
)
requested = time.perf_counter() - start
start = time.perf_counter()
disclosure = services.disclosure_approve(actor=iru, disclosure=disclosure, reasons="benchmark")
built = time.perf_counter() - start
path = services.package_path(disclosure)
print(json.dumps({"people": len(eligible), "request": requested, "build": built, "bytes": disclosure.package_bytes,
                  "redactions": disclosure.redactions, "path": str(path), "identity": identity}))
"""


def timed(label: str, seconds: float) -> None:
    print(f"  {label:<58} {seconds:8.2f} s", flush=True)


def run_on(label: str, database_url: str | None) -> None:
    if database_url is None:
        os.environ.pop("CUSTOS_DATABASE_URL", None)
    else:
        os.environ["CUSTOS_DATABASE_URL"] = database_url
    print(f"\n{label}: {PEOPLE:,} synthetic people, sharing {SHARE:,}", flush=True)
    with custos_instance(demo_users=True) as inst:
        start = time.perf_counter()
        inst.custos("seed_demo", "--people", str(PEOPLE), "--seed", "1", "--no-progress", timeout=7200)
        timed(f"seed_demo --people {PEOPLE}", time.perf_counter() - start)
        result = _run(inst)
        timed(f"request: checks for {result['people']:,} people", result["request"])
        timed(f"approve: build the package for {result['people']:,} people", result["build"])
        print(f"  {'  package size (age-encrypted ZIP)':<58} {result['bytes'] / 1024:8.0f} KiB")
        print(f"  {'  third-party names redacted':<58} {result['redactions']:8d}")
        age = shutil.which("age")
        if age is None:
            print("  open with age: skipped (the Debian 'age' package is not installed)")
            return
        with tempfile.TemporaryDirectory() as tmp:
            key = Path(tmp) / "key.txt"
            key.write_text(result["identity"] + "\n")
            start = time.perf_counter()
            subprocess.run(
                [age, "--decrypt", "--identity", str(key), "--output", str(Path(tmp) / "p.zip"), result["path"]],
                check=True,
            )
            timed("open it with the age command", time.perf_counter() - start)


def _run(inst: CustosInstance) -> dict[str, object]:
    out = inst.custos("shell", "-v", "0", "-c", SCRIPT % {"share": SHARE}, timeout=7200).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def _postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - any failure means: skip PostgreSQL
        return False


def main() -> None:
    print(f"Sharing benchmark ({os.cpu_count()} cores)")
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
