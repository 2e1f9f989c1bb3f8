"""Disproportionality statistics, pure (no database).

- ``representation_ratio``: a group's share among the people at a decision
  point divided by its share of a baseline. The interval treats the baseline
  share as known (a census count of millions) and the point's share as a
  binomial proportion: exp(ln(RR) ± 1.96·sqrt(1/a − 1/n)).
- ``rate_ratio``: the relative rate ratio — a group's rate per 1,000 divided by
  the reference group's — with the log (Katz) interval
  exp(ln(RR) ± 1.96·sqrt(1/a − 1/n1 + 1/c − 1/n2)).

A ratio is "not computable" (``value`` None) when a denominator or the
reference share is zero; an interval is not shown (``low``/``high`` None) when
any count is zero or a count exceeds its denominator (the log method needs
0 < a ≤ n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.96


@dataclass(frozen=True)
class Ratio:
    """A ratio and its 95% interval; None where not computable."""

    value: float | None
    low: float | None = None
    high: float | None = None

    @property
    def computable(self) -> bool:
        return self.value is not None

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None


NOT_COMPUTABLE = Ratio(None)


def rate_per_1000(count: int, population: float) -> float | None:
    """Events per 1,000 of the population; None when the population is zero."""
    if population <= 0:
        return None
    return 1000 * count / population


def representation_ratio(count: int, total: int, baseline_share: float) -> Ratio:
    """(count/total) ÷ baseline_share, baseline_share a fraction in (0, 1]."""
    if total <= 0 or baseline_share <= 0:
        return NOT_COMPUTABLE
    value = (count / total) / baseline_share
    if count <= 0 or count > total:
        return Ratio(value)
    spread = Z95 * math.sqrt(max(0.0, 1 / count - 1 / total))
    return Ratio(value, value * math.exp(-spread), value * math.exp(spread))


def rate_ratio(a: int, n1: float, c: int, n2: float) -> Ratio:
    """Group rate a/n1 ÷ reference rate c/n2 (rates per 1,000 cancel out)."""
    if n1 <= 0 or n2 <= 0 or c <= 0:
        return NOT_COMPUTABLE
    value = (a / n1) / (c / n2)
    if a <= 0 or a > n1 or c > n2:
        return Ratio(value)
    spread = Z95 * math.sqrt(max(0.0, 1 / a - 1 / n1 + 1 / c - 1 / n2))
    return Ratio(value, value * math.exp(-spread), value * math.exp(spread))
