"""The monitor's charts as SVG (matplotlib, Agg backend): aggregates only."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from custos.oversight.equality.selectors import RatioRow


def _figure() -> tuple[Any, Any]:
    """A new figure and its axes. matplotlib is imported here, when a chart is drawn: importing it takes about
    half a second, which every ``custos`` command and server start would otherwise pay. The object API (no
    pyplot) keeps no global state between requests."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "custos"  # stable ids, so the same figures give the same file
    figure = Figure(figsize=(6.5, 3.2))
    return figure, figure.subplots()


def _svg(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def ratio_chart(rows: Sequence[RatioRow], *, title: str) -> bytes:
    """Representation ratio per group with its interval, and a line at 1 (parity)."""
    figure, axes = _figure()
    names = [row.group for row in rows]
    values = [row.representation.value or 0.0 for row in rows]
    lows = [
        (row.representation.value - row.representation.low)
        if row.representation.value is not None and row.representation.low is not None
        else 0.0
        for row in rows
    ]
    highs = [
        (row.representation.high - row.representation.value)
        if row.representation.value is not None and row.representation.high is not None
        else 0.0
        for row in rows
    ]
    axes.bar(names, values, color="#1d70b8", yerr=[lows, highs], capsize=4, ecolor="#0b0c0c")
    axes.axhline(1.0, color="#d4351c", linewidth=1.5, linestyle="--", label="Parity (1)")
    axes.set_ylabel("Representation ratio")
    axes.set_title(title)
    axes.legend(loc="upper right")
    return _svg(figure)


def series_chart(series: dict[str, dict[str, int]], *, title: str) -> bytes:
    """Events per month per group, one line each."""
    figure, axes = _figure()
    months = sorted(series)
    names = sorted({name for counts in series.values() for name in counts})
    for name in names:
        axes.plot(months, [series[month].get(name, 0) for month in months], marker="o", label=name)
    axes.set_ylabel("Count")
    axes.set_title(title)
    if names:
        axes.legend(loc="upper left", fontsize="small")
    else:
        axes.text(0.5, 0.5, "Nothing recorded yet", ha="center", va="center", transform=axes.transAxes)
    axes.tick_params(axis="x", labelrotation=45)
    return _svg(figure)
