"""Fault injection at the command line (issue 8): the key provider, the database and the disk failing.

Each command meets the fault as an operator would: it exits non-zero with one
line on standard error that names the fault (never a traceback, never
personal data), leaves nothing half-written (rows and audit events are
counted before and after), the audit chain still verifies, and the same
command works once the fault is gone. (The audit store failing is
``test_audit_fail_closed.py``; the same faults over HTTP are
``tests/http/test_faults_http.py``.)
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pyrage  # type: ignore[import-untyped]
import pytest

from tests.server import CUSTOS, CustosInstance, custos_instance

pytestmark = pytest.mark.cli

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "legacy-matrix.csv"
#: What a command writes: people, scores, data keys and audit events (counted in the database itself).
COUNTS = {
    "people": "SELECT count(*) FROM register_person",
    "scores": "SELECT count(*) FROM register_harmscore",
    "data_keys": "SELECT count(*) FROM crypto_datakey",
    "events": "SELECT count(*) FROM audit_auditevent",
}
WRITES = [
    ("import_matrix", str(EXAMPLE), "--bcu", "central-east"),
    ("seed_demo", "--people", "3", "--seed", "4", "--no-progress"),
]


def _postgres(inst: CustosInstance) -> bool:
    return inst.database_url.startswith(("postgres://", "postgresql://"))


@pytest.fixture(scope="module")
def inst() -> Iterator[CustosInstance]:
    with custos_instance(demo_users=False) as instance:
        instance.custos("seed_demo", "--people", "2", "--seed", "3", "--no-progress")
        yield instance


def table_counts(inst: CustosInstance, queries: dict[str, str]) -> dict[str, int]:
    """Each query's single number, read straight from the instance's database (no Django process to start)."""
    found: dict[str, int] = {}
    if _postgres(inst):
        import psycopg

        with psycopg.connect(inst.database_url) as pg:
            for name, sql in queries.items():
                row = pg.execute(sql).fetchone()
                assert row is not None
                found[name] = int(row[0])
        return found
    with closing(sqlite3.connect(inst.database_url.removeprefix("sqlite:///"))) as lite:
        for name, sql in queries.items():
            found[name] = int(lite.execute(sql).fetchone()[0])
    return found


def counts(inst: CustosInstance) -> dict[str, int]:
    return table_counts(inst, COUNTS)


#: What Django's system check prints before a command runs when the key provider is unavailable (custos.W001).
KEY_WARNING = [
    "System check identified some issues:",
    "WARNINGS:",
    "?: (custos.W001) key provider unavailable: key file missing: run 'custos init'",
    "\tHINT: Run 'custos init'; personal data can be neither read nor written.",
]


def one_line(result: subprocess.CompletedProcess[str], needle: str, *, after: list[str] | None = None) -> str:
    """The command failed with one line on standard error (after the key warning, ``after``, if given)."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if after is not None:
        assert lines[: len(after)] == after, result.stderr
        lines = lines[len(after) :]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def chain_verifies(inst: CustosInstance) -> None:
    assert "audit chain intact" in inst.custos("audit_verify").stdout


# -- the key provider -------------------------------------------------------------------------------------------


@contextmanager
def key_file_gone(inst: CustosInstance) -> Iterator[None]:
    """The key file moved away (we run as root, so chmod 000 would not stop a command reading it)."""
    key = inst.data_dir / "keys" / "kek.key"
    away = key.with_name("kek.key.away")
    key.rename(away)
    try:
        yield
    finally:
        away.rename(key)


@pytest.mark.parametrize("args", WRITES, ids=lambda args: args[0])
def test_without_the_key_provider_a_command_that_writes_refuses_in_one_line(
    inst: CustosInstance, args: tuple[str, ...]
) -> None:
    before = counts(inst)
    with key_file_gone(inst):
        result = inst.custos(*args, check=False)
        # The system check names the key provider first, then the command refuses in one line.
        one_line(result, "custos: error: KeyUnavailable: key file missing: run 'custos init'", after=KEY_WARNING)
        assert counts(inst) == before  # nothing written, not even a run's start
        chain_verifies(inst)  # reading the log needs no key


def test_once_the_key_is_back_the_command_works(inst: CustosInstance) -> None:
    before = counts(inst)
    inst.custos("seed_demo", "--people", "1", "--seed", "6", "--no-progress")
    assert counts(inst)["people"] == before["people"] + 1
    chain_verifies(inst)


