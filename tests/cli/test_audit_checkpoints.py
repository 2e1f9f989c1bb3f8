"""Signed checkpoints as an operator and an outside auditor use them, against tampering done
directly in the database file or server, around the append-only triggers."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from custos.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from custos.crypto import signing
from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli


@pytest.fixture
def instance() -> Iterator[CustosInstance]:
    """A fresh initialised instance; no demo users are needed to exercise the log."""
    with custos_instance(demo_users=False) as inst:
        yield inst


TRIGGERS_SQLITE = ("event_no_update", "event_no_delete", "checkpoint_no_update", "checkpoint_no_delete")


@contextmanager
def tampering(inst: CustosInstance) -> Iterator[Any]:
    """A direct connection to the instance's database that the append-only triggers do not stop.

    SQLite: the database file opened with Python's sqlite3 module and the
    triggers dropped. PostgreSQL: the superuser with
    ``session_replication_role = replica``, under which triggers (and
    foreign-key checks) do not fire. Committed on leaving the block.
    """
    if inst.database_url.startswith("sqlite"):
        conn = sqlite3.connect(inst.database_url.removeprefix("sqlite:///"))
        for name in TRIGGERS_SQLITE:
            conn.execute(f"DROP TRIGGER IF EXISTS audit_{name}")
        try:
            yield _Sqlite(conn)
            conn.commit()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(inst.database_url) as pg:
            pg.execute("SET session_replication_role = replica")
            yield pg  # committed when the with block ends


class _Sqlite:
    """sqlite3 with psycopg's ``%s`` placeholders, so each tamper is written once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql.replace("%s", "?"), params)


