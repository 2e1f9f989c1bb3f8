"""The equality monitor and the public transparency page in a real browser.

An auditor reads the monitor (tables and SVG charts) and filters it; an officer is refused; anyone,
signed out, reads the transparency page, where no figure under 10 appears. Every page visited is checked
with axe (``Journey.check``) and for Content Security Policy refusals.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import OFFICER, sign_in_with_purpose
from tests.server import CustosInstance

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]


def _charts_drawn(journey: Journey) -> None:
    images = journey.page.locator("img.custos-chart")
    assert images.count() >= 1
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        journey.page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def test_the_auditor_reads_the_monitor_and_the_public_reads_the_published_figures(
    journey_for: JourneyFor, server: CustosInstance
) -> None:
    server.custos("seed_demo", "--people", "40", "--seed", "11")
    server.custos("equality_publish", "--quarter", "2026-Q4", "--as-user", "demo_central_governance")

    auditor = journey_for()
    auditor.sign_in("demo_auditor")  # an auditor reads reports and declares no purpose
    page = auditor.go("/equality/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Equality monitor")
    expect(page.locator("#baseline-used")).to_contain_text("ONS Census 2021")
    expect(page.locator("#ratios-inclusion-")).to_contain_text("Black")
    expect(page.locator("#no-age-baseline")).to_be_visible()
    _charts_drawn(auditor)

    page.get_by_label("Decision point").select_option("banding")
    auditor.click("button", "Show")
    assert "point=banding" in page.url
    expect(page.locator("#point-banding")).to_be_visible()
    expect(page.locator("#point-inclusion")).to_have_count(0)
    _charts_drawn(auditor)

    auditor.go("/equality/publications/")
    expect(page.locator("#publications")).to_contain_text("2026-Q4")

    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    response = officer.page.goto(officer.url("/equality/"))
    assert response is not None
    assert response.status == 403
    officer.check()

    public = journey_for()
    page = public.go("/transparency/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("transparency")
    expect(page.locator("#publication-quarter")).to_contain_text("2026-Q4")
    cells = page.locator("td.govuk-table__cell").all_inner_texts()
    assert cells
    for cell in cells:
        assert cell in ("fewer than 10", "withheld") or (re.fullmatch(r"\d+", cell) and int(cell) >= 10), cell
