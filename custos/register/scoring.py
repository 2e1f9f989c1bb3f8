"""Harm scoring: an explainable, versioned rubric over graded intelligence.

This module is pure: it sees only ``ScoringInput`` records, which carry no
protected characteristic and nothing about the person but their records.
Rules that no rubric can override:

- only records where the person is a suspected or convicted offender count
  (a victim, witness or other record never adds a point);
- the criterion "victimisation" never adds a point;
- grade E intelligence counts for nothing;
- an open-source / social-media item counts for nothing until verified.

A score only *recommends* a band; the band is a named person's decision.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from custos.register.models import OFFENDER_CATEGORIES, Criterion, SourceType, Verification

TWO_PLACES = Decimal("0.01")


class RubricError(ValueError):
    """A rubric definition is incomplete or malformed."""


@dataclass(frozen=True)
class ScoringInput:
    """What scoring may see of one intelligence item. Nothing else."""

    item_id: str
    category: str
    criterion: str
    occurred_on: dt.date
    source_type: str
    source_grade: str
    intel_grade: str
    verification: str
    nature: str
    offence_code: str = ""


@dataclass(frozen=True)
class ScoreLine:
    item_id: str
    criterion: str
    points: Decimal
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"item": self.item_id, "criterion": self.criterion, "points": str(self.points), "reason": self.reason}


@dataclass(frozen=True)
class ScoreResult:
    total: Decimal
    recommended_band: str
    counted: list[ScoreLine] = field(default_factory=list)
    excluded: list[ScoreLine] = field(default_factory=list)

    def explanation(self, rubric_version: int) -> dict[str, Any]:
        return {
            "rubric_version": rubric_version,
            "total": str(self.total),
            "recommended_band": self.recommended_band,
            "counted": [line.as_dict() for line in self.counted],
            "excluded": [line.as_dict() for line in self.excluded],
        }


REQUIRED_KEYS = (
    "criteria",
    "source_grade_weights",
    "intel_grade_weights",
    "category_weights",
    "nature_weights",
    "band_thresholds",
)


def _non_negative(value: Any) -> bool:
    """A finite number of 0 or more (not a boolean): what scoring can turn into a ``Decimal`` and multiply."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def rubric_validate(definition: Mapping[str, Any]) -> None:
    """Raise ``RubricError`` naming the first problem in a rubric definition.

    Checks everything ``score`` reads, with its type, so that a rubric that
    loads can always score.
    """
    if not isinstance(definition, Mapping):
        raise RubricError("a rubric is a JSON object")
    for key in REQUIRED_KEYS:
        if key not in definition:
            raise RubricError(f"rubric lacks {key!r}")
        if not isinstance(definition[key], Mapping):
            raise RubricError(f"{key!r} must be an object")
    criteria = definition["criteria"]
    for criterion in Criterion.values:
        if criterion not in criteria and criterion == Criterion.GANG_EXIT:
            continue  # evidence of exit never scores; rubrics need not weigh it
        if criterion not in criteria:
            raise RubricError(f"rubric does not weigh criterion {criterion!r}")
        rule = criteria[criterion]
        if not isinstance(rule, Mapping):
            raise RubricError(f"criterion {criterion!r} must be an object")
        for part in ("points", "lookback_days", "max_points"):
            if not _non_negative(rule.get(part)):
                raise RubricError(f"criterion {criterion!r}: {part} must be a number of 0 or more")
    if criteria[Criterion.VICTIMISATION]["points"] != 0:
        raise RubricError("victimisation must score 0 points")
    thresholds = definition["band_thresholds"]
    if not all(_non_negative(thresholds.get(band)) for band in ("red", "amber", "green")):
        raise RubricError("band thresholds red, amber and green must be numbers")
    if not (thresholds["red"] > thresholds["amber"] > thresholds["green"] > 0):
        raise RubricError("band thresholds must satisfy red > amber > green > 0")
    for grade in ("1", "2", "3"):
        if grade not in definition["source_grade_weights"]:
            raise RubricError(f"no weight for source grade {grade}")
    for grade in "ABCDE":
        if grade not in definition["intel_grade_weights"]:
            raise RubricError(f"no weight for intelligence grade {grade}")
    severity = definition.get("severity_weights") or {}
    if not isinstance(severity, Mapping):
        raise RubricError("'severity_weights' must be an object")
    tables = ("source_grade_weights", "intel_grade_weights", "category_weights", "nature_weights")
    for table, weights in [*((key, definition[key]) for key in tables), ("severity_weights", severity)]:
        for name, weight in weights.items():
            if not _non_negative(weight):
                raise RubricError(f"{table}: the weight of {name!r} must be a number of 0 or more")