def _one(db: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    return db.execute(sql, params).fetchone()[0]


def _append(inst: CustosInstance, n: int) -> None:
    inst.custos(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.db import transaction\n"
        "from custos.audit.models import Verb\n"
        "from custos.audit.services import Actor, EventSpec, events_record\n"
        "with transaction.atomic():\n"
        f"    events_record(actor=Actor.system('test'), specs=[EventSpec(verb=Verb.PERSON_CONSULTED, "
        f"object_ref=f'person:{{i}}', purpose='test') for i in range({n})])\n",
    )


def _rewritten_from(inst: CustosInstance, seq: int) -> list[list[Any]]:
    """Event ``seq`` altered and every later hash recomputed, as someone who read the code would.

    Only computed by ``custos shell`` (read-only); written by ``tampering``.
    """
    code = (
        "import json\n"
        "from custos.audit.models import AuditEvent\n"
        "from custos.audit.services import event_hash\n"
        f"prev = AuditEvent.objects.get(seq={seq - 1}).hash\n"
        "rows = []\n"
        f"for e in AuditEvent.objects.filter(seq__gte={seq}).order_by('seq'):\n"
        f"    e.purpose = 'rewritten' if e.seq == {seq} else e.purpose\n"
        "    e.prev_hash = prev\n"
        "    e.hash = prev = event_hash(e)\n"
        "    rows.append([e.seq, e.purpose, e.prev_hash, e.hash])\n"
        "print(json.dumps(rows))\n"
    )
    rows: list[list[Any]] = json.loads(inst.custos("shell", "-v", "0", "-c", code).stdout)
    return rows


def _rewrite_history(db: Any, rows: list[list[Any]]) -> None:
    for seq, purpose, prev_hash, new_hash in rows:
        db.execute(
            "UPDATE audit_auditevent SET purpose = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            (purpose, prev_hash, new_hash, seq),
        )
    db.execute("UPDATE audit_audithead SET last_hash = %s WHERE id = 1", (rows[-1][3],))


def _checkpoint(inst: CustosInstance, *extra: str) -> tuple[int, int, str]:
    out = inst.custos("audit_checkpoint", *extra).stdout
    match = re.search(r"checkpoint #(\d+): tree size (\d+), root ([0-9a-f]{64})", out)
    assert match, out
    return int(match[1]), int(match[2]), match[3]


def _fails_naming(inst: CustosInstance, needle: str, *args: str) -> str:
    result = inst.custos("audit_verify", *args, check=False)
    assert result.returncode == 1, (result.stdout, result.stderr)
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert needle in line, line
    return line


def test_checkpoint_is_signed_with_the_private_key_init_made(instance):
    key = instance.data_dir / "keys" / "audit-signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.unlink()  # a data directory from before checkpoints existed: made on first use
    number, size, root = _checkpoint(instance)
    assert number == 1
    assert size >= 2
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "no new events since checkpoint #1" in instance.custos("audit_checkpoint").stdout
    _append(instance, 4)
    assert _checkpoint(instance)[:2] == (2, size + 4)
    out = instance.custos("audit_verify").stdout
    assert f"{size + 4} events verified; 2 signed checkpoints verified" in out


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder", "truncate"])
def test_tampering_around_the_triggers_is_named(instance, tamper):
    _append(instance, 12)
    _, size, _ = _checkpoint(instance)
    with tampering(instance) as db:
        if tamper == "edit":
            db.execute("UPDATE audit_auditevent SET actor_username = %s WHERE seq = %s", ("someone_else", 3))
            needle = "event #3 was altered"
        elif tamper == "delete":
            db.execute("DELETE FROM audit_auditevent WHERE seq = %s", (3,))
            needle = "event #3 is missing"
        elif tamper == "reorder":
            db.execute("UPDATE audit_auditevent SET seq = -1 WHERE seq = 3")
            db.execute("UPDATE audit_auditevent SET seq = 3 WHERE seq = 4")
            db.execute("UPDATE audit_auditevent SET seq = 4 WHERE seq = -1")
            needle = "event #3 "
        else:
            # Cut off the last five events and rewrite the head to match: the
            # chain is then intact and only the checkpoint shows the loss.
            keep = size - 5
            db.execute("DELETE FROM audit_auditevent WHERE seq > %s", (keep,))
            last = _one(db, "SELECT hash FROM audit_auditevent WHERE seq = %s", (keep,))
            db.execute("UPDATE audit_audithead SET last_seq = %s, last_hash = %s WHERE id = 1", (keep, last))
            needle = f"event #{keep + 1} onwards was removed"
    _fails_naming(instance, needle)


def test_a_truncated_tail_passes_the_chain_alone(instance):
    """Why checkpoints exist: the same truncation without a checkpoint goes unseen."""
    _append(instance, 8)
    with tampering(instance) as db:
        db.execute("DELETE FROM audit_auditevent WHERE seq > 6")
        last = _one(db, "SELECT hash FROM audit_auditevent WHERE seq = 6")
        db.execute("UPDATE audit_audithead SET last_seq = 6, last_hash = %s WHERE id = 1", (last,))
    assert "6 events verified; 0 signed checkpoints" in instance.custos("audit_verify").stdout


def test_a_consistent_rewrite_is_caught_by_the_stored_checkpoint(instance):
    _append(instance, 6)
    _checkpoint(instance)
    rows = _rewritten_from(instance, 3)
    with tampering(instance) as db:
        _rewrite_history(db, rows)
    _fails_naming(instance, "checkpoint #1 does not match the log")


def test_an_altered_or_missing_stored_checkpoint_is_named(instance):
    for _ in range(3):
        _append(instance, 2)
        _checkpoint(instance)
    with tampering(instance) as db:
        db.execute("UPDATE audit_auditcheckpoint SET tree_size = tree_size - 1 WHERE id = 3")
    _fails_naming(instance, "checkpoint #3 was altered after it was signed")
    with tampering(instance) as db:
        db.execute("DELETE FROM audit_auditcheckpoint WHERE id = 2")
    _fails_naming(instance, "checkpoint #2 is missing")


def test_an_exported_checkpoint_detects_a_rewritten_history(instance, tmp_path: Path):
    exported = tmp_path / "checkpoint.json"
    _append(instance, 6)
    _checkpoint(instance, "--export", str(exported))
    document = json.loads(exported.read_text())
    assert document["public_key"] == signing_public_key(instance).hex()
    _append(instance, 5)
    assert (
        "the log extends exported checkpoint #1"
        in instance.custos("audit_verify", "--checkpoint", str(exported)).stdout
    )

    rows = _rewritten_from(instance, 3)
    with tampering(instance) as db:
        _rewrite_history(db, rows)
        db.execute("DELETE FROM audit_auditcheckpoint")
    # With the stored checkpoints removed as well, the log checks out on its own ...
    assert "0 signed checkpoints verified" in instance.custos("audit_verify").stdout
    # ... but not against the copy an outside party kept.
    _fails_naming(instance, "does not extend the exported checkpoint #1", "--checkpoint", str(exported))


def test_a_forged_export_is_rejected(instance, tmp_path: Path):
    exported = tmp_path / "checkpoint.json"
    _append(instance, 3)
    _checkpoint(instance, "--export", str(exported))
    document = json.loads(exported.read_text())
    statement = json.loads(document["statement"])
    document["statement"] = document["statement"].replace(
        f'"tree_size":{statement["tree_size"]}', f'"tree_size":{statement["tree_size"] - 1}'
    )
    exported.write_text(json.dumps(document))
    _fails_naming(instance, "signature of checkpoint #1 does not hold", "--checkpoint", str(exported))


def signing_public_key(inst: CustosInstance) -> bytes:
    out = inst.custos(
        "shell", "-v", "0", "-c", "from custos.crypto.signing import public_key_bytes; print(public_key_bytes().hex())"
    ).stdout
    return bytes.fromhex(out.strip())


def test_printed_proofs_check_out_with_nothing_but_the_json(instance, tmp_path: Path):
    _append(instance, 9)
    _, size, root = _checkpoint(instance)
    proof = json.loads(instance.custos("audit_verify", "--inclusion-proof", "4").stdout)
    checkpoint = proof["checkpoint"]
    public = bytes.fromhex(checkpoint["public_key"])
    statement = json.loads(checkpoint["statement"])
    assert signing.verify(public, checkpoint["statement"].encode(), bytes.fromhex(checkpoint["signature"]))
    assert statement["key_fingerprint"] == signing.fingerprint(public)
    assert (statement["tree_size"], statement["root_hash"]) == (size, root)
    assert verify_inclusion(
        index=3,
        size=size,
        leaf_hash=leaf_hash(bytes.fromhex(proof["event_hash"])),
        proof=[bytes.fromhex(h) for h in proof["proof"]],
        root=bytes.fromhex(statement["root_hash"]),
    )

    consistency = json.loads(instance.custos("audit_verify", "--consistency-proof", "3", str(size)).stdout)
    assert consistency["new_root"] == root
    assert verify_consistency(
        old_size=3,
        new_size=size,
        old_root=bytes.fromhex(consistency["old_root"]),
        new_root=bytes.fromhex(consistency["new_root"]),
        proof=[bytes.fromhex(h) for h in consistency["proof"]],
    )
    _fails_naming(instance, "not covered by checkpoint #1", "--inclusion-proof", str(size + 1))

    openssl = shutil.which("openssl")
    if openssl:  # an outside party's own tools agree
        (tmp_path / "key.pem").write_text(checkpoint["public_key_pem"])
        (tmp_path / "statement").write_bytes(checkpoint["statement"].encode())
        (tmp_path / "signature").write_bytes(bytes.fromhex(checkpoint["signature"]))
        check = subprocess.run(
            [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", "key.pem", "-rawin", "-in", "statement",
             "-sigfile", "signature"],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert check.returncode == 0, check.stderr + check.stdout