# -- the database -----------------------------------------------------------------------------------------------


def test_a_database_that_does_not_answer_is_refused_in_one_line(inst: CustosInstance, tmp_path: Path) -> None:
    if _postgres(inst):
        parts = urllib.parse.urlsplit(inst.database_url)
        # A port nothing listens on: the server is down.
        url = urllib.parse.urlunsplit((parts.scheme, f"{parts.hostname}:9", parts.path, "", ""))
        needle = "custos: error: OperationalError: "
    else:
        url = f"sqlite:///{tmp_path / 'missing' / 'custos.sqlite3'}"  # its folder is gone
        needle = "custos: error: OperationalError: unable to open database file"
    env = inst.env | {"CUSTOS_DATABASE_URL": url}
    result = subprocess.run([CUSTOS, *WRITES[1]], env=env, capture_output=True, text=True, timeout=120, check=False)
    line = one_line(result, needle)
    assert str(inst.data_dir) not in line or not _postgres(inst)


@contextmanager
def sqlite_write_locked(inst: CustosInstance) -> Iterator[None]:
    """Another process's writer holds SQLite's write lock (as a long import or a stuck job would)."""
    path = inst.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _pg_wait_and_terminate(inst: CustosInstance, process: subprocess.Popen[str]) -> None:
    import psycopg

    dbname = urllib.parse.urlsplit(inst.database_url).path.lstrip("/")
    query = (
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
        "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 120
    with psycopg.connect(inst.database_url, autocommit=True) as watcher:
        while True:
            row = watcher.execute(query, (dbname,)).fetchone()
            if row is not None:
                break
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the command never waited on the lock"
            time.sleep(0.05)
        watcher.execute("SELECT pg_terminate_backend(%s)", (row[0],))


def test_the_database_going_away_mid_command_leaves_nothing_half_written(inst: CustosInstance) -> None:
    """PostgreSQL: the command's connection is terminated inside its first write; SQLite: the file stays locked."""
    before = counts(inst)
    if _postgres(inst):
        import psycopg

        with psycopg.connect(inst.database_url, autocommit=True) as admin:
            admin.execute("BEGIN")
            admin.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")
            try:
                process = subprocess.Popen(
                    [CUSTOS, *WRITES[1]], env=inst.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
                _pg_wait_and_terminate(inst, process)
            finally:
                admin.execute("ROLLBACK")
            stdout, stderr = process.communicate(timeout=120)
        result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        # The event being written when the connection died: the log could not be written, so nothing was changed.
        assert result.returncode != 0
        assert result.stderr.startswith(("custos: error: AuditUnavailable", "custos: error: OperationalError")), (
            result.stderr
        )
        one_line(result, "custos: error: ")
    else:
        env = inst.env | {"CUSTOS_DB_BUSY_TIMEOUT": "1"}
        with sqlite_write_locked(inst):
            result = subprocess.run(
                [CUSTOS, *WRITES[1]], env=env, capture_output=True, text=True, timeout=120, check=False
            )
        one_line(result, "custos: error: OperationalError: database is locked")
    assert counts(inst) == before
    chain_verifies(inst)


# -- a full disk on backup --------------------------------------------------------------------------------------


@contextmanager
def full_disk(folder: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted on ``folder`` and filled up; unmounted afterwards. Needs root (as in CI)."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(folder)], check=True)
    try:
        filler = folder / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        error = None
        try:
            while os.write(fd, b"\0" * 1024):
                pass
        except OSError as exc:
            error = exc
        finally:
            os.close(fd)
        assert error is not None
        assert error.errno == errno.ENOSPC  # full
        yield filler
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_backup_to_a_full_disk_is_refused_and_leaves_no_file(inst: CustosInstance, tmp_path: Path) -> None:
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    folder = tmp_path / "backups"
    folder.mkdir()
    before = counts(inst)
    with full_disk(folder) as filler:
        result = inst.custos("backup", str(folder / "custos.age"), "--recipient", recipient, check=False)
        one_line(result, "no space left on the device")
        assert sorted(p.name for p in folder.iterdir()) == [filler.name]  # no backup, no partial, no staging
    assert counts(inst) == before
    result = inst.custos("backup", str(folder / "custos.age"), "--recipient", recipient)  # room again
    assert "backup written" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["custos.age"]
