"""equality_baseline and equality_publish as an operator runs them: the `custos` script in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_commands_cli import one_line_error, query
from tests.server import CustosInstance

pytestmark = pytest.mark.cli

STATE = (
    "import json; from custos.oversight.models import Baseline, EqualityPublication; "
    "from custos.audit.models import AuditEvent; "
    "print(json.dumps({'baselines': [[b.name, b.kind, len(b.rows)] for b in Baseline.objects.all()], "
    "'quarters': list(EqualityPublication.objects.values_list('quarter', flat=True)), "
    "'loaded': AuditEvent.objects.filter(verb='equality.baseline_loaded').count(), "
    "'published': AuditEvent.objects.filter(verb='equality.published').count()}))"
)


def test_a_baseline_is_loaded_and_a_quarter_published(instance: CustosInstance, tmp_path: Path) -> None:
    csv_file = tmp_path / "london-by-age.csv"
    csv_file.write_text("group,age_band,count\nBlack,18-24,100\nWhite,18-24,300\nBlack,25+,50\n", encoding="utf-8")
    loaded = instance.custos(
        "equality_baseline",
        "--load",
        str(csv_file),
        "--name",
        "London by age",
        "--source",
        "Test figures",
        "--as-user",
        "demo_dpo",
    )
    assert loaded.stdout.strip() == "Loaded population baseline 'London by age': 3 rows, by age band."

    bad = tmp_path / "bad.csv"
    bad.write_text("group,count\nPurple,3\n", encoding="utf-8")
    refused = instance.custos(
        "equality_baseline", "--load", str(bad), "--name", "x", "--as-user", "demo_dpo", check=False
    )
    assert refused.returncode == 1
    assert "Line 2: the group must be one of" in one_line_error(refused)
    officer = instance.custos(
        "equality_baseline", "--load", str(csv_file), "--name", "y", "--as-user", "demo_officer", check=False
    )
    assert officer.returncode == 1
    assert "Only central governance or the DPO" in one_line_error(officer)

    done = instance.custos("equality_publish", "--quarter", "2026-Q3", "--as-user", "demo_central_governance")
    assert done.stdout.strip() == "Published the equality figures for 2026-Q3 (6 tables)."
    again = instance.custos("equality_publish", "--quarter", "2026-Q3", "--as-user", "demo_dpo", check=False)
    assert again.returncode == 1
    assert "2026-Q3 is already published." in one_line_error(again)

    assert query(instance, STATE) == {
        "baselines": [["London by age", "population", 3]],
        "quarters": ["2026-Q3"],
        "loaded": 1,
        "published": 1,
    }
