"""A retention schedule file that is wrong is refused cleanly, and one that loads can be used (issue 8).

The shipped schedule, changed deep inside, cut short, any JSON value or junk
bytes, given to ``custos retention_schedule --load``: it loads, or it is
refused with a ``CommandError`` that says why and nothing is written. And
whatever ``schedule_validate`` accepts gives dates the sweep can compute,
so a bad schedule is refused when loaded, not when the sweep runs.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.register.tests.fuzzing import FUZZ, FUZZ_DB, command_all_or_nothing, json_files, mutated, says_why, write
from custos.retention.models import RetentionSchedule
from custos.retention.schedule import (
    BAND_KEYS,
    DEFAULT_SCHEDULE_FILE,
    REQUIRED_DAYS,
    ScheduleError,
    next_review_default,
    schedule_validate,
)

SHIPPED = json.loads(resources.files("custos.retention").joinpath(f"data/{DEFAULT_SCHEDULE_FILE}").read_text())


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="schedule-fuzz-") as name:
        yield Path(name)


@pytest.mark.django_db
@FUZZ_DB
@given(data=json_files(SHIPPED))
def test_a_schedule_file_loads_or_is_refused_with_a_reason(folder: Path, reference_data: None, data: bytes) -> None:
    path = write(folder, "schedule.json", data)
    command_all_or_nothing("retention_schedule", "--load", str(path), tables=(RetentionSchedule,))


def _with_days(key: str, value: int) -> dict[str, Any]:
    definition = json.loads(json.dumps(SHIPPED))
    if key == "no_attention_days":
        definition["removal_rules"][key] = value
    elif key in BAND_KEYS:
        definition["review_interval_days"][key] = value
    else:
        definition[key] = value
    return definition


any_number_of_days = st.builds(
    _with_days,
    st.sampled_from([*REQUIRED_DAYS, *BAND_KEYS, "no_attention_days"]),
    st.integers(min_value=-10, max_value=10**12),
)


@FUZZ
@given(definition=st.one_of(mutated(SHIPPED), any_number_of_days))
def test_a_schedule_that_validates_gives_dates_the_sweep_can_compute(definition: Any) -> None:
    try:
        schedule_validate(definition)
    except ScheduleError as exc:
        says_why(exc)
        return
    today = dt.date(2026, 3, 1)
    for band in BAND_KEYS:
        next_review_default(definition, band, today)
    days = [definition[key] for key in REQUIRED_DAYS] + [definition["removal_rules"]["no_attention_days"]]
    for value in days:  # as the sweep uses them: forwards from a record, backwards from today
        assert today - dt.timedelta(days=value) <= today + dt.timedelta(days=value)
