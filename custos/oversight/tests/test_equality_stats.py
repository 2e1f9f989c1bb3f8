"""The equality monitor's pure statistics, group mapping and small-number suppression."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.oversight.equality import groups
from custos.oversight.equality.stats import rate_per_1000, rate_ratio, representation_ratio
from custos.oversight.equality.suppression import THRESHOLD, Cell, augment, movable, suppress

# --- ratios --------------------------------------------------------------------------------------------


def test_representation_ratio_by_hand() -> None:
    # 2 of 6 people are Black; Black is 13.5% of London: (2/6)/0.135 = 2.4691
    # interval: exp(ln 2.4691 ± 1.96·sqrt(1/2 − 1/6)) = 2.4691·exp(±1.1316) = 0.7963 .. 7.6559
    ratio = representation_ratio(2, 6, 0.135)
    assert ratio.value == pytest.approx(2.469136, abs=1e-6)
    assert ratio.low == pytest.approx(0.796333, abs=1e-6)
    assert ratio.high == pytest.approx(7.655886, abs=1e-6)


def test_rate_ratio_by_hand() -> None:
    # 2 of 2 Black people on the matrix have an enforcement action (1,000 per 1,000), 1 of 2 White (500):
    # RR = 2.0; interval exp(ln 2 ± 1.96·sqrt(1/2 − 1/2 + 1/1 − 1/2)) = 2·exp(±1.3859) = 0.5002 .. 7.9971
    ratio = rate_ratio(2, 2, 1, 2)
    assert ratio.value == 2.0
    assert ratio.low == pytest.approx(0.500183, abs=1e-6)
    assert ratio.high == pytest.approx(7.997080, abs=1e-6)
    assert rate_per_1000(1, 2) == 500.0


def test_zero_counts_are_not_computable_or_have_no_interval() -> None:
    assert not rate_ratio(2, 2, 0, 2).computable  # reference rate zero
    assert not rate_ratio(2, 0, 1, 2).computable  # no group population
    zero = rate_ratio(0, 2, 1, 2)
    assert zero.value == 0.0
    assert not zero.has_interval
    above = rate_ratio(3, 2, 1, 2)  # more events than people: the log method does not apply
    assert above.value == 3.0
    assert not above.has_interval
    assert not representation_ratio(1, 0, 0.5).computable
    assert not representation_ratio(1, 2, 0).computable
    assert not representation_ratio(0, 2, 0.5).has_interval
    assert rate_per_1000(1, 0) is None


counts = st.integers(min_value=1, max_value=500)


@given(a=counts, n1=counts, c=counts, n2=counts)
def test_swapping_groups_inverts_the_rate_ratio(a: int, n1: int, c: int, n2: int) -> None:
    forward, back = rate_ratio(a, n1, c, n2), rate_ratio(c, n2, a, n1)
    assert forward.value is not None
    assert back.value is not None
    assert forward.value * back.value == pytest.approx(1.0)
    if forward.has_interval:
        assert back.has_interval
        assert forward.low * back.high == pytest.approx(1.0)  # type: ignore[operator]
        assert forward.low <= forward.value <= forward.high  # type: ignore[operator]


@given(count=st.integers(min_value=1, max_value=300), extra=st.integers(min_value=0, max_value=300))
def test_the_representation_interval_holds_the_ratio(count: int, extra: int) -> None:
    ratio = representation_ratio(count, count + extra, 0.2)
    assert ratio.value == pytest.approx(count / (count + extra) / 0.2)
    assert ratio.value is not None
    assert ratio.low is not None
    assert ratio.high is not None
    assert ratio.low <= ratio.value <= ratio.high
    assert math.log(ratio.high) - math.log(ratio.value) == pytest.approx(math.log(ratio.value) - math.log(ratio.low))


# --- groups --------------------------------------------------------------------------------------------


def test_every_register_code_maps_to_a_baseline_group() -> None:
    from custos.register.models import ObservedEthnicity, SelfDefinedEthnicity

    for code in SelfDefinedEthnicity.values:
        assert groups.self_defined_group(code) in groups.ALL_GROUPS
    assert groups.self_defined_group("A4") == "Asian"
    assert groups.self_defined_group("O2") == "Other"
    assert groups.self_defined_group("NS") == groups.NOT_KNOWN
    assert groups.self_defined_group("") == groups.NOT_KNOWN
    assert [groups.observed_group(c) for c in ObservedEthnicity.values] == [
        "White",
        "White",
        "Black",
        "Asian",
        "Asian",
        "Other",
        groups.NOT_KNOWN,
    ]


def test_age_bands_at_the_reporting_date() -> None:
    on = dt.date(2026, 9, 30)
    assert groups.age_band(dt.date(2010, 10, 1), on) == "under16"  # 15 the day before their birthday
    assert groups.age_band(dt.date(2010, 9, 30), on) == "16-17"
    assert groups.age_band(dt.date(2008, 9, 30), on) == "18-24"
    assert groups.age_band(dt.date(2001, 10, 1), on) == "18-24"
    assert groups.age_band(dt.date(2001, 9, 30), on) == "25+"
    assert groups.age_band(None, on) == ""


# --- suppression ---------------------------------------------------------------------------------------


def test_suppression_by_hand() -> None:
    # 5 is under 10 (primary); row 0 then has one suppressed cell, so its smallest other (20) is withheld,
    # and column 0 the same (40); row 1 and column 1 then hold one each, so 50 is withheld too.
    result = suppress([[5, 20, 30], [40, 50, 60]])
    shown = [[result.shown(i, j) for j in range(4)] for i in range(3)]
    assert shown == [
        ["fewer than 10", "withheld", "30", "55"],
        ["withheld", "withheld", "60", "150"],
        ["45", "70", "90", "205"],
    ]


def test_nothing_is_suppressed_when_every_cell_is_10_or_more() -> None:
    result = suppress([[10, 20], [30, 40]])
    assert not result.hidden
    assert result.shown(2, 2) == "100"


def _alternatives(
    grid: tuple[tuple[int, ...], ...], primary: frozenset[Cell], secondary: frozenset[Cell]
) -> dict[Cell, set[int]]:
    """Brute force: values each suppressed cell takes among the tables consistent with what is published.

    The interior cells determine the totals, so we try every interior value in range (a published cell
    keeps its value, a "fewer than 10" cell lies in 0–9, a "withheld" cell is 10 or more, no cell exceeds a
    published total of its row or column) and keep the tables whose totals match what is published. Where
    a row's total is published, its last suppressed cell follows from the others instead of being tried.
    """
    rows, cols = len(grid) - 1, len(grid[0]) - 1
    hidden = primary | secondary
    limit = grid[rows][cols] + THRESHOLD

    def published(cell: tuple[int, int]) -> bool:
        return cell not in hidden

    ranges = []
    derived: dict[int, int] = {}
    for i in range(rows):
        row_hidden = [j for j in range(cols) if (i, j) in hidden]
        if row_hidden and published((i, cols)):
            derived[i] = row_hidden[-1]
        for j in range(cols):
            if derived.get(i) == j:
                ranges.append(range(0, 1))  # placeholder, computed from the row total
                continue
            if (i, j) not in hidden:
                ranges.append(range(grid[i][j], grid[i][j] + 1))
                continue
            top = limit
            if published((i, cols)):
                top = min(top, grid[i][cols])
            if published((rows, j)):
                top = min(top, grid[rows][j])
            ranges.append(range(0, THRESHOLD) if (i, j) in primary else range(THRESHOLD, top + 1))
    seen: dict[Cell, set[int]] = {cell: {grid[cell[0]][cell[1]]} for cell in hidden}  # the true table is consistent
    for values in itertools.product(*ranges):
        table = [list(values[i * cols : (i + 1) * cols]) for i in range(rows)]
        for i, j in derived.items():
            table[i][j] = grid[i][cols] - (sum(table[i]) - table[i][j])
        candidate = augment(table)
        ok = True
        for i in range(rows + 1):
            for j in range(cols + 1):
                value = candidate[i][j]
                if (i, j) in primary:
                    ok = 0 <= value < THRESHOLD
                elif (i, j) in secondary:
                    ok = value >= THRESHOLD
                else:
                    ok = value == grid[i][j]
                if not ok:
                    break
            if not ok:
                break
        if ok:
            for cell in hidden:
                seen[cell].add(candidate[cell[0]][cell[1]])
            if all(len(v) >= 2 for v in seen.values()):
                break
    return seen


small_tables = st.integers(min_value=1, max_value=2).flatmap(
    lambda rows: st.integers(min_value=2, max_value=3).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(min_value=0, max_value=20), min_size=cols, max_size=cols),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=50, deadline=None)
@given(table=small_tables)
def test_no_suppressed_value_can_be_derived(table: list[list[int]]) -> None:
    result = suppress(table)
    grid = result.grid
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value < THRESHOLD:
                assert result.shown(i, j) == "fewer than 10"  # never 0–9
    seen = _alternatives(grid, result.primary, result.secondary)
    for cell, values in seen.items():
        assert len(values) >= 2, f"cell {cell} of {table} can be derived"
        assert movable(grid, result.primary, result.secondary, cell)


def test_a_lone_zero_in_a_row_cannot_be_read_from_the_totals() -> None:
    # [0, 10]: the 0 is primary; if 10 and the row total 10 were published the 0 would follow.
    result = suppress([[0, 10], [12, 15]])
    assert (0, 1) in result.hidden or (0, 2) in result.hidden
    seen = _alternatives(result.grid, result.primary, result.secondary)
    assert all(len(values) >= 2 for values in seen.values())


def test_the_brute_force_finds_a_value_primary_suppression_alone_gives_away() -> None:
    # [[5, 20]] with only the 5 hidden: its row total 25 and the 20 give it away.
    grid = augment([[5, 20]])
    primary = frozenset({(0, 0), (1, 0)})
    seen = _alternatives(grid, primary, frozenset())
    assert seen[(0, 0)] == {5}
    assert not movable(grid, primary, frozenset(), (0, 0))
