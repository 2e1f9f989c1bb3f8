"""seed_demo, import_matrix and rescore as an operator runs them: the `custos` script in a subprocess."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "legacy-matrix.csv"

COUNTS = (
    "import json; from custos.register.models import Person, Nomination, IntelligenceItem; "
    "from custos.audit.models import AuditEvent; "
    "print(json.dumps({'people': Person.objects.count(), 'nominations': Nomination.objects.count(), "
    "'proposed': Nomination.objects.filter(status='proposed').count(), "
    "'banded': Nomination.objects.exclude(band='').count(), "
    "'items': IntelligenceItem.objects.count(), 'events': AuditEvent.objects.count()}))"
)
NAMES = (
    "import json; from custos.register.models import Person; "
    "print(json.dumps([p.full_name for p in Person.objects.all()]))"
)


@pytest.fixture
def instance() -> Iterator[CustosInstance]:
    """A fresh, initialised instance without demo users (hashing their passwords takes seconds)."""
    with custos_instance(demo_users=False) as inst:
        yield inst


def query(instance: CustosInstance, code: str) -> object:
    """Run a short read-only query in ``custos shell`` and return its JSON output."""
    result = instance.custos("shell", "-v", "0", "-c", code)
    return json.loads(result.stdout.strip().splitlines()[-1])


def counts(instance: CustosInstance) -> dict[str, int]:
    value = query(instance, COUNTS)
    assert isinstance(value, dict)
    return value


def names(instance: CustosInstance) -> Counter[str]:
    value = query(instance, NAMES)
    assert isinstance(value, list)
    return Counter(value)


def assert_audit_intact(instance: CustosInstance) -> None:
    result = instance.custos("audit_verify", check=False)
    assert result.returncode == 0, result.stderr
    assert "audit chain intact" in result.stdout


def one_line_error(result: object) -> str:
    stderr = getattr(result, "stderr", "")
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


# -- seed_demo ---------------------------------------------------------------------------------


def test_seed_demo_adds_people_and_the_same_seed_gives_the_same_people(instance):
    first = instance.custos("seed_demo", "--people", "40", "--seed", "5")
    assert first.stdout.startswith("Seeded 40 synthetic people in 12 BCU(s) in ")
    assert "seed 5" in first.stdout
    assert "nominations:" in first.stdout
    assert first.stderr == ""  # no progress bar when stderr is not a terminal
    once = names(instance)
    assert sum(once.values()) == 40

    instance.custos("seed_demo", "--people", "40", "--seed", "5", "--bcu", "central-east", "north-area")
    instance.custos("seed_demo", "--people", "40", "--seed", "5")
    after = names(instance)
    assert sum(after.values()) == 120
    assert all(after[name] >= 2 * n for name, n in once.items())  # the same 40 again

    assert counts(instance)["people"] == 120
    assert_audit_intact(instance)


def test_seed_demo_refuses_bad_input_in_one_line(instance):
    unknown = instance.custos("seed_demo", "--people", "5", "--bcu", "atlantis", check=False)
    assert unknown.returncode == 1
    assert one_line_error(unknown).startswith("CommandError: unknown BCU 'atlantis'")
    zero = instance.custos("seed_demo", "--people", "0", check=False)
    assert zero.returncode != 0
    assert "must be 1 or more" in zero.stderr
    assert counts(instance)["people"] == 0


# -- import_matrix --------------------------------------------------------------------------------


def test_import_matrix_imports_a_csv_without_legacy_judgements(instance):
    result = instance.custos("import_matrix", str(EXAMPLE), "--bcu", "Central East")
    out = result.stdout
    assert "Legacy matrix imported into Central East" in out
    assert "people imported: 6" in out
    assert "nominations proposed: 2" in out
    assert "victim: 2 (rows 6, 7)" in out
    assert "uncorroborated: 1 (row 4)" in out
    assert "zero score: 1 (row 5)" in out
    for personal in ("Jordan", "Example Road", "knife carrying", "17/05/2001"):
        assert personal not in out
    after = counts(instance)
    assert (after["people"], after["nominations"], after["proposed"], after["banded"]) == (6, 2, 2, 0)
    assert after["items"] == 10
    assert_audit_intact(instance)


def test_import_matrix_imports_an_xlsx(instance, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["FULL NAME", "date_of_birth", "Borough", "RANK", "score", "Police Intelligence",
                  "Partner intelligence", "victim", "knife carrier"])  # fmt: skip
    sheet.append(["Pat Fictional", dt.datetime(2002, 4, 1), "hackney", "G", 4, "Seen with group members",  # noqa: DTZ001
                  "YOS report", "no", "yes"])  # fmt: skip
    sheet.append(["Lee Fictional", "2004-08-30", "Tower Hamlets", "R", 19, "Victim of a stabbing", "", False, None])
    path = tmp_path / "matrix.xlsx"
    workbook.save(path)
    result = instance.custos("import_matrix", str(path), "--bcu", "CENTRAL-EAST")
    assert "file: xlsx" in result.stdout
    assert "people imported: 2" in result.stdout
    assert "nominations proposed: 1" in result.stdout
    assert "victim: 1 (row 3)" in result.stdout
    assert counts(instance)["people"] == 2


def test_import_matrix_lists_every_error_and_writes_nothing(instance, tmp_path):
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("09/09/2004", "31/02/2001")
    lines[5] = lines[5].replace(",Hackney,", ",Camden,").replace(",6,", ",six,")
    path = tmp_path / "legacy.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = counts(instance)
    result = instance.custos("import_matrix", str(path), "--bcu", "central-east", check=False)
    assert result.returncode == 1
    assert "row 4, date of birth: '31/02/2001' is not a date (use DD/MM/YYYY or YYYY-MM-DD)" in result.stdout
    assert "row 6, borough: 'Camden' is not a borough of Central East" in result.stdout
    assert "row 6, score: 'six' is not a number" in result.stdout
    assert one_line_error(result) == "CommandError: legacy.csv: 3 error(s) found; nothing imported"
    assert counts(instance) == before
    assert_audit_intact(instance)


def test_import_matrix_dry_run_writes_nothing(instance):
    before = counts(instance)
    result = instance.custos("import_matrix", str(EXAMPLE), "--bcu", "central-east", "--dry-run")
    assert "dry run: nothing written" in result.stdout
    assert "people to import: 6" in result.stdout
    assert counts(instance) == before


def test_import_matrix_refuses_unusable_files_in_one_line(instance, tmp_path):
    cases = [
        ("matrix.txt", b"full name\n", "must be a .csv or .xlsx file"),
        ("matrix.csv", b"", "the file is empty"),
        ("matrix.xlsx", b"not a workbook", "not a readable .xlsx workbook"),
        ("matrix.csv", b"full name,score\nA,1\n", "missing required column(s): date of birth"),
    ]
    for name, content, message in cases:
        path = tmp_path / name
        path.write_bytes(content)
        result = instance.custos("import_matrix", str(path), "--bcu", "central-east", check=False)
        assert result.returncode == 1, name
        assert message in one_line_error(result)
    unknown = instance.custos("import_matrix", str(EXAMPLE), "--bcu", "atlantis", check=False)
    assert one_line_error(unknown).startswith("CommandError: unknown BCU 'atlantis'")
    assert counts(instance)["people"] == 0


# -- rescore -------------------------------------------------------------------------------------------


def test_rescore_reports_and_loads_a_new_rubric(instance, tmp_path):
    instance.custos("seed_demo", "--people", "15", "--seed", "1")
    result = instance.custos("rescore", "--batch-size", "4")
    assert result.stdout.startswith("re-scored 15 people under rubric v1 in ")
    assert "no band was changed" in result.stdout

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"criteria": {}}), encoding="utf-8")
    refused = instance.custos("rescore", "--rubric", str(bad), check=False)
    assert refused.returncode == 1
    assert one_line_error(refused) == "CommandError: invalid rubric: rubric lacks 'source_grade_weights'"

    rubric = json.loads((ROOT / "custos" / "register" / "data" / "rubric-default-v1.json").read_text())
    rubric["band_thresholds"] = {"red": 10, "amber": 5, "green": 1}
    good = tmp_path / "v2.json"
    good.write_text(json.dumps(rubric), encoding="utf-8")
    loaded = instance.custos("rescore", "--rubric", str(good))
    assert "loaded harm-score rubric v2" in loaded.stdout
    assert "re-scored 15 people under rubric v2" in loaded.stdout
    assert_audit_intact(instance)
