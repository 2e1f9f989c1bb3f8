"""custos bcu_audit and custos breach_sweep as an operator (or the systemd timer) runs them: in a subprocess."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

STATE = (
    "import json; from custos.oversight.models import BcuAudit; from custos.audit.models import AuditEvent; "
    "print(json.dumps({'audits': [[a.bcu_code, a.trigger, a.run_by_name] for a in BcuAudit.objects.order_by("
    "'created_at', 'bcu_code')], 'events': list(AuditEvent.objects.filter(verb__in=['bcu_audit.run', "
    "'breach.swept']).values_list('verb', 'actor_username'))}))"
)


@pytest.fixture(scope="module")
def inst() -> Iterator[CustosInstance]:
    with custos_instance() as instance:
        yield instance


def state(inst: CustosInstance) -> Any:
    result = inst.custos("shell", "-v", "0", "-c", STATE)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_on_demand_for_one_bcu_then_scheduled_for_all_with_pdfs(inst: CustosInstance, tmp_path: Path) -> None:
    refused = inst.custos("bcu_audit", "--bcu", "central-east", "--as-user", "demo_auditor", check=False)
    assert refused.returncode != 0
    assert "Only central governance may run a BCU audit." in refused.stderr
    assert state(inst)["audits"] == []

    done = inst.custos("bcu_audit", "--bcu", "central-east", "--as-user", "demo_central_governance")
    assert "central-east: audit A-" in done.stdout
    assert "Reviews past their due date and still open: " in done.stdout
    assert state(inst)["audits"] == [["central-east", "on_demand", "demo_central_governance"]]

    scheduled = inst.custos("bcu_audit", "--all", "--pdf", str(tmp_path))
    assert "12 BCU audit(s) run" in scheduled.stdout
    assert "same)" in scheduled.stdout  # central-east is compared with its on-demand audit
    audits = state(inst)["audits"]
    assert len(audits) == 13
    assert {tuple(a[1:]) for a in audits[1:]} == {("scheduled", "system:bcu_audit")}
    pdfs = sorted(tmp_path.iterdir())
    assert len(pdfs) == 12
    text = " ".join(page.extract_text() for page in PdfReader(pdfs[0]).pages)
    assert "BCU audit" in text
    assert "Lower is better" in text


def test_the_breach_sweep_runs_as_the_system(inst: CustosInstance) -> None:
    result = inst.custos("breach_sweep")
    assert "0 breach(es) past the 72-hour deadline" in result.stdout
    assert ["breach.swept", "system:breach_sweep"] in state(inst)["events"]
