"""The retention schedule as data: validation and the dates it implies. Pure functions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

DEFAULT_SCHEDULE_FILE = "retention-schedule-v1.json"

REQUIRED_DAYS = (
    "proposed_max_days",
    "victim_review_days",
    "unlisted_review_days",
    "review_due_days",
    "escalate_after_days",
    "grace_days",
)
BAND_KEYS = ("red", "amber", "green", "unbanded")


class ScheduleError(ValueError):
    """A retention schedule definition is unusable; the message names the first problem."""


#: No period in a schedule is longer than about a century: dates a period away (forwards from a record,
#: backwards from today) must stay within the calendar, or the sweep could not compute them.
MAX_DAYS = 36_600


def _days(value: Any, where: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScheduleError(f"{where} must be a whole number of days, at least {minimum}")
    if value > MAX_DAYS:
        raise ScheduleError(f"{where} may not exceed {MAX_DAYS:,} days")
    return int(value)


def schedule_validate(definition: Mapping[str, Any]) -> None:
    """Raise ``ScheduleError`` naming the first problem; return None if the schedule is usable."""
    if not isinstance(definition, Mapping):
        raise ScheduleError("a retention schedule is a JSON object")
    intervals = definition.get("review_interval_days")
    if not isinstance(intervals, Mapping):
        raise ScheduleError("review_interval_days must give days for red, amber, green and unbanded")
    for band in BAND_KEYS:
        _days(intervals.get(band), f"review_interval_days.{band}")
        if intervals[band] > 366:
            raise ScheduleError(f"review_interval_days.{band} may not exceed a year (366 days)")
    for key in REQUIRED_DAYS:
        _days(definition.get(key), key, minimum=0 if key == "grace_days" else 1)
    rules = definition.get("removal_rules")
    if not isinstance(rules, Mapping):
        raise ScheduleError("removal_rules must hold zero_score and no_attention_days")
    zero = rules.get("zero_score")
    if not isinstance(zero, Mapping) or not isinstance(zero.get("below"), int | float) or zero["below"] <= 0:
        raise ScheduleError("removal_rules.zero_score.below must be a number above 0")
    if not isinstance(zero.get("requires_exit_evidence"), bool):
        raise ScheduleError("removal_rules.zero_score.requires_exit_evidence must be true or false")
    _days(rules.get("no_attention_days"), "removal_rules.no_attention_days")
    if definition["victim_review_days"] > definition["unlisted_review_days"]:
        raise ScheduleError("victims and witnesses must be reviewed no later than others (victim_review_days)")


def schedule_default() -> dict[str, Any]:
    text = resources.files("custos.retention").joinpath("data", DEFAULT_SCHEDULE_FILE).read_text()
    definition: dict[str, Any] = json.loads(text)
    return definition


def review_interval(definition: Mapping[str, Any], band: str) -> int:
    return int(
        definition["review_interval_days"].get(band or "unbanded", definition["review_interval_days"]["unbanded"])
    )


def next_review_default(definition: Mapping[str, Any], band: str, today: dt.date) -> dt.date:
    return today + dt.timedelta(days=review_interval(definition, band))


def age_band(date_of_birth: dt.date | None, on: dt.date) -> str:
    """The equality-monitoring age band: under 16, 16-17, 18-24, 25+ (or blank if unknown)."""
    if date_of_birth is None:
        return ""
    years = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    if years < 16:
        return "under16"
    if years < 18:
        return "16-17"
    if years < 25:
        return "18-24"
    return "25+"
