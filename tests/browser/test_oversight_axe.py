"""Every oversight page passes axe in a real browser, with data on it.

The table below names every URL of ``custos.oversight`` (read from the URLconf,
so a new one fails ``test_the_table_names_every_oversight_url`` until it is
classified): a page is opened by the persona given and checked with axe
(``Journey.go`` runs it); a POST-only action, a PDF, a JSON download or an SVG
chart is not an HTML page and is said so. The journeys of each part test what
the pages do; this module makes sure none is left out of the accessibility
check, filled with the data a user would see.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.server import CustosInstance

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]
CENTRAL = "demo_central_governance"
DPO = "demo_dpo"
AUDITOR = "demo_auditor"
NOBODY = ""


@dataclass(frozen=True)
class Page:
    persona: str
    path: Callable[[dict[str, Any]], str]


NOT_A_PAGE = "not an HTML page"

#: Every oversight URL name: the page to check, or why it is not one.
PAGES: dict[str, Page | str] = {
    "oversight": Page(AUDITOR, lambda d: "/oversight/"),
    "annex1_tracker": Page(CENTRAL, lambda d: "/annex1/"),
    "annex1_reports": Page(CENTRAL, lambda d: "/annex1/reports/"),
    "annex1_report": Page(AUDITOR, lambda d: f"/annex1/reports/{d['annex1_report']}/"),
    "annex1_generate": NOT_A_PAGE,  # POST
    "annex1_report_pdf": NOT_A_PAGE,
    "audits_list": Page(CENTRAL, lambda d: "/audits/"),
    "audits_detail": Page(AUDITOR, lambda d: f"/audits/{d['audit']}/"),
    "audits_run": NOT_A_PAGE,  # POST
    "audits_pdf": NOT_A_PAGE,
    "breaches_list": Page(DPO, lambda d: "/breaches/"),
    "breaches_new": Page(DPO, lambda d: "/breaches/new/"),
    "breaches_detail": Page(DPO, lambda d: f"/breaches/{d['breach']}/"),
    "breaches_notify": NOT_A_PAGE,  # POST
    "breaches_decide": NOT_A_PAGE,  # POST
    "breaches_action": NOT_A_PAGE,  # POST
    "breaches_close": NOT_A_PAGE,  # POST
    "dpia_list": Page(DPO, lambda d: "/dpia/"),
    "dpia_detail": Page(DPO, lambda d: "/dpia/1/"),
    "dpia_generate": NOT_A_PAGE,  # POST
    "dpia_sign_off": NOT_A_PAGE,  # POST
    "dpia_pdf": NOT_A_PAGE,
    "dpia_json": NOT_A_PAGE,
    "dpia_risks": Page(DPO, lambda d: "/dpia/risks/"),
    "dpia_risk": Page(DPO, lambda d: f"/dpia/risks/{d['risk']}/"),
    "dpia_records_of_processing": Page(AUDITOR, lambda d: "/records-of-processing/"),
    "equality_monitor": Page(AUDITOR, lambda d: "/equality/"),
    "equality_publications": Page(CENTRAL, lambda d: "/equality/publications/"),
    "equality_transparency": Page(NOBODY, lambda d: "/transparency/"),
    "equality_ratio_chart": NOT_A_PAGE,  # SVG
    "equality_series_chart": NOT_A_PAGE,  # SVG
    "guidance_index": Page(CENTRAL, lambda d: "/guidance/"),
    "guidance_topic": Page("demo_officer", lambda d: "/guidance/social_media/"),
    "guidance_version": Page("demo_analyst", lambda d: "/guidance/social_media/v1/"),
    "guidance_changes": Page(CENTRAL, lambda d: "/guidance/social_media/v2/changes/"),
    "guidance_draft": Page(CENTRAL, lambda d: "/guidance/gang_composition/draft/"),
    "guidance_draft_detail": Page(CENTRAL, lambda d: f"/guidance/drafts/{d['draft']}/"),
    "guidance_draft_publish": NOT_A_PAGE,  # POST
    "guidance_draft_discard": NOT_A_PAGE,  # POST
}

IDS = """
import json
from custos.oversight.models import Annex1Report, BcuAudit, Breach, GuidanceVersion, Risk
print(json.dumps({
    "annex1_report": str(Annex1Report.objects.latest("generated_at").pk),
    "audit": str(BcuAudit.objects.latest("created_at").pk),
    "breach": str(Breach.objects.latest("reported_at").pk),
    "risk": Risk.objects.order_by("code").first().code,
    "draft": str(GuidanceVersion.objects.get(status="draft").pk),
}))
"""

BREACH = """
import datetime as dt
from django.utils import timezone
from custos.accounts.models import User
from custos.oversight.breaches.services import breach_record
breach_record(actor=User.objects.get(username="demo_dpo"), title="Matrix extract emailed to a wrong address",
    description="A spreadsheet of twelve people was sent outside the force.", category="confidentiality",
    discovered_at=timezone.now() - dt.timedelta(hours=5), risk="high", people_affected=12)
"""


def _oversight_names(patterns: list[URLPattern | URLResolver]) -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _oversight_names(entry.url_patterns)
        elif entry.callback.__module__.startswith("custos.oversight") and entry.name:
            yield entry.name


def test_the_table_names_every_oversight_url() -> None:
    assert set(_oversight_names(get_resolver().url_patterns)) == set(PAGES)


@pytest.fixture(scope="module")
def filled(server: CustosInstance, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The server with something on every page: guidance versions and a draft, a DPIA, audits, a breach, a report."""
    folder: Path = tmp_path_factory.mktemp("oversight-axe")
    server.custos("guidance", "seed", "--publish")
    text = folder / "social.md"
    text.write_text(server.custos("guidance", "show", "social_media").stdout.split("\n", 2)[2] + "\nMore.\n")
    server.custos("guidance", "draft", "social_media", "--file", str(text), "--summary", "More.", "--as-user", DPO)
    today = dt.date.today().isoformat()
    server.custos("guidance", "publish", "social_media", "--in-force-from", today, "--as-user", CENTRAL)
    text.write_text("# Gang composition\n\n" + "A group is a gang only when three conditions are all evidenced. " * 3)
    server.custos(
        "guidance", "draft", "gang_composition", "--file", str(text), "--summary", "Shorter.", "--as-user", DPO
    )
    server.custos("dpia", "--seed-risks")
    server.custos("dpia", "--generate", "--as-user", DPO)
    server.custos("bcu_audit", "--all")
    server.custos("bcu_audit", "--all")  # a second, so each audit shows a trend
    server.custos("shell", "-c", BREACH)
    month = dt.date.today().strftime("%Y-%m")
    server.custos("annex1_report", "--month", month, "--as-user", CENTRAL, "--out", str(folder), "--format", "html")
    ids: dict[str, Any] = json.loads(server.custos("shell", "-v", "0", "-c", IDS).stdout.strip().splitlines()[-1])
    return ids


def test_every_oversight_page_passes_axe(journey_for: JourneyFor, filled: dict[str, Any]) -> None:
    journeys: dict[str, Journey] = {}
    for name, entry in PAGES.items():
        if isinstance(entry, str):
            continue
        journey = journeys.get(entry.persona)
        if journey is None:
            journey = journeys[entry.persona] = journey_for()
            if entry.persona:
                journey.sign_in(entry.persona)
        page = journey.go(entry.path(filled))  # runs axe
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        assert page.url.endswith(entry.path(filled)), (name, page.url)
    checked = sum(len(j.checked) for j in journeys.values())
    assert checked >= sum(1 for entry in PAGES.values() if not isinstance(entry, str))
