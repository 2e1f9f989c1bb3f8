"""Small-number suppression for published tables, pure (no database).

A table is published with its row totals, column totals and grand total. We
work on the augmented (r+1)×(c+1) grid whose last row and column are the
totals, so a total is a cell like any other.

1. Primary: every cell under 10 (totals included, zero included) is shown as
   "fewer than 10" — a reader learns it lies in 0–9.
2. Secondary: in every row and column with exactly one suppressed cell, the
   smallest other cell is suppressed too ("withheld": a reader learns it is 10
   or more). Repeated until stable.
3. Check: a suppressed cell is safe when another table, consistent with every
   published cell, every total and those bounds, gives it a different value.
   Signed so every row and column of the grid sums to zero, two consistent
   tables differ by a circulation, which splits into alternating cycles each
   moving the same way as the whole; so a cell is safe exactly when some
   alternating cycle of suppressed cells through it can move by one within the
   bounds. Any cell found unsafe gets the smallest published cell in its row
   or column suppressed, and the check runs again until every suppressed cell
   is safe (at worst everything is withheld).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 10
Cell = tuple[int, int]


@dataclass(frozen=True)
class Suppressed:
    """The augmented grid and which cells are primary or secondary suppressions."""

    grid: tuple[tuple[int, ...], ...]
    primary: frozenset[Cell]
    secondary: frozenset[Cell]

    @property
    def hidden(self) -> frozenset[Cell]:
        return self.primary | self.secondary

    def shown(self, i: int, j: int) -> str:
        """What the published table shows in a cell."""
        if (i, j) in self.primary:
            return "fewer than 10"
        if (i, j) in self.secondary:
            return "withheld"
        return str(self.grid[i][j])


def augment(table: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    """The table with a total column, a total row and the grand total."""
    rows = [(*row, sum(row)) for row in table]
    width = len(rows[0]) if rows else 1
    totals = tuple(sum(row[j] for row in rows) for j in range(width))
    return (*[tuple(row) for row in rows], totals)


def _sign(grid: Sequence[Sequence[int]], i: int, j: int) -> int:
    last_i, last_j = len(grid) - 1, len(grid[0]) - 1
    return -1 if (i == last_i) != (j == last_j) else 1


def bounds(
    grid: Sequence[Sequence[int]], primary: frozenset[Cell], secondary: frozenset[Cell], cell: Cell
) -> tuple[int, float]:
    """What a reader knows of a cell: its value if published, else its range."""
    if cell in primary:
        return 0, THRESHOLD - 1
    if cell in secondary:
        return THRESHOLD, float("inf")
    value = grid[cell[0]][cell[1]]
    return value, value


def movable(grid: Sequence[Sequence[int]], primary: frozenset[Cell], secondary: frozenset[Cell], cell: Cell) -> bool:
    """Whether another consistent table gives ``cell`` a different value (see the module docstring)."""
    hidden = primary | secondary
    if cell not in hidden:
        return False
    rows, cols = len(grid), len(grid[0])
    for direction in (1, -1):
        # Signed change on the cell, traversed row → column.
        sigma = direction * _sign(grid, *cell)

        def usable(f: Cell, change: int) -> bool:
            low, high = bounds(grid, primary, secondary, f)
            new = grid[f[0]][f[1]] + _sign(grid, *f) * change
            return low <= new <= high

        if not usable(cell, sigma):
            continue
        # Path from column node cell[1] back to row node cell[0], alternating signs.
        start, goal = ("c", cell[1]), ("r", cell[0])
        seen = {start}
        queue = deque([start])
        while queue:
            kind, index = queue.popleft()
            if (kind, index) == goal:
                return True
            if kind == "c":  # column → row: the edge's signed change is −sigma
                nexts = [
                    ("r", i)
                    for i in range(rows)
                    if (i, index) in hidden and (i, index) != cell and usable((i, index), -sigma)
                ]
            else:  # row → column: +sigma
                nexts = [
                    ("c", j)
                    for j in range(cols)
                    if (index, j) in hidden and (index, j) != cell and usable((index, j), sigma)
                ]
            for node in nexts:
                if node not in seen:
                    seen.add(node)
                    queue.append(node)
    return False


def suppress(table: Sequence[Sequence[int]]) -> Suppressed:
    """Suppress the table (with its totals) so no suppressed value can be derived."""
    grid = augment(table)
    rows, cols = len(grid), len(grid[0])
    cells = [(i, j) for i in range(rows) for j in range(cols)]
    primary = frozenset(c for c in cells if grid[c[0]][c[1]] < THRESHOLD)
    secondary: set[Cell] = set()

    def line(c: Cell) -> list[Cell]:
        return [(c[0], j) for j in range(cols)] + [(i, c[1]) for i in range(rows)]

    def smallest_shown(candidates: list[Cell]) -> Cell | None:
        shown = [c for c in candidates if c not in primary and c not in secondary]
        return min(shown, key=lambda c: (grid[c[0]][c[1]], c)) if shown else None

    changed = True
    while changed:
        changed = False
        lines = [[(i, j) for j in range(cols)] for i in range(rows)] + [
            [(i, j) for i in range(rows)] for j in range(cols)
        ]
        for cells_of_line in lines:
            if sum(1 for c in cells_of_line if c in primary or c in secondary) == 1:
                pick = smallest_shown(cells_of_line)
                if pick is not None:
                    secondary.add(pick)
                    changed = True
        if changed:
            continue
        for c in sorted(primary | secondary):
            if not movable(grid, primary, frozenset(secondary), c):
                pick = smallest_shown(line(c)) or smallest_shown(cells)
                if pick is not None:
                    secondary.add(pick)
                    changed = True
                    break
    return Suppressed(grid=grid, primary=primary, secondary=frozenset(secondary))
