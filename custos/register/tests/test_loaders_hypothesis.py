"""The action kind, action policy and rubric loaders refuse a bad file cleanly (issue 8).

Each shipped definition, changed deep inside, cut short, replaced by any
JSON value or by junk bytes, given to the command that loads it
(``custos action_policy --kinds/--load``, ``custos rescore --rubric``): it
loads, or it refuses with a ``CommandError`` that says why and nothing is
written. Never a traceback.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from custos.register.models import (
    ActionKind,
    ActionPolicy,
    Category,
    Criterion,
    Nature,
    Rubric,
    SourceType,
    Verification,
)
from custos.register.scoring import RubricError, ScoringInput, rubric_validate, score
from custos.register.tests.fuzzing import FUZZ, FUZZ_DB, command_all_or_nothing, json_files, mutated, says_why, write

pytestmark = pytest.mark.django_db


def shipped(name: str) -> Any:
    return json.loads(resources.files("custos.register").joinpath(f"data/{name}").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="loader-fuzz-") as name:
        yield Path(name)


@FUZZ_DB
@given(data=json_files(shipped("action-kinds.json")))
def test_action_kinds_load_or_are_refused_with_a_reason(folder: Path, reference_data: None, data: bytes) -> None:
    path = write(folder, "kinds.json", data)
    command_all_or_nothing("action_policy", "--kinds", str(path), tables=(ActionKind,))


@FUZZ_DB
@given(data=json_files(shipped("action-policy-v1.json")))
def test_an_action_policy_loads_or_is_refused_with_a_reason(folder: Path, reference_data: None, data: bytes) -> None:
    path = write(folder, "policy.json", data)
    command_all_or_nothing("action_policy", "--load", str(path), tables=(ActionPolicy,))


@FUZZ_DB
@given(data=json_files(shipped("rubric-default-v1.json")))
def test_a_rubric_loads_or_is_refused_with_a_reason(folder: Path, reference_data: None, data: bytes) -> None:
    path = write(folder, "rubric.json", data)
    command_all_or_nothing("rescore", "--rubric", str(path), "--no-progress", tables=(Rubric,))


def _items() -> list[ScoringInput]:
    """One item for every criterion, grade, category and nature scoring may meet (and an offence code)."""
    today = dt.date(2026, 3, 1)
    return [
        ScoringInput(
            item_id=f"i{n}",
            category=category,
            criterion=criterion,
            occurred_on=today - dt.timedelta(days=n),
            source_type=SourceType.POLICE,
            source_grade=source_grade,
            intel_grade=intel_grade,
            verification=Verification.NOT_REQUIRED,
            nature=nature,
            offence_code="1201",
        )
        for n, (category, criterion, source_grade, intel_grade, nature) in enumerate(
            itertools.product(Category.values, Criterion.values, "123", "ABCD", Nature.values)
        )
    ]


ITEMS = _items()


@FUZZ
@given(definition=mutated(shipped("rubric-default-v1.json")))
def test_a_rubric_that_validates_can_score(definition: Any) -> None:
    """What ``rubric_validate`` accepts, ``score`` can use: a bad rubric is refused when loaded, not when used."""
    try:
        rubric_validate(definition)
    except RubricError as exc:
        says_why(exc)
        return
    result = score(ITEMS, definition, today=dt.date(2026, 3, 1))
    assert result.total >= 0
