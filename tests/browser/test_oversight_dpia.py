"""The DPIA pack in a real browser: the DPO generates a draft, signs it off, keeps the risk register;
the auditor reads; the records of processing. Every page visited is checked with axe (``Journey.check``)."""

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


def test_the_dpo_generates_signs_off_and_keeps_the_risks(journey_for: JourneyFor, server: CustosInstance) -> None:
    server.custos("dpia", "--seed-risks")
    dpo = journey_for()
    sign_in_with_purpose(dpo, "demo_dpo")
    page = dpo.go("/dpia/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data protection impact assessment")
    dpo.click("button", "Generate a new draft")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("generated from the running system")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Draft")
    number = re.search(r"Version (\d+)", heading.inner_text())
    assert number is not None
    expect(page.locator("#dpia-controls")).to_contain_text("Personal values encrypted at rest")
    expect(page.locator("body")).to_contain_text("self_defined_ethnicity")
    expect(page.locator("#dpia-risks")).to_contain_text("Victims recorded alongside offenders")

    dpo.click("button", f"Sign off version {number.group(1)}")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Write your comments")
    page.get_by_label("Your comments as data protection officer").fill("Accepted: residual risk is tolerable.")
    dpo.click("button", f"Sign off version {number.group(1)}")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("will not change")
    expect(page.locator("#sign-off")).to_contain_text("Accepted: residual risk is tolerable.")
    expect(page.get_by_role("button", name=re.compile("^Sign off"))).to_have_count(0)

    dpo.go("/dpia/risks/")
    expect(page.locator("#risks")).to_contain_text("Disproportionate impact on young black men")
    dpo.click("link", "Stale access by staff who no longer need it")
    page.get_by_label("Likelihood (1 rare to 5 almost certain)").select_option("1")
    page.get_by_label("Title").fill("")
    dpo.click("button", "Save the risk")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the title.")
    page.get_by_label("Title").fill("Stale access by staff who no longer need it")
    dpo.click("button", "Save the risk")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Risk stale-access saved.")
    expect(page.locator("#risk-summary")).to_contain_text("3 (likelihood 1, impact 3)")
    expect(page.locator("#risk-history tbody tr")).to_have_count(2)

    dpo.go("/records-of-processing/")
    expect(page.locator("#ropa-transfers")).to_have_text("None outside the UK.")
    expect(page.locator("#ropa-profiling")).to_contain_text("advisory only")


def test_the_auditor_reads_but_does_not_edit(journey_for: JourneyFor, server: CustosInstance) -> None:
    server.custos("dpia", "--seed-risks")
    server.custos("dpia", "--generate", "--as-user", "demo_dpo")
    auditor = journey_for()
    auditor.sign_in("demo_auditor")  # an auditor reads logs and reports, and declares no purpose
    page = auditor.go("/dpia/")
    expect(page.get_by_role("button", name="Generate a new draft")).to_have_count(0)
    auditor.click("link", "Version 1", exact=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Version 1")
    auditor.go("/dpia/risks/")
    expect(page.get_by_role("button", name="Add the risk")).to_have_count(0)
