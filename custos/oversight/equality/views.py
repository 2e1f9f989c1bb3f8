"""Equality monitor pages (thin: selectors and policies do the work).

- ``/equality/``: the monitor — tables and charts for each decision point,
  filtered by decision point and BCU (codes in the query string); records
  ``equality.viewed``. Aggregates only: never a person.
- ``/equality/chart/ratios/<point>/`` and ``/equality/chart/series/<name>/``:
  the charts, as image/svg+xml (same filters, same role rule; the page's view
  is the event, a chart records nothing more).
- ``/equality/publications/``: the quarterly publications.
- ``/transparency/``: public (no sign-in), the latest publication only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from custos.oversight.equality import charts, groups, policies, selectors
from custos.register.models import BCU
from custos.register.views import request_user as _user

View = Callable[..., HttpResponse]


def _monitor_viewers_only(view: View) -> View:
    """403, saying why, for a role the equality rule refuses: before anything is read."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not policies.may_view_equality(_user(request)):
            raise PermissionDenied(
                "The equality monitor is for central governance, the DPO, the IRU, auditors and BCU SPOCs."
            )
        return view(request, *args, **kwargs)

    return wrapped


@dataclass(frozen=True)
class Filters:
    """The monitor's filters, codes only, from the query string."""

    point: str | None
    bcu: str | None
    baseline: str | None


def _filters(request: HttpRequest) -> Filters:
    point = request.GET.get("point") or None
    bcu = request.GET.get("bcu") or None
    baseline = request.GET.get("baseline") or None
    return Filters(
        point=point if point in selectors.POINTS else None,
        bcu=bcu if bcu and BCU.objects.filter(code=bcu).exists() else None,
        baseline=baseline if baseline and baseline.isdigit() else None,
    )


def _ratio_block(monitor: selectors.Monitor, point: str, category: str, label: str) -> dict[str, Any]:
    rows = monitor.at(point, category if point in ("banding", "actions", "removal") else None)
    return {
        "label": label,
        "category": category,
        "total": selectors.count(rows),
        "self_defined": selectors.ratios(rows, point=point, matrix=monitor.matrix, baseline=monitor.baseline),
        "observed": selectors.ratios(
            rows, point=point, matrix=monitor.matrix, baseline=monitor.baseline, by="observed"
        ),
        "composition": [
            (selectors.DIMENSIONS[dim], _labelled(dim, selectors.composition(rows, dim)))
            for dim in selectors.DIMENSIONS
        ],
    }


def _labelled(dimension: str, counts: dict[str, int]) -> list[tuple[str, int]]:
    labels: dict[str, str] = {}
    if dimension == "age_band":
        labels = groups.AGE_LABELS
    elif dimension == "gender":
        labels = groups.GENDER_LABELS
    return [(labels.get(key, key or "Unknown"), value) for key, value in counts.items()]


@never_cache
@require_GET
@_monitor_viewers_only
def monitor(request: HttpRequest) -> HttpResponse:
    """The equality monitor (aggregates), for the roles ``policies.may_view_equality`` allows."""
    viewer = _user(request)
    filters = _filters(request)
    found = selectors.equality_monitor_for(
        viewer=viewer, bcu=filters.bcu, point=filters.point, baseline=filters.baseline
    )
    points = []
    for point in found.points():
        cats = selectors.categories(point)
        points.append(
            {
                "code": point,
                "label": selectors.POINTS[point],
                "blocks": [_ratio_block(found, point, code, label) for code, label in cats],
            }
        )
    age_ratios = selectors.age_ratios(found.matrix, found.age_baseline) if found.age_baseline else {}
    query = request.GET.urlencode()
    context = {
        "monitor": found,
        "points": points,
        "point_choices": list(selectors.POINTS.items()),
        "bcu_choices": [] if policies.equality_bcu_scope(viewer) else list(BCU.objects.values_list("code", "name")),
        "baseline_choices": selectors.baselines(),
        "filters": filters,
        "series": _series_tables(found),
        "age_ratios": [(groups.AGE_LABELS[band], rows) for band, rows in age_ratios.items()],
        "query": query,
    }
    return render(request, "oversight/equality/monitor.html", context)


def _series_tables(found: selectors.Monitor) -> list[dict[str, Any]]:
    """Each monthly series as a table (months × groups), the charts' figures."""
    tables = []
    for code, counts in selectors.series(found.entries).items():
        months = sorted(counts)
        tables.append(
            {
                "code": code,
                "label": selectors.SERIES[code],
                "groups": groups.ALL_GROUPS,
                "rows": [(month, [counts[month].get(group, 0) for group in groups.ALL_GROUPS]) for month in months],
            }
        )
    return tables


def _svg(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="image/svg+xml")
    # Its own policy: matplotlib draws with style attributes, which the site's policy refuses; the SVG is
    # shown as an <img> (no script runs in an image) and this policy still allows no script and no fetch.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_GET
@_monitor_viewers_only
def ratio_chart(request: HttpRequest, point: str) -> HttpResponse:
    """Representation ratios at one decision point (SVG)."""
    if point not in selectors.POINTS:
        raise Http404
    filters = _filters(request)
    found = selectors.equality_monitor_for(
        viewer=_user(request), bcu=filters.bcu, point=point, baseline=filters.baseline, record=False
    )
    rows = selectors.ratios(found.at(point), point=point, matrix=found.matrix, baseline=found.baseline)
    return _svg(charts.ratio_chart(rows, title=f"{selectors.POINTS[point]}: representation ratio"))


@never_cache
@require_GET
@_monitor_viewers_only
def series_chart(request: HttpRequest, name: str) -> HttpResponse:
    """Events per month per self-defined ethnic group (SVG)."""
    if name not in selectors.SERIES:
        raise Http404
    filters = _filters(request)
    found = selectors.equality_monitor_for(viewer=_user(request), bcu=filters.bcu, record=False)
    return _svg(charts.series_chart(selectors.series(found.entries)[name], title=selectors.SERIES[name]))


@require_GET
@_monitor_viewers_only
def publications(request: HttpRequest) -> HttpResponse:
    """The quarterly publications (aggregates, suppressed), newest first."""
    context = {
        "publications": selectors.publications(),
        "may_publish": policies.may_publish_equality(_user(request)),
    }
    return render(request, "oversight/equality/publications.html", context)


@login_not_required
@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    """The public transparency page: the legal framework, subject access, the latest publication."""
    latest = selectors.publication_latest()
    tables = [
        {**table, "rows_cells": list(zip(table["rows"], table["cells"], strict=True))}
        for table in (latest.data.get("tables", []) if latest else [])
    ]
    return render(request, "oversight/equality/transparency.html", {"publication": latest, "tables": tables})
