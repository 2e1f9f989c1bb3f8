"""Crash safety (issue 8): import, sweep and key rotation killed with SIGKILL at random points, then resumed.

Each test runs ``tests/cli/crash_child.py`` against a real instance (its own data directory and SQLite
file or PostgreSQL database). That script sets Django up once and, for each of 50 rounds, seeds fresh
work, forks a child that runs the real command (``call_command``), kills it with SIGKILL after a seeded
random delay drawn over the duration of an uninterrupted run measured first, then checks in the parent,
with fresh connections, that nothing is half-done and the audit chain verifies, resumes the command and
checks the result equals the uninterrupted run's. What "nothing half-done" means for each command is in
the script's docstrings; any broken invariant makes it exit 1 naming the round.

The rounds share one instance, rotation first, then the sweep, then the import, so that each works on a
small register (their costs grow with it). Figures (where the kills landed, what each left, seconds per
phase) are printed: ``pytest -s tests/cli/test_crash_safety.py``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

DRIVER = Path(__file__).with_name("crash_child.py")
ROUNDS = 50
SEED = 8


@pytest.fixture(scope="module")
def crash_instance() -> Iterator[CustosInstance]:
    with custos_instance() as inst:
        yield inst


def _crash(inst: CustosInstance, tmp_path: Path, operation: str, size: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(DRIVER), operation, "--rounds", str(ROUNDS), "--seed", str(SEED)]
        + ["--size", str(size), "--work", str(tmp_path)],
        env=inst.env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{operation}:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    print(json.dumps(report, indent=1, sort_keys=True))  # noqa: T201 - the figures, shown with -s
    assert report["rounds"] == ROUNDS
    landed = report["landed"]
    assert sum(landed.values()) == ROUNDS
    assert landed.get("during", 0) > ROUNDS // 2, f"most kills must land while the command runs: {landed}"
    return report


def test_key_rotation_killed_50_times_leaves_every_data_key_readable_and_resumes(
    crash_instance: CustosInstance, tmp_path: Path
) -> None:
    report = _crash(crash_instance, tmp_path, "rotate", size=150)
    states = report["states"]
    assert states.get("part re-wrapped", 0) > 0, states  # kills landed between the batches
    assert sum(states.values()) >= ROUNDS


def test_retention_sweep_killed_50_times_erases_each_person_wholly_or_not_at_all(
    crash_instance: CustosInstance, tmp_path: Path
) -> None:
    report = _crash(crash_instance, tmp_path, "sweep", size=24)
    states = report["states"]
    assert (report["erased"], report["opened"]) == (12, 12)  # the uninterrupted run's work, each round
    assert states.get("erased", 0) > 0, states  # some kills landed after an erasure's commit
    assert states.get("untouched", 0) > 0, states  # and some before


def test_import_killed_50_times_imports_each_file_wholly_or_not_at_all_and_once(
    crash_instance: CustosInstance, tmp_path: Path
) -> None:
    report = _crash(crash_instance, tmp_path, "import", size=20)
    assert report["people_per_file"] == 20
    assert report["states"].get("nothing imported", 0) > 0, report["states"]


# -- the crash-safety fixes, each in a moment the random kills above can only hit by chance ---------------------


EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "legacy-matrix.csv"


@pytest.mark.django_db
def test_an_import_rerun_after_its_commit_does_not_make_everyone_twice(reference_data: None) -> None:
    """An import killed after its commit (before it printed its report) is re-run: nothing is written twice."""
    from django.core.management import call_command

    from custos.audit.models import AuditEvent, Verb
    from custos.register.models import Person

    first, again = io.StringIO(), io.StringIO()
    call_command("import_matrix", str(EXAMPLE), "--bcu", "Central East", stdout=first)
    events = AuditEvent.objects.count()
    call_command("import_matrix", str(EXAMPLE), "--bcu", "central-east", stdout=again)
    seq = AuditEvent.objects.get(verb=Verb.MATRIX_IMPORTED).seq
    assert again.getvalue().strip() == (
        f"legacy-matrix.csv was already imported into Central East (audit event #{seq}): nothing written"
    )
    assert Person.objects.count() == 6
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_a_person_the_ledger_names_twice_gets_one_tombstone_when_it_is_reapplied(officer_a: Any, spoc_a: Any) -> None:
    """A sweep killed between its ledger line and its commit erases the person again when resumed, so the
    ledger names them twice; re-applying it after a restore (which has no tombstone) must still work.
    """
    from custos.audit.services import Actor
    from custos.retention import ledger
    from custos.retention.models import Tombstone
    from custos.retention.services import ledger_reapply, people_erase
    from custos.retention.tests.builders import a_nominal

    person = a_nominal(officer_a, spoc_a, name="Twice Named")
    ref = person.ref
    people_erase(actor=Actor.system("retention-sweep"), people=[person], reason="review")
    ledger.append(ledger.read())  # the same erasure's line again, as the resumed sweep writes it
    assert [e.person_ref for e in ledger.read()] == [ref, ref]
    Tombstone.objects.filter(person_ref=ref).delete()  # a restore from a backup taken before the erasure

    assert ledger_reapply().reapplied == [ref]
    assert Tombstone.objects.filter(person_ref=ref).count() == 1
    assert ledger_reapply().reapplied == []


def test_a_key_file_copy_left_by_a_killed_rewrite_is_removed_by_the_next(tmp_path: Path) -> None:
    """A rotation killed while writing the new key file leaves a 0600 copy of every KEK; the next rewrite
    removes it (a copy of a live process's rewrite is left alone).
    """
    from custos.crypto.keys import LocalKeyFileProvider, create_key_file

    path = tmp_path / "kek.key"
    create_key_file(path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603 - our own interpreter
    dead.wait()
    stale = tmp_path / f".kek.key.{dead.pid}.tmp"
    live = tmp_path / f".kek.key.{os.getppid()}.tmp"
    for copy in (stale, live):
        copy.write_text(path.read_text())
        copy.chmod(0o600)

    LocalKeyFileProvider(path).create_key()

    assert not stale.exists()
    assert live.exists()
    assert len(LocalKeyFileProvider(path).key_ids()) == 2


@pytest.mark.django_db
def test_a_ledger_line_torn_by_a_kill_is_ignored_and_cut_off_by_the_next_erasure(officer_a: Any, spoc_a: Any) -> None:
    """SIGKILL during the ledger's write(2) can leave part of a line; its erasure never committed (the commit
    comes after the fsync). Reading ignores it and the next erasure cuts it off, instead of every later
    erasure, and the server's start, failing on "an unreadable line".
    """
    from custos.audit.services import Actor
    from custos.retention import ledger
    from custos.retention.services import ledger_reapply, people_erase
    from custos.retention.tests.builders import a_nominal

    system = Actor.system("retention-sweep")
    first, second = (a_nominal(officer_a, spoc_a, name=name) for name in ("Torn One", "Torn Two"))
    people_erase(actor=system, people=[first], reason="review")
    path = ledger.ledger_path()
    whole = path.read_bytes()
    with path.open("ab") as handle:
        handle.write(whole[: len(whole) // 2])  # the first half of a line, as a killed append leaves it
    assert [e.person_ref for e in ledger.read()] == [first.ref]
    assert ledger_reapply().reapplied == []

    people_erase(actor=system, people=[second], reason="review")

    assert [e.person_ref for e in ledger.read()] == [first.ref, second.ref]
    assert path.read_bytes().startswith(whole)
    assert path.read_bytes().count(b"\n") == 2
