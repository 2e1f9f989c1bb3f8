"""custos guidance as an operator runs it: the `custos` script in a subprocess, against its own instance."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

STATE = (
    "import json; from custos.oversight.models import GuidanceVersion; "
    "from custos.audit.models import AuditEvent; "
    "print(json.dumps({'versions': sorted([v.topic, v.version, v.status] for v in GuidanceVersion.objects.all()), "
    "'events': list(AuditEvent.objects.filter(verb__startswith='guidance.').order_by('seq')"
    ".values_list('verb', 'actor_username'))}))"
)

NEW_TEXT = """# Social media as verifiable intelligence

Version 2 of the force's own text: attribution, authenticity and relevance, each shown in the reasons.
"""


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


def test_the_library_from_seed_to_a_second_version(inst: CustosInstance, tmp_path: Path) -> None:
    listed = inst.custos("guidance", "list").stdout
    assert listed.count("NONE IN FORCE") == 5

    seeded = inst.custos("guidance", "seed", "--publish").stdout
    assert "5 topic(s) loaded" in seeded
    assert "0 topic(s) loaded; 5 already started" in inst.custos("guidance", "seed").stdout
    assert "social_media: Social media as verifiable intelligence: version 1 in force since" in (
        inst.custos("guidance", "list").stdout
    )
    shown = inst.custos("guidance", "show", "social_media").stdout
    assert shown.startswith("Social media as verifiable intelligence, version 1, in force from")
    assert "Verifying social-media intelligence" in shown.splitlines()[0]
    assert "## Verifying an item" in shown

    source = tmp_path / "social.md"
    source.write_text(NEW_TEXT, encoding="utf-8")
    inst.custos(
        "guidance", "draft", "social_media", "--file", str(source), "--summary", "The force's own text.",
        "--as-user", "demo_central_governance",
    )  # fmt: skip
    refused = inst.custos(
        "guidance", "publish", "social_media", "--in-force-from", dt.date.today().isoformat(),
        "--as-user", "demo_central_governance", check=False,
    )  # fmt: skip
    assert "someone other than the person who drafted it" in one_line_error(refused)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    published = inst.custos(
        "guidance", "publish", "social_media", "--in-force-from", tomorrow, "--as-user", "demo_dpo"
    ).stdout
    assert f"Social media as verifiable intelligence, version 2 published, in force from {tomorrow}." in published
    assert "(version 2 from" in inst.custos("guidance", "list").stdout
    assert NEW_TEXT in inst.custos("guidance", "show", "social_media", "--version", "2").stdout
    assert "version 1, in force" in inst.custos("guidance", "show", "social_media").stdout  # 2 is not yet in force

    after = state(inst)
    assert ["social_media", 2, "published"] in after["versions"]
    assert after["events"][-2:] == [["guidance.drafted", "demo_central_governance"], ["guidance.published", "demo_dpo"]]
    assert after["events"][:10:2] == [["guidance.drafted", "system:guidance_seed"]] * 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "drill_music"], "drill_music: no such topic; the topics are gang_composition"),
        (["show", "social_media", "--version", "9"], "social_media has no published version 9"),
        (["draft", "social_media", "--file", "/nonexistent.md", "--summary", "x", "--as-user", "demo_dpo"],
         "/nonexistent.md: no such file"),
        (["draft", "social_media", "--file", "/etc/hostname", "--summary", "x", "--as-user", "nobody"],
         "no user named 'nobody'"),
        (["publish", "gang_composition", "--in-force-from", "tomorrow", "--as-user", "demo_dpo"],
         "gang_composition has no draft to publish"),
        (["publish", "social_media", "--in-force-from", "1/12/2026", "--as-user", "demo_dpo"],
         "social_media has no draft to publish"),
    ],
)  # fmt: skip
def test_bad_input_gets_one_clear_line_and_changes_nothing(inst: CustosInstance, args: list[str], message: str) -> None:
    before = state(inst)
    assert message in one_line_error(inst.custos("guidance", *args, check=False))
    assert state(inst) == before


def test_an_officer_cannot_draft_and_a_short_text_is_refused(inst: CustosInstance, tmp_path: Path) -> None:
    source = tmp_path / "short.md"
    source.write_text("# Too short\n", encoding="utf-8")
    before = state(inst)
    officer = inst.custos(
        "guidance", "draft", "gang_composition", "--file", str(source), "--summary", "x", "--as-user", "demo_officer",
        check=False,
    )  # fmt: skip
    assert "Only central governance and the data protection officer draft guidance." in one_line_error(officer)
    short = inst.custos(
        "guidance", "draft", "gang_composition", "--file", str(source), "--summary", "x",
        "--as-user", "demo_central_governance", check=False,
    )  # fmt: skip
    assert "body: Write the guidance: at least 80 characters." in one_line_error(short)
    assert state(inst) == before
