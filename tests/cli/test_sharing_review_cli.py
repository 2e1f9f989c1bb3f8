"""import_sharing_log and sharing_review as an operator runs them: the `custos` script in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.cli.test_commands_cli import one_line_error, query
from tests.server import CustosInstance

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "legacy-sharing-log.csv"
SHARES = (
    "import json; from custos.sharing.models import LegacyShare; from custos.audit.models import AuditEvent; "
    "print(json.dumps({'shares': LegacyShare.objects.count(), "
    "'imports': AuditEvent.objects.filter(verb='sharing_log.imported').count(), "
    "'reviews': AuditEvent.objects.filter(verb='sharing.reviewed').count()}))"
)


def state(instance: CustosInstance) -> dict[str, int]:
    value = query(instance, SHARES)
    assert isinstance(value, dict)
    return value


def test_a_legacy_log_is_imported_once_and_the_review_covers_it(instance: CustosInstance, tmp_path: Path) -> None:
    dry = instance.custos("import_sharing_log", str(EXAMPLE), "--as-user", "demo_iru", "--dry-run")
    assert "dry run: nothing written" in dry.stdout
    assert "lines to import: 15" in dry.stdout
    assert state(instance) == {"shares": 0, "imports": 0, "reviews": 0}

    done = instance.custos("import_sharing_log", str(EXAMPLE), "--as-user", "demo_iru")
    assert "Sharing log legacy-sharing-log.csv imported" in done.stdout
    assert "lines imported: 15" in done.stdout
    assert "people shared: 46" in done.stdout
    assert "shares without an ISA: 6 (lines 4, 5, 8, 12, 14, 16)" in done.stdout
    assert "unknown ISA codes: 6 (CPS-2020-11, HOUS-07, ISA-0001, ISA-0002, ISA-0003, TH-CSP-2018)" in done.stdout
    assert state(instance) == {"shares": 15, "imports": 1, "reviews": 0}

    again = instance.custos("import_sharing_log", str(EXAMPLE), "--as-user", "demo_central_governance", check=False)
    assert again.returncode == 1
    assert "was already imported as 'legacy-sharing-log.csv'" in one_line_error(again)
    assert state(instance)["shares"] == 15

    pdf = tmp_path / "review.pdf"
    text = instance.custos("sharing_review", "--as-user", "demo_auditor", "--pdf", str(pdf))
    assert text.stdout.startswith("Sharing review, the beginning to today")
    assert "  disclosures: 0" in text.stdout
    assert "  legacy shares: 15 (46 people; 6 without an agreement)" in text.stdout
    assert "  flags: 23" in text.stdout
    assert "[no_isa] legacy-sharing-log.csv line 4: shared with Clarion Housing Association without an agreement." in (
        text.stdout
    )
    reader = PdfReader(pdf)
    content = " ".join(page.extract_text() for page in reader.pages)
    assert "Legacy shares 15" in content
    assert "People in legacy shares 46" in content
    assert "Flags 23" in content

    as_json = instance.custos("sharing_review", "--as-user", "demo_dpo", "--json", "--from", "2020-01-01")
    data = json.loads(as_json.stdout)
    assert data["totals"]["legacy_shares"] == 7
    assert data["filters"] == {"from": "2020-01-01", "to": "", "recipient_kind": ""}
    assert state(instance)["reviews"] == 2


def test_the_commands_refuse_other_roles_and_bad_input(instance: CustosInstance, tmp_path: Path) -> None:
    officer = instance.custos("import_sharing_log", str(EXAMPLE), "--as-user", "demo_officer", check=False)
    assert officer.returncode == 1
    assert "only the Information Rights Unit or central governance" in one_line_error(officer)
    review = instance.custos("sharing_review", "--as-user", "demo_officer", check=False)
    assert review.returncode == 1
    assert "may read the sharing review" in one_line_error(review)
    nobody = instance.custos("sharing_review", "--as-user", "nobody", check=False)
    assert one_line_error(nobody) == "CommandError: no user named 'nobody'"
    dates = instance.custos("sharing_review", "--as-user", "demo_iru", "--from", "2020-13-01", check=False)
    assert "'2020-13-01' is not a date (use YYYY-MM-DD)" in one_line_error(dates)

    names = tmp_path / "names.csv"
    names.write_text("date,recipient,Full name\n2020-01-01,Council,A Person\n", encoding="utf-8")
    result = instance.custos("import_sharing_log", str(names), "--as-user", "demo_iru", check=False)
    assert result.returncode == 1
    assert "looks like people's details" in one_line_error(result)
    assert "A Person" not in result.stdout + result.stderr

    bad = tmp_path / "bad.csv"
    bad.write_text("date,recipient,people\n2020-02-30,Council,1\n2020-03-01,Council,-1\n", encoding="utf-8")
    result = instance.custos("import_sharing_log", str(bad), "--as-user", "demo_iru", check=False)
    assert result.returncode == 1
    assert "line 2, date: '2020-02-30' is not a date (use YYYY-MM-DD or DD/MM/YYYY)" in result.stdout
    assert "line 3, people: -1 must be 0 or more" in result.stdout
    assert one_line_error(result) == "CommandError: bad.csv: 2 error(s) found; nothing imported"
    assert state(instance) == {"shares": 0, "imports": 0, "reviews": 0}
