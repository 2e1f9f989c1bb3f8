"""BCU audits and the breach register in a real browser: central governance runs an audit and reads its trend;
the DPO records a breach and its steps. Every page visited is checked with axe (``Journey.check``)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import sign_in_with_purpose
from tests.server import CustosInstance

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]


def test_central_governance_runs_an_audit_and_sees_the_trend(journey_for: JourneyFor, server: CustosInstance) -> None:
    server.custos("bcu_audit", "--all")
    central = journey_for()
    sign_in_with_purpose(central, "demo_central_governance")
    page = central.go("/audits/")
    expect(page.get_by_role("heading", level=1)).to_have_text("BCU audits")
    expect(page.locator("body")).to_contain_text("First audit")
    page.get_by_label("BCU to audit").select_option(label="Central East")
    central.click("button", "Run an audit")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("run")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit of Central East")
    expect(page.locator("#metric-victims_on_matrix")).to_contain_text("No change")
    expect(page.locator("#history li")).to_have_count(2)
    central.go("/audits/")


def test_the_dpo_records_a_breach_and_its_steps(journey_for: JourneyFor) -> None:
    dpo = journey_for()
    sign_in_with_purpose(dpo, "demo_dpo")
    page = dpo.go("/breaches/")
    dpo.click("link", "Record a breach")
    dpo.click("button", "Record the breach")
    expect(page).to_have_title(re.compile("^Error: "))
    page.get_by_label("Title").fill("Extract emailed to the wrong address")
    page.get_by_label("What happened").fill("An extract of 2 people went to an external address.")
    page.get_by_label("Confidentiality (disclosure or access without authority)").check()
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("How many people are affected").fill("2")
    page.get_by_label("A high risk to rights and freedoms").check()
    dpo.click("button", "Record the breach")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("within 72 hours")
    expect(page.locator("#clock")).to_contain_text("Overdue by")
    page.get_by_label("ICO reference").fill("ICO-2026-1")
    dpo.click("button", "Record the notification")
    expect(page.locator(".govuk-error-summary")).to_contain_text("reasons for the delay")
    page.get_by_label("Reasons for the delay, if after 72 hours (s.67(4))").fill("Found only during the audit.")
    dpo.click("button", "Record the notification")
    expect(page.locator("#clock")).to_contain_text("(late)")
    page.get_by_label("Tell the data subjects (s.68(1))").check()
    page.get_by_label("Reasons").fill("High risk: each person is told by letter.")
    dpo.click("button", "Record the decision")
    expect(page.locator("#telling")).to_contain_text("Tell the data subjects")
    dpo.go("/breaches/")
    expect(page.locator("#breaches")).to_contain_text("Notified")


def test_the_oversight_hub_lists_the_sections_a_role_reaches(journey_for: JourneyFor) -> None:
    auditor = journey_for()
    auditor.sign_in("demo_auditor")  # an auditor reads no personal data: no purpose to declare
    page = auditor.go("/oversight/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Oversight")
    links = page.locator("#oversight-sections a")
    expect(links).to_have_text(
        [
            "BCU audits",
            "Equality monitor",
            "Breach register",
            "Data protection impact assessment",
            "Records of processing",
            "Annex 1 tracker",
        ]
    )
    auditor.click("link", "Transparency: figures and how to ask for your data")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
