"""custos annex1_report as an operator (or the monthly timer) runs it: in a subprocess, files on disk."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

STATE = (
    "import json; from custos.oversight.models import Annex1Report; from custos.audit.models import AuditEvent; "
    "print(json.dumps({'reports': [[r.month, r.generated_by_name, r.content_sha256] for r in "
    "Annex1Report.objects.order_by('generated_at')], 'events': list(AuditEvent.objects.filter("
    "verb='annex1.reported').values_list('actor_username', 'object_ref'))}))"
)


@pytest.fixture(scope="module")
def inst() -> Iterator[CustosInstance]:
    with custos_instance() as instance:
        yield instance


def state(inst: CustosInstance) -> Any:
    result = inst.custos("shell", "-v", "0", "-c", STATE)
    return json.loads(result.stdout.strip().splitlines()[-1])


def last_month() -> str:
    first = dt.datetime.now(dt.UTC).date().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def test_writes_html_and_a_real_pdf_and_keeps_the_report(inst: CustosInstance, tmp_path: Path) -> None:
    month = last_month()
    done = inst.custos("annex1_report", "--month", month, "--out", str(tmp_path), "--as-user", "demo_dpo")
    assert "Annex 1 report R-" in done.stdout
    assert "A1.1 Data protection impact assessment: Not met." in done.stdout
    assert "A1.16 Regular audits of every BCU: Not met." in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"annex1-{month}.html", f"annex1-{month}.pdf"]
    html = (tmp_path / f"annex1-{month}.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Conduct regular audits on all Borough Operational Command Units" in html
    pdf = (tmp_path / f"annex1-{month}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(tmp_path / f"annex1-{month}.pdf").pages)
    assert "Annex 1: monthly progress" in text
    assert "Metropolitan Police Service" in text
    reports = state(inst)["reports"]
    assert [r[:2] for r in reports] == [[month, "demo_dpo"]]
    assert reports[0][2] in done.stdout  # the SHA-256 printed is the one kept
    assert [e[0] for e in state(inst)["events"]] == ["demo_dpo"]


def test_the_timer_runs_it_as_the_system_with_one_format(inst: CustosInstance, tmp_path: Path) -> None:
    month = dt.datetime.now(dt.UTC).date().strftime("%Y-%m")
    inst.custos("annex1_report", "--month", month, "--out", str(tmp_path), "--format", "html")
    assert [p.name for p in tmp_path.iterdir()] == [f"annex1-{month}.html"]
    assert state(inst)["events"][-1][0] == "system:annex1_report"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month must be YYYY-MM"),
        (["--month", "March"], "--month must be YYYY-MM"),
        (["--month", "2999-01"], "--month 2999-01 is in the future"),
        (["--month", "2026-01", "--out", "/no/such/folder"], "/no/such/folder: no such folder"),
        (["--month", "2026-01", "--format", "docx"], "invalid choice: 'docx'"),
        (["--month", "2026-01", "--as-user", "demo_auditor"], "Only central governance and the DPO"),
        (["--month", "2026-01", "--as-user", "nobody"], "no user named 'nobody'"),
        ([], "the following arguments are required: --month"),
    ],
)
def test_refusals_exit_non_zero_and_write_nothing(
    inst: CustosInstance, tmp_path: Path, args: list[str], message: str
) -> None:
    before = len(state(inst)["reports"])
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path)]
    result = inst.custos("annex1_report", *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []
    assert len(state(inst)["reports"]) == before
