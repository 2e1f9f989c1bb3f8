"""The public transparency page: no sign-in, the latest publication, no figure under 10 ever shown."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import User
from custos.oversight.equality import publication
from custos.oversight.equality.models import EqualityPublication
from custos.oversight.equality.selectors import Entry
from custos.oversight.equality.suppression import movable, suppress


def _entries(
    point: str, counts: dict[tuple[str, str], int], dims: tuple[str, str], month: str = "2026-08"
) -> list[Entry]:
    out = []
    for (row, col), n in counts.items():
        values = {"bcu": "central-east", "ethnicity": "White", "observed": "", "age_band": "", "gender": ""}
        values[dims[0]] = row
        entry = {"category": col} if dims[1] == "category" else {}
        if dims[1] != "category":
            values[dims[1]] = col
        out.append(Entry(point, entry.get("category", ""), month, weight=n, **values))
    return out


def test_the_tables_on_fixed_counts() -> None:
    # The core of the table (Asian, Black, Mixed, White × Red, Amber, Green), by hand:
    #            Red  Amber Green | Total
    #   Asian     12    15    11  |  38
    #   Black     30    25    14  |  69
    #   Mixed      4    11    10  |  25
    #   White     20    30    40  |  90
    #   Total     66    81    75  | 222
    # Primary: Mixed/Red 4. Row Mixed then holds one suppressed cell: its smallest other, 10 (Green), is
    # withheld; column Red holds one: its smallest other, 12 (Asian), is withheld; column Green then holds
    # one more (10): its smallest other, 11 (Asian), is withheld. Each line now holds two, and the cycle
    # Mixed/Red −1, Mixed/Green +1, Asian/Green −1, Asian/Red +1 stays within the bounds.
    f, w = "fewer than 10", "withheld"
    core = suppress([[12, 15, 11], [30, 25, 14], [4, 11, 10], [20, 30, 40]])
    assert [[core.shown(i, j) for j in range(4)] for i in range(5)] == [
        [w, "15", w, "38"],
        ["30", "25", "14", "69"],
        [f, "11", w, "25"],
        ["20", "30", "40", "90"],
        ["66", "81", "75", "222"],
    ]
    # The published table adds the Other and Not known rows and the No band column, all zero. Those zeros
    # are "fewer than 10", but Other + Not known = 222 − the four published row totals = 0 would give them
    # away, so row totals and more cells are withheld until no suppressed cell is pinned.
    counts = {
        ("Asian", "red"): 12,
        ("Asian", "amber"): 15,
        ("Asian", "green"): 11,
        ("Black", "red"): 30,
        ("Black", "amber"): 25,
        ("Black", "green"): 14,
        ("Mixed", "red"): 4,
        ("Mixed", "amber"): 11,
        ("Mixed", "green"): 10,
        ("White", "red"): 20,
        ("White", "amber"): 30,
        ("White", "green"): 40,
    }
    tables = publication.tables(
        _entries("banding", counts, ("ethnicity", "category")), quarter="2026-Q3", bcus=[("central-east", "CE")]
    )
    table = next(t for t in tables if t["key"] == "matrix_ethnicity_band")
    assert table["rows"] == ["Asian", "Black", "Mixed", "White", "Other", "Not known", "Total"]
    assert table["cells"] == [
        [w, w, w, f, "38"],
        [w, w, w, f, "69"],
        [f, w, w, f, w],
        [w, "30", "40", f, "90"],
        [f, f, f, f, f],
        [f, f, f, f, f],
        [w, "81", "75", f, "222"],
    ]
    full = suppress([[12, 15, 11, 0], [30, 25, 14, 0], [4, 11, 10, 0], [20, 30, 40, 0], [0] * 4, [0] * 4])
    assert all(movable(full.grid, full.primary, full.secondary, cell) for cell in full.hidden)
    bcu = next(t for t in tables if t["key"] == "matrix_bcu_band")
    # One BCU, its row equal to the total row: No band (0) is "fewer than 10" in both, so Red (66, the smallest
    # other) is withheld in both; Red + No band = 222 − 81 − 75 = 66 with Red ≥ 10 leaves No band 0–9.
    assert bcu["cells"] == [[w, "81", "75", f, "222"], [w, "81", "75", f, "222"]]
    # Nothing else happened in the quarter: the other tables are all "fewer than 10".
    for key in ("actions_ethnicity_kind", "removals_ethnicity_band"):
        cells = next(t for t in tables if t["key"] == key)["cells"]
        assert {cell for row in cells for cell in row} == {f}


def test_quarters() -> None:
    assert publication.quarter_bounds("2026-Q3") == (
        __import__("datetime").date(2026, 7, 1),
        __import__("datetime").date(2026, 9, 30),
    )
    assert publication.quarter_bounds("2026-Q4")[1].isoformat() == "2026-12-31"
    assert publication.quarter_months("2026-Q1") == {"2026-01", "2026-02", "2026-03"}
    for bad in ("2026-Q0", "2026-Q5", "2026Q3", "26-Q3"):
        with pytest.raises(ValueError):
            publication.quarter_bounds(bad)


@pytest.mark.django_db
def test_the_page_works_signed_out_without_a_publication() -> None:
    response = Client().get(reverse("web:equality_transparency"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Data Protection Act 2018" in body
    assert "subject access" in body
    assert 'id="no-publication"' in body


def test_the_page_shows_the_latest_publication_and_no_cell_under_10(
    reference_data: None, central: User, client_for: Callable[[User], Client]
) -> None:
    counts = {("Black", "red"): 30, ("Black", "amber"): 3, ("White", "red"): 12, ("White", "amber"): 40}
    tables = publication.tables(
        _entries("banding", counts, ("ethnicity", "category")), quarter="2026-Q3", bcus=[("central-east", "CE")]
    )
    EqualityPublication.objects.create(
        quarter="2026-Q2",
        data={"quarter": "2026-Q2", "as_at": "2026-06-30", "tables": []},
        published_by=central,
        published_at=timezone.now(),
    )
    EqualityPublication.objects.create(
        quarter="2026-Q3",
        data={"quarter": "2026-Q3", "as_at": "2026-09-30", "tables": tables},
        published_by=central,
        published_at=timezone.now(),
    )
    body = Client().get(reverse("web:equality_transparency")).content.decode()
    assert "Published figures for 2026-Q3" in body
    cells = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">([^<]*)</td>', body)
    assert cells
    for cell in cells:
        assert not re.fullmatch(r"\d", cell), "a figure under 10 is shown"
        assert cell in ("fewer than 10", "withheld") or int(cell) >= 10
    assert ">3<" not in body
    # Signed in or not, the page is the same public page.
    assert client_for(central).get(reverse("web:equality_transparency")).status_code == 200
