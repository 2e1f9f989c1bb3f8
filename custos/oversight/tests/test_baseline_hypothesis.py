"""An equality baseline file that is wrong is refused cleanly (issue 8).

``custos equality_baseline --load FILE.csv`` with any bytes, any encoding,
wrong or missing columns, unknown groups and age bands, and amounts that are
not numbers (text, negative, NaN, infinity, huge): the baseline loads with
finite amounts of 0 or more, or it is refused with a ``CommandError`` that
says why and nothing is written. Never a traceback.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.accounts.models import User
from custos.oversight.equality import groups
from custos.oversight.equality.models import Baseline
from custos.register.tests.fuzzing import FUZZ_DB, command_all_or_nothing, write

pytestmark = [
    pytest.mark.django_db,
    # A cell over the csv module's size limit makes a long falsifying example; that is the point of it.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
]


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="baseline-fuzz-") as name:
        yield Path(name)


columns = st.sampled_from(
    [["group", "count"], ["group", "age_band", "percent"], ["group", "age_band", "count"], ["group"], ["kind", "n"]]
)
cells = (
    st.sampled_from([*groups.GROUPS, *groups.AGE_BANDS, "Martian", "", "12", "0", "-3", "2.5", "1e999", "nan", "inf"])
    | st.text(max_size=20)
    | st.text(min_size=1, max_size=3).map(lambda s: s * 50_000)
)


def _csv(head: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    writer.writerows(rows)
    return out.getvalue()


amounts = st.sampled_from(["12", "0", "2.5", "-3", "nan", "inf", "-inf", "1e999", "1e308", "", "twelve"])
plausible_rows = st.lists(
    st.tuples(st.sampled_from(groups.GROUPS), st.sampled_from(["", *groups.AGE_BANDS]), amounts).map(list),
    min_size=1,
    max_size=6,
)
files = st.one_of(
    plausible_rows.map(lambda rows: _csv(["group", "age_band", "count"], rows).encode()),
    st.binary(max_size=2048),
    st.tuples(
        st.tuples(columns, st.lists(st.lists(cells, max_size=4), min_size=0, max_size=5)).map(lambda t: _csv(*t)),
        st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    ).map(lambda t: t[0].encode(t[1], errors="replace")),
)


@FUZZ_DB
@given(data=files)
def test_a_baseline_file_loads_or_is_refused_with_a_reason(folder: Path, central: User, data: bytes) -> None:
    path = write(folder, "baseline.csv", data)
    args = ("equality_baseline", "--load", str(path), "--name", "Fuzzed baseline", "--as-user", central.username)
    command_all_or_nothing(*args, tables=(Baseline,), then=_amounts_are_numbers)


def _amounts_are_numbers() -> None:
    """What a baseline holds is used in rate ratios: finite amounts of 0 or more only."""
    for row in Baseline.objects.get(name="Fuzzed baseline").rows:
        amount = row.get("count", row.get("percent"))
        assert isinstance(amount, int | float), row
        assert math.isfinite(amount), row
        assert amount >= 0, row
