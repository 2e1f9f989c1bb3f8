"""The quarterly publication's tables, built from anonymous entries and suppressed (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from custos.oversight.equality import groups
from custos.oversight.equality.selectors import BAND_LABELS, Entry, crosstab
from custos.oversight.equality.suppression import suppress
from custos.register.models import ActionKind

BANDS = ("red", "amber", "green", "")


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter written ``YYYY-Qn``; ValueError if malformed."""
    year_text, _, q_text = quarter.partition("-Q")
    year, q = int(year_text), int(q_text)
    if not 1 <= q <= 4 or len(quarter) != 7:
        raise ValueError("a quarter is written like 2026-Q3")
    first = dt.date(year, 3 * q - 2, 1)
    last = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1)
    return first, last


def quarter_months(quarter: str) -> set[str]:
    first, _ = quarter_bounds(quarter)
    return {f"{first.year}-{first.month + i:02d}" for i in range(3)}


def table(
    *,
    key: str,
    title: str,
    rows: Sequence[Entry],
    row_dim: str,
    row_keys: Sequence[tuple[str, str]],
    col_dim: str,
    col_keys: Sequence[tuple[str, str]],
    row_label: str,
) -> dict[str, Any]:
    """One published table: labels, and cells as shown (totals last), after suppression."""
    counts = crosstab(rows, row_dim, col_dim)
    grid = [[counts.get((r, c), 0) for c, _ in col_keys] for r, _ in row_keys]
    result = suppress(grid)
    shown = [[result.shown(i, j) for j in range(len(col_keys) + 1)] for i in range(len(row_keys) + 1)]
    return {
        "key": key,
        "title": title,
        "row_label": row_label,
        "rows": [label for _, label in row_keys] + ["Total"],
        "cols": [label for _, label in col_keys] + ["Total"],
        "cells": shown,
    }


def tables(all_entries: Sequence[Entry], *, quarter: str, bcus: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The aggregate breakdown: the matrix at the quarter's end, actions and removals within it."""
    months = quarter_months(quarter)
    matrix = [e for e in all_entries if e.point == "banding"]
    actions = [e for e in all_entries if e.point == "series:actions" and e.month in months]
    removals = [e for e in all_entries if e.point == "removal" and e.month in months]
    band_keys = [(band, BAND_LABELS[band]) for band in BANDS]
    ethnic_keys = [(group, group) for group in groups.ALL_GROUPS]
    age_keys = [(band, groups.AGE_LABELS[band]) for band in groups.ALL_AGE_BANDS]
    gender_keys = [(code, groups.GENDER_LABELS[code]) for code in groups.GENDERS]
    kind_keys = [(kind.value, kind.label) for kind in ActionKind.Kind]
    return [
        table(
            key="matrix_bcu_band",
            title="People on the matrix by BCU and band",
            rows=matrix,
            row_dim="bcu",
            row_keys=bcus,
            col_dim="category",
            col_keys=band_keys,
            row_label="BCU",
        ),
        table(
            key="matrix_ethnicity_band",
            title="People on the matrix by self-defined ethnic group and band",
            rows=matrix,
            row_dim="ethnicity",
            row_keys=ethnic_keys,
            col_dim="category",
            col_keys=band_keys,
            row_label="Ethnic group",
        ),
        table(
            key="matrix_age_ethnicity",
            title="People on the matrix by age band and self-defined ethnic group",
            rows=matrix,
            row_dim="age_band",
            row_keys=age_keys,
            col_dim="ethnicity",
            col_keys=ethnic_keys,
            row_label="Age band",
        ),
        table(
            key="matrix_gender_band",
            title="People on the matrix by gender and band",
            rows=matrix,
            row_dim="gender",
            row_keys=gender_keys,
            col_dim="category",
            col_keys=band_keys,
            row_label="Gender",
        ),
        table(
            key="actions_ethnicity_kind",
            title="Actions taken in the quarter by the person's self-defined ethnic group and kind of action",
            rows=actions,
            row_dim="ethnicity",
            row_keys=ethnic_keys,
            col_dim="category",
            col_keys=kind_keys,
            row_label="Ethnic group",
        ),
        table(
            key="removals_ethnicity_band",
            title="People removed (erased) in the quarter by self-defined ethnic group and last band",
            rows=removals,
            row_dim="ethnicity",
            row_keys=ethnic_keys,
            col_dim="category",
            col_keys=band_keys,
            row_label="Ethnic group",
        ),
    ]
