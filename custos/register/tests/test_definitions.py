"""Definition files (rubric, action policy, retention schedule) hold only what a JSON column can store."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from custos.register.definitions import DefinitionFileError, definition_from_file
from custos.register.models import ActionPolicy


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"name": NaN}', "not valid JSON (NaN is not a number)"),
        ('{"weights": [1, -Infinity]}', "not valid JSON (-Infinity is not a number)"),
        ('{"name": "a\\u0000b"}', "holds a NUL character"),
        ('{"a\\u0000": 1}', "holds a NUL character"),
        ('{"deep": [{"x": ["\\u0000"]}]}', "holds a NUL character"),
        ("[1, 2]", "a rubric is a JSON object"),
        ('{"name": ', "not valid JSON (line 1"),
    ],
)
def test_what_a_json_column_cannot_hold_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "definition.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionFileError) as caught:
        definition_from_file(path, "a rubric")
    assert str(caught.value).startswith("definition.json: ")
    assert problem in str(caught.value)


def test_a_usable_definition_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    path.write_text('{"name": "v2", "weights": {"a": 1.5}}', encoding="utf-8")
    assert definition_from_file(path, "a rubric") == {"name": "v2", "weights": {"a": 1.5}}


@pytest.mark.django_db
def test_an_action_policy_with_nul_is_refused_on_every_database(tmp_path: Path, reference_data: None) -> None:
    """Found by hypothesis on PostgreSQL: jsonb refused the NUL after validation passed (a DataError)."""
    path = tmp_path / "policy.json"
    path.write_text('{"name": "\\u0000", "rules": {}}', encoding="utf-8")
    before = ActionPolicy.objects.count()
    with pytest.raises(CommandError, match="holds a NUL character"):
        call_command("action_policy", "--load", str(path))
    assert ActionPolicy.objects.count() == before
