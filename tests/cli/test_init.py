"""`custos init` as an operator runs it: keys, database, reference data; twice is harmless."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from tests.server import custos_instance

pytestmark = pytest.mark.cli


def test_init_creates_private_keys_wal_database_and_reference_data():
    with custos_instance(demo_users=False) as inst:
        key_file = inst.data_dir / "keys" / "kek.key"
        secret = inst.data_dir / "secret_key"
        for path in (key_file, secret):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        if inst.database_url.startswith("sqlite"):
            db = Path(inst.database_url.removeprefix("sqlite:///"))
            assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        counts = inst.custos(
            "shell",
            "-v",
            "0",
            "-c",
            "from custos.register.models import BCU, Borough, Rubric; "
            "print(BCU.objects.count(), Borough.objects.count(), Rubric.objects.count())",
        ).stdout.split()
        assert counts == ["12", "32", "1"]


def test_init_is_idempotent_and_keeps_the_keys():
    with custos_instance(demo_users=False) as inst:
        key_before = (inst.data_dir / "keys" / "kek.key").read_bytes()
        second = inst.custos("init")
        assert "(0 new)" in second.stdout
        assert (inst.data_dir / "keys" / "kek.key").read_bytes() == key_before
        assert "intact" in inst.custos("audit_verify").stdout


def test_refuses_a_key_file_readable_by_others():
    with custos_instance() as inst:
        (inst.data_dir / "keys" / "kek.key").chmod(0o644)
        result = inst.custos(
            "shell",
            "-v",
            "0",
            "-c",
            "from custos.register.tests.factories import a_person; from custos.accounts.models import User; "
            "a_person(User.objects.get(username='demo_officer'))",
            check=False,
        )
        assert result.returncode != 0
        assert "readable by others" in result.stderr


def test_unknown_command_and_bad_database_fail_with_one_line():
    with custos_instance(demo_users=False) as inst:
        inst.env["CUSTOS_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
        result = inst.custos("audit_verify", check=False)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("custos: error:")
