"""access_sweep, import_hr and user_reinstate as an operator runs them: the `custos` script in a subprocess."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.server import CustosInstance

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "hr-movers-leavers.csv"

ACCOUNTS = (
    "import json; from custos.accounts.models import User; "
    "print(json.dumps({u.username: [u.is_active, u.bcu_code, u.suspended_reason] "
    "for u in User.objects.filter(username__startswith='demo_')}))"
)


def accounts(instance: CustosInstance) -> dict[str, list[object]]:
    result = instance.custos("shell", "-v", "0", "-c", ACCOUNTS)
    value = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(value, dict)
    return value


def one_line_error(result: object) -> str:
    lines = [line for line in getattr(result, "stderr", "").splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def assert_audit_intact(instance: CustosInstance) -> None:
    result = instance.custos("audit_verify", check=False)
    assert result.returncode == 0, result.stderr
    assert "audit chain intact" in result.stdout


def test_import_hr_checks_everything_first_then_applies_all(instance: CustosInstance, tmp_path: Path) -> None:
    before = accounts(instance)
    bad = tmp_path / "hr.csv"
    bad.write_text(
        "Username,Event,Effective date,New BCU\n"
        "demo_analyst,leaver,2026-11-30,\n"
        "nobody,leaver,2026-11-30,\n"
        "demo_officer,mover,2026-12-01,atlantis\n"
        "demo_dpo,mover,2026-12-01,north-area\n",
        encoding="utf-8",
    )
    refused = instance.custos("import_hr", str(bad), check=False)
    assert refused.returncode == 1
    assert "row 3, username: no account 'nobody'" in refused.stdout
    assert "row 4, new BCU: 'atlantis' is not a BCU code or name" in refused.stdout
    assert "row 5, username: demo_dpo has a London-wide role" in refused.stdout
    assert one_line_error(refused) == "CommandError: hr.csv: 3 error(s) found; nothing applied"
    assert accounts(instance) == before

    dry = instance.custos("import_hr", str(EXAMPLE), "--dry-run")
    assert "dry run: nothing written" in dry.stdout
    assert "row 2: would suspend leaver demo_analyst" in dry.stdout
    assert "row 3: would move demo_officer to north-area" in dry.stdout
    assert accounts(instance) == before

    done = instance.custos("import_hr", str(EXAMPLE))
    assert "leavers suspended: 1 (demo_analyst)" in done.stdout
    assert "movers re-scoped: 1 (demo_officer)" in done.stdout
    after = accounts(instance)
    assert after["demo_analyst"] == [False, "central-east", "leaver"]
    assert after["demo_officer"] == [True, "north-area", ""]
    again = instance.custos("import_hr", str(EXAMPLE))
    assert "leavers already suspended: 1 (demo_analyst)" in again.stdout
    assert "movers already in their new BCU: 1 (demo_officer)" in again.stdout
    assert accounts(instance) == after

    missing = tmp_path / "short.csv"
    missing.write_text("username,event\ndemo_iru,leaver\n", encoding="utf-8")
    unusable = instance.custos("import_hr", str(missing), check=False)
    assert one_line_error(unusable) == "CommandError: short.csv: missing required column(s): effective_date"
    assert_audit_intact(instance)


def test_access_sweep_suspends_and_a_suspended_account_gets_no_token(instance: CustosInstance) -> None:
    quiet = instance.custos("access_sweep")
    assert quiet.stdout.strip() == "access sweep: 0 account(s) suspended"
    # With a dormancy period of 0 days every account is dormant: the operator sees the list first.
    dormant = dataclasses.replace(instance, env={**instance.env, "CUSTOS_DORMANCY_DAYS": "0"})
    dry = dormant.custos("access_sweep", "--dry-run")
    assert "would suspend demo_officer: not used within the dormancy period" in dry.stdout
    assert "access sweep: 8 account(s) would suspend (dry run: nothing written)" in dry.stdout
    assert all(active for active, _, _ in accounts(instance).values())
    swept = dormant.custos("access_sweep")
    assert "suspended demo_sysadmin: not used within the dormancy period" in swept.stdout
    assert not any(active for active, _, _ in accounts(instance).values())

    refused = instance.custos("api_token", "demo_officer", check=False)
    assert refused.returncode != 0
    assert "cannot issue a token for demo_officer" in refused.stderr
    back = instance.custos("user_reinstate", "demo_officer")
    assert back.stdout.strip() == "reinstated demo_officer"
    assert instance.custos("api_token", "demo_officer").stdout.startswith("cst_")
    assert instance.custos("user_reinstate", "demo_officer").stdout.strip().endswith("nothing changed")
    assert_audit_intact(instance)
