"""Erasure as an operator meets it: retention_sweep carries out a reviewer's decision; nothing brings the person back.

Real instances (their own data directory and database file or PostgreSQL
database), real commands. The raw-bytes checks read the SQLite file and its
WAL, or on PostgreSQL the key table's relation file through the server.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pyrage  # type: ignore[import-untyped]
import pytest

from tests.server import CustosInstance, _pg_execute, _postgres_admin_url, custos_instance

pytestmark = pytest.mark.cli

NAME = "Ottoline Wrexham-Bascombe"
GRACE_DAYS = 14


def _py(inst: CustosInstance, code: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return inst.custos("shell", "-v", "0", "-c", code, check=check)


def _postgres() -> bool:
    return os.environ.get("CUSTOS_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _nominal_under_removal(inst: CustosInstance, name: str) -> dict[str, str]:
    """A listed person whose review a SPOC has decided: remove. Prints ids and raw stored bytes."""
    out = _py(
        inst,
        "import json\n"
        "from django.db import connection\n"
        "from custos.accounts.models import User\n"
        "from custos.crypto.models import DataKey\n"
        "from custos.retention.tests.builders import a_nominal\n"
        "from custos.retention.services import review_open, review_decide\n"
        "officer = User.objects.get(username='demo_officer')\n"
        "spoc = User.objects.get(username='demo_bcu_spoc')\n"
        f"person = a_nominal(officer, spoc, name={name!r})\n"
        "review = review_open(actor=spoc, person=person)\n"
        "review_decide(actor=spoc, review=review, decision='remove', reasons='No longer meets the criteria.')\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT full_name FROM register_person')\n"
        "    cipher = bytes(c.fetchone()[0]).hex()\n"
        "wrapped = bytes(DataKey.objects.get(pk=person.data_key_id).wrapped).hex()\n"
        "print(json.dumps({'id': str(person.pk), 'cipher': cipher, 'wrapped': wrapped}))",
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _exists(inst: CustosInstance, pk: str) -> bool:
    out = _py(inst, f"from custos.register.models import Person\nprint(Person.objects.filter(pk={pk!r}).exists())")
    return out.stdout.strip().splitlines()[-1] == "True"


def _raw(inst: CustosInstance) -> bytes:
    """The bytes a thief with the database files would have."""
    if _postgres():
        out = _py(
            inst,
            "from django.db import connection\n"
            "with connection.cursor() as c:\n"
            "    c.execute('CHECKPOINT')\n"
            "    blobs = b''\n"
            "    for table in ('crypto_datakey', 'register_person', 'register_intelligenceitem'):\n"
            '        c.execute("SELECT pg_read_binary_file(pg_relation_filepath(%s))", [table])\n'
            "        blobs += bytes(c.fetchone()[0])\n"
            "print(blobs.hex())",
        )
        return bytes.fromhex(out.stdout.strip().splitlines()[-1])
    db = Path(inst.database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def _sweep_after_grace(inst: CustosInstance) -> subprocess.CompletedProcess[str]:
    day = (dt.date.today() + dt.timedelta(days=GRACE_DAYS + 1)).isoformat()
    return inst.custos("retention_sweep", "--today", day, "--no-progress")


def test_the_sweep_erases_after_the_grace_period_and_no_copy_is_left_in_the_database_files():
    with custos_instance() as inst:
        # The other test worker's transactions on the same server hold VACUUM FULL's horizon while they run
        # (custos.retention.services._older_transactions_end): wait for them as long as a test may take.
        inst.env["CUSTOS_ERASURE_COMPACT_WAIT_SECONDS"] = "600"
        person = _nominal_under_removal(inst, NAME)
        cipher, wrapped = bytes.fromhex(person["cipher"]), bytes.fromhex(person["wrapped"])
        before = _raw(inst)
        assert wrapped in before  # the check can see the key while it exists
        if not _postgres():
            assert cipher in before

        dry = inst.custos(
            "retention_sweep", "--dry-run", "--today", (dt.date.today() + dt.timedelta(days=30)).isoformat()
        )
        assert "would erase 1 people" in dry.stdout
        assert _exists(inst, person["id"])
        early = inst.custos("retention_sweep", "--no-progress")
        assert "erase 0 people" in early.stdout
        assert _exists(inst, person["id"])

        swept = _sweep_after_grace(inst)
        assert "erase 1 people whose removal was decided" in swept.stdout
        assert not _exists(inst, person["id"])

        after = _raw(inst)
        assert wrapped not in after
        if not _postgres():
            assert cipher not in after
        for needle in (NAME, "Ottoline", "Wrexham"):
            assert needle.encode() not in after
        ledger = (inst.data_dir / "keys" / "erasure-ledger.jsonl").read_text()
        assert f"person:{person['id']}" in ledger
        assert NAME not in ledger
        assert "intact" in inst.custos("audit_verify").stdout
        assert "1 entries, chain intact" in inst.custos("erasure_ledger").stdout


def test_a_backup_from_before_the_erasure_restored_into_an_empty_database_does_not_bring_the_person_back(tmp_path):
    identity = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(str(identity) + "\n")
    with custos_instance() as inst:
        person = _nominal_under_removal(inst, NAME)
        out = tmp_path / "before-erasure.age"
        inst.custos("backup", str(out), "-r", str(identity.to_public()))
        _sweep_after_grace(inst)
        assert not _exists(inst, person["id"])

        # Disaster: the database is lost; the key material (key file, erasure ledger) was kept apart.
        dbname = ""
        if _postgres():
            dbname = f"custos_dr_{uuid.uuid4().hex[:12]}"
            _pg_execute(os.environ["CUSTOS_DATABASE_URL"], f'CREATE DATABASE "{dbname}"')
            inst.env["CUSTOS_DATABASE_URL"] = _postgres_admin_url(os.environ["CUSTOS_DATABASE_URL"], dbname)
        else:
            inst.env["CUSTOS_DATABASE_URL"] = f"sqlite:///{inst.data_dir / 'rebuilt.sqlite3'}"
        try:
            restored = inst.custos("restore", str(out), "-i", str(identity_file))
            assert "erasure ledger: 1 person record(s) in this backup were erased after it" in restored.stdout
            assert "restore complete" in restored.stdout
            assert not _exists(inst, person["id"])
            assert "intact" in inst.custos("audit_verify").stdout
            tombstone = _py(
                inst,
                "from custos.retention.models import Tombstone\n"
                f"print(Tombstone.objects.filter(person_ref='person:{person['id']}').count())",
            )
            assert tombstone.stdout.strip().splitlines()[-1] == "1"
        finally:
            if dbname:
                _pg_execute(os.environ["CUSTOS_DATABASE_URL"], f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.mark.skipif(_postgres(), reason="copies the SQLite file by hand; PostgreSQL is covered by the restore test")
def test_an_old_database_file_put_back_by_hand_is_cleaned_before_the_server_serves():
    with custos_instance() as inst:
        person = _nominal_under_removal(inst, NAME)
        db = Path(inst.database_url.removeprefix("sqlite:///"))
        old = inst.data_dir / "old-copy.sqlite3"
        with sqlite3.connect(db) as source, sqlite3.connect(old) as target:
            source.backup(target)
        _sweep_after_grace(inst)
        for leftover in db.parent.glob(db.name + "-*"):
            leftover.unlink()
        shutil.copy2(old, db)
        assert _exists(inst, person["id"])  # the stale copy holds them again...

        # ...until the WSGI application (gunicorn, runserver) loads: it re-applies the ledger first.
        started = subprocess.run(
            [sys.executable, "-c", "import custos.wsgi"], env=inst.env, capture_output=True, text=True, check=False
        )
        assert started.returncode == 0, started.stderr
        assert not _exists(inst, person["id"])

        # A broken ledger stops the server from starting, saying why.
        ledger = inst.data_dir / "keys" / "erasure-ledger.jsonl"
        ledger.write_text(ledger.read_text().replace('"review"', '"other"'))
        refused = subprocess.run(
            [sys.executable, "-c", "import custos.wsgi"], env=inst.env, capture_output=True, text=True, check=False
        )
        assert refused.returncode != 0
        assert "erasure ledger" in refused.stderr
        assert "broken at line 1" in refused.stderr
        failed = inst.custos("erasure_ledger", check=False)
        assert failed.returncode != 0
        assert "broken at line 1" in failed.stderr


def test_retention_commands_refuse_bad_input_clearly(tmp_path):
    with custos_instance(demo_users=False) as inst:
        bad_day = inst.custos("retention_sweep", "--today", "31/12/2026", check=False)
        assert bad_day.returncode != 0
        assert "is not a date (YYYY-MM-DD)" in bad_day.stderr
        broken = tmp_path / "schedule.json"
        broken.write_text('{"grace_days": 3}')
        refused = inst.custos("retention_schedule", "--load", str(broken), check=False)
        assert refused.returncode != 0
        assert "invalid retention schedule" in refused.stderr
        not_json = tmp_path / "schedule.txt"
        not_json.write_text("grace = 3")
        assert "not valid JSON" in inst.custos("retention_schedule", "--load", str(not_json), check=False).stderr
        missing = inst.custos("retention_schedule", "--load", str(tmp_path / "nope.json"), check=False)
        assert "no such file" in missing.stderr
        shown = inst.custos("retention_schedule")
        assert "retention schedule v1" in shown.stdout
        assert '"grace_days": 14' in shown.stdout
