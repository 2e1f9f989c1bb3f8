"""custos dpia and custos records_of_processing as an operator runs them: the `custos` script in a subprocess."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

STATE = (
    "import json; from custos.oversight.models import DpiaVersion, Risk; "
    "from custos.audit.models import AuditEvent; "
    "print(json.dumps({'versions': [[v.number, v.status] for v in DpiaVersion.objects.order_by('number')], "
    "'risks': Risk.objects.count(), "
    "'events': list(AuditEvent.objects.filter(verb__startswith='dpia.').values_list('verb', flat=True))}))"
)


@pytest.fixture(scope="module")
def inst() -> Iterator[CustosInstance]:
    with custos_instance() as instance:
        yield instance


def state(inst: CustosInstance) -> Any:
    result = inst.custos("shell", "-v", "0", "-c", STATE)
    return json.loads(result.stdout.strip().splitlines()[-1])


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_init_does_not_seed_risks_and_seeding_is_idempotent(inst: CustosInstance) -> None:
    assert state(inst)["risks"] == 0
    assert "9 risk(s) added" in inst.custos("dpia", "--seed-risks").stdout
    assert "0 risk(s) added" in inst.custos("dpia", "--seed-risks").stdout
    assert state(inst)["risks"] == 9


def test_generate_and_export(inst: CustosInstance, tmp_path: Path) -> None:
    out = inst.custos("dpia", "--generate", "--as-user", "demo_dpo").stdout
    assert "DPIA version 1 generated" in out
    pdf, js = tmp_path / "dpia.pdf", tmp_path / "dpia.json"
    inst.custos("dpia", "--export", "1", "--pdf", str(pdf), "--json", str(js), "--as-user", "demo_auditor")
    assert pdf.read_bytes().startswith(b"%PDF-")
    document = json.loads(js.read_text())
    assert document["version"] == 1
    assert document["status"] == "draft"
    assert any(m["model"] == "register.Person" for m in document["content"]["inventory"])
    assert state(inst)["versions"] == [[1, "draft"]]
    assert state(inst)["events"][-2:] == ["dpia.exported", "dpia.exported"]


def test_refusals_are_one_line_and_change_nothing(inst: CustosInstance, tmp_path: Path) -> None:
    before = state(inst)
    assert "data protection officer" in one_line_error(
        inst.custos("dpia", "--generate", "--as-user", "demo_officer", check=False)
    )
    assert "no user" in one_line_error(inst.custos("dpia", "--generate", "--as-user", "nobody", check=False))
    assert "--pdf" in one_line_error(inst.custos("dpia", "--export", "1", "--as-user", "demo_dpo", check=False))
    missing = inst.custos(
        "dpia", "--export", "7", "--json", str(tmp_path / "x.json"), "--as-user", "demo_dpo", check=False
    )
    one_line_error(missing)
    assert state(inst) == before


def test_records_of_processing(inst: CustosInstance) -> None:
    record = json.loads(inst.custos("records_of_processing", "--json").stdout)
    assert record["transfers"] == "None outside the UK."
    assert "advisory only" in record["profiling"]
    assert record["retention"]["version"] == 1
    text = inst.custos("records_of_processing").stdout
    assert text.startswith("Records of processing (DPA 2018 s.61)")
    assert "Profiling:" in text