def counts_for_nothing(item: ScoringInput) -> str | None:
    """Why an item may never count (for scores or corroboration), or None."""
    if item.category not in OFFENDER_CATEGORIES:
        return f"the person is recorded as {item.category.replace('_', ' ')} in this record"
    if item.criterion == Criterion.VICTIMISATION:
        return "victimisation never adds to a score"
    if item.criterion == Criterion.GANG_EXIT:
        return "evidence of exit never adds to a score"
    if item.intel_grade == "E":
        return "grade E intelligence counts for nothing"
    if item.source_type == SourceType.SOCIAL_MEDIA and item.verification != Verification.VERIFIED:
        return "social-media item not verified"
    if item.verification == Verification.REJECTED:
        return "item rejected on verification"
    return None


def _band_for(total: Decimal, thresholds: Mapping[str, Any]) -> str:
    if total >= Decimal(str(thresholds["red"])):
        return "red"
    if total >= Decimal(str(thresholds["amber"])):
        return "amber"
    if total >= Decimal(str(thresholds["green"])):
        return "green"
    return ""


def score(items: Iterable[ScoringInput], definition: Mapping[str, Any], *, today: dt.date) -> ScoreResult:
    """Score a person's items under a rubric definition; every item is explained."""
    criteria = definition["criteria"]
    severity = definition.get("severity_weights") or {}
    counted: list[ScoreLine] = []
    excluded: list[ScoreLine] = []
    per_criterion: dict[str, Decimal] = {}
    for item in sorted(items, key=lambda i: (i.occurred_on, i.item_id), reverse=True):
        why_not = counts_for_nothing(item)
        if why_not:
            excluded.append(ScoreLine(item.item_id, item.criterion, Decimal(0), why_not))
            continue
        rule = criteria.get(item.criterion)
        if rule is None:
            excluded.append(ScoreLine(item.item_id, item.criterion, Decimal(0), "criterion not in rubric"))
            continue
        age = (today - item.occurred_on).days
        if age > rule["lookback_days"]:
            excluded.append(
                ScoreLine(item.item_id, item.criterion, Decimal(0), f"older than {rule['lookback_days']} days")
            )
            continue
        weight = (
            Decimal(str(definition["source_grade_weights"][item.source_grade]))
            * Decimal(str(definition["intel_grade_weights"][item.intel_grade]))
            * Decimal(str(definition["category_weights"].get(item.category, 0)))
            * Decimal(str(definition["nature_weights"].get(item.nature, 0)))
        )
        if item.offence_code and item.offence_code in severity:
            weight *= Decimal(str(severity[item.offence_code]))
        points = (Decimal(str(rule["points"])) * weight).quantize(TWO_PLACES, ROUND_HALF_UP)
        cap = Decimal(str(rule["max_points"]))
        so_far = per_criterion.get(item.criterion, Decimal(0))
        if so_far + points > cap:
            points = max(cap - so_far, Decimal(0))
            reason = f"{item.source_grade}{item.intel_grade} {item.category.replace('_', ' ')}; capped at {cap}"
        else:
            reason = f"{item.source_grade}{item.intel_grade} {item.category.replace('_', ' ')}, {item.nature}"
        per_criterion[item.criterion] = so_far + points
        counted.append(ScoreLine(item.item_id, item.criterion, points, reason))
    total = sum((line.points for line in counted), Decimal(0)).quantize(TWO_PLACES)
    return ScoreResult(total, _band_for(total, definition["band_thresholds"]), counted, excluded)
