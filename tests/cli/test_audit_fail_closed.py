"""No log, no change at the command line: commands that write exit non-zero with one line.

The instance's event table is made to refuse every insert (a trigger, as in
``custos.audit.tests.failing_store``); then each command that writes must
fail with a single line on standard error, naming the audit log, and leave
nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from custos.audit.tests.failing_store import FAIL_SQL
from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "legacy-matrix.csv"
COUNTS = (
    "import json; from custos.register.models import Person, HarmScore; from custos.audit.models import AuditEvent; "
    "print(json.dumps([Person.objects.count(), HarmScore.objects.count(), AuditEvent.objects.count()]))"
)


@pytest.fixture(scope="module")
def broken() -> Iterator[CustosInstance]:
    """An initialised instance holding two people, whose audit store then refuses every insert."""
    with custos_instance(demo_users=False) as inst:
        inst.custos("seed_demo", "--people", "2", "--seed", "3", "--no-progress")
        vendor = "sqlite" if inst.database_url.startswith("sqlite") else "postgresql"
        statements = "; ".join(f"c.execute({sql!r})" for sql in FAIL_SQL[vendor])
        inst.custos("shell", "-c", f"from django.db import connection; c = connection.cursor(); {statements}")
        yield inst


def counts(inst: CustosInstance) -> list[int]:
    result = inst.custos("shell", "-v", "0", "-c", COUNTS)
    value = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(value, list)
    return value


@pytest.mark.parametrize(
    "args",
    [
        ("import_matrix", str(EXAMPLE), "--bcu", "central-east"),
        ("seed_demo", "--people", "3", "--seed", "4", "--no-progress"),
        ("rescore", "--no-progress"),
        ("demo_users", "--password", "not-used-anywhere-else"),
    ],
    ids=lambda args: args[0],
)
def test_a_command_that_writes_exits_non_zero_with_one_line(broken: CustosInstance, args: tuple[str, ...]) -> None:
    before = counts(broken)
    result = broken.custos(*args, check=False)
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("custos: error: AuditUnavailable: the audit log could not be written"), lines[0]
    assert "Traceback" not in result.stderr
    assert counts(broken) == before


def test_reading_commands_still_work(broken: CustosInstance) -> None:
    """Checking the log writes nothing, so it still runs (and finds the chain intact)."""
    result = broken.custos("audit_verify")
    assert "audit chain intact" in result.stdout
