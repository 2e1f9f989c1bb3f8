"""The Annex 1 tracker and monthly reports in a real browser: the DPO reads the tracker, generates this month's
report (after a wrong month), reads it and downloads the PDF; the auditor reads it but cannot generate one.
Every page visited is checked with axe (``Journey.check``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import sign_in_with_purpose

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]


def test_the_dpo_generates_a_monthly_report_and_the_auditor_reads_it(journey_for: JourneyFor) -> None:
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    dpo = journey_for()
    sign_in_with_purpose(dpo, "demo_dpo")
    page = dpo.go("/oversight/")
    dpo.click("link", "Annex 1 tracker")
    expect(page.get_by_role("heading", level=1)).to_have_text("Annex 1 tracker")
    expect(page.locator("section[id^=term-]")).to_have_count(16)
    expect(page.locator("#heading-a116")).to_contain_text("Not met")  # no BCU audited yet
    page.locator("#term-a116 summary").click()
    expect(page.locator("#a116-not_audited")).to_contain_text("12")
    dpo.click("link", "Monthly progress reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Annex 1 monthly progress reports")
    page.get_by_label("Month").fill("next spring")
    dpo.click("button", "Generate the report")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("The month must be YYYY-MM")
    page.get_by_label("Month").fill(month)
    dpo.click("button", "Generate the report")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("generated")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Annex 1 progress report")
    expect(page.locator("#terms tbody tr")).to_have_count(16)
    expect(page.locator("#row-a11")).to_contain_text("Data protection impact assessment")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report as a PDF").click()
    assert download.value.suggested_filename == f"annex1-{month}.pdf"
    report_path = page.url.removeprefix(dpo.server.url)

    auditor = journey_for()
    auditor.sign_in("demo_auditor")  # reads no personal data: no purpose to declare
    page = auditor.go("/annex1/reports/")
    expect(page.locator("#generate")).to_have_count(0)
    expect(page.locator("#reports tbody tr")).to_have_count(1)
    auditor.go(report_path)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Annex 1 progress report")
    auditor.go("/annex1/")
