"""Reading the Annex 1 tracker and the monthly reports: aggregates only, scoped by role.

Nothing here is personal data (counts and settings), so reads are not s.62
consultations; generating a report is recorded by the service.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from custos.accounts.models import User
from custos.oversight.annex1 import evidence, policies
from custos.oversight.annex1.models import Annex1Report
from custos.oversight.annex1.terms import TERMS_BY_CODE, Term

# WeasyPrint reports each step of every PDF at INFO: not what an operator's log is for.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

STYLESHEET = Path(__file__).resolve().parent.parent / "data" / "annex1.css"
#: The force named on the report; a deployment sets ``CUSTOS_FORCE_NAME`` in its settings.
DEFAULT_FORCE = "Metropolitan Police Service"
READ_REFUSED = "Only central governance, the DPO and the auditor see the Annex 1 tracker and reports."


def force_name() -> str:
    return str(getattr(settings, "CUSTOS_FORCE_NAME", "") or DEFAULT_FORCE)


def _require_view(viewer: User) -> None:
    if not policies.may_view_annex1(viewer):
        raise PermissionDenied(READ_REFUSED)


@dataclass(frozen=True)
class Tracker:
    period: evidence.Period
    terms: list[evidence.Evidence]

    @property
    def summary(self) -> dict[str, int]:
        return {status.label: sum(1 for t in self.terms if t.status == status) for status in evidence.Status}


def tracker_for(*, viewer: User, today: dt.date | None = None) -> Tracker:
    """Every term's status this month to date (the log checked by its latest checkpoint only)."""
    _require_view(viewer)
    today = today or timezone.localdate()
    period = evidence.period_for(today.replace(day=1), today)
    return Tracker(period=period, terms=evidence.evaluate(period, full_verify=False))


def reports_for(*, viewer: User) -> QuerySet[Annex1Report]:
    _require_view(viewer)
    return Annex1Report.objects.order_by("-month", "-generated_at")


def report_get_for(*, viewer: User, report_id: uuid.UUID) -> Annex1Report:
    """One report (404 if there is none)."""
    _require_view(viewer)
    report = Annex1Report.objects.filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    return report


@dataclass(frozen=True)
class ReportRow:
    """One term of a stored report, with the notice's wording."""

    term: Term
    status: str
    reason: str
    figures: list[dict[str, Any]]
    outstanding: list[str]
    notes: list[str]

    @property
    def status_label(self) -> str:
        return evidence.Status(self.status).label

    @property
    def status_class(self) -> str:
        return self.status.replace(" ", "-")

    @property
    def any_current(self) -> bool:
        return any(f.get("current") for f in self.figures)


def report_rows(report: Annex1Report) -> list[ReportRow]:
    return [
        ReportRow(
            term=TERMS_BY_CODE[t["code"]],
            status=t["status"],
            reason=t["reason"],
            figures=list(t["figures"]),
            outstanding=list(t["outstanding"]),
            notes=list(t.get("notes", [])),
        )
        for t in report.content["terms"]
    ]


def report_context(report: Annex1Report) -> dict[str, Any]:
    month = dt.date.fromisoformat(report.content["start"])
    summary = report.content["summary"]
    return {
        "report": report,
        "rows": report_rows(report),
        "force": force_name(),
        "month": month,
        "summary": [(evidence.Status(code).label, summary.get(code, 0)) for code in evidence.Status.values],
        "complete_month": report.content.get("complete_month", True),
    }


def report_html(report: Annex1Report) -> str:
    """The report as one self-contained HTML document (the stylesheet inlined in ``<head>``), as sent."""
    html = render_to_string("oversight/annex1/report_document.html", report_context(report))
    # Templates carry no inline style (the CSP test); the file sent on its own carries its stylesheet.
    css = STYLESHEET.read_text(encoding="utf-8")
    return html.replace("</head>", f"<style>\n{css}</style>\n</head>", 1)


def report_pdf(report: Annex1Report) -> bytes:
    """The report as a PDF (WeasyPrint, ``data/annex1.css``); nothing is fetched."""
    import weasyprint  # imported here: loading pango is slow

    html = render_to_string("oversight/annex1/report_document.html", report_context(report))
    css = weasyprint.CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(stylesheets=[css])
    return pdf


def report_file_name(report: Annex1Report, ext: str) -> str:
    return f"annex1-{report.month}.{ext}"
