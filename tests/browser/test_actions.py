"""Proportionate actions in a real browser: offered by the policy, refused with reasons, every page checked with axe."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import OFFICER, SPOC, add_item, add_person, sign_in_with_purpose, unique

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]


def fill_action(journey: Journey, kind: str, notes: str) -> None:
    page = journey.page
    when = dt.date.today() - dt.timedelta(days=1)
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Day").fill(str(when.day))
    page.get_by_label("Month").fill(str(when.month))
    page.get_by_label("Year").fill(str(when.year))
    page.get_by_label("What was done and why").fill(notes)


def test_a_green_band_nominal_is_offered_diversion_and_safeguarding_only(journey_for: JourneyFor) -> None:
    name = unique("Gail Greenband")
    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    person_path = add_person(officer, name)
    add_item(officer, person_path, source_reference="CAD 5151")
    add_item(officer, person_path, source_reference="CRIS 6161", criterion="weapon_knife")
    officer.go(person_path)
    officer.click("button", "Nominate for the matrix")
    officer.page.get_by_label("Reasons for the nomination").fill("Two independent police sources: violence, a knife.")
    officer.click("button", "Propose the nomination")

    spoc = journey_for()
    sign_in_with_purpose(spoc, SPOC)
    spoc.go(person_path)
    spoc.click("link", "Activate")
    spoc.page.get_by_label("Reasons for confirming the nomination").fill("Corroborated by two independent sources.")
    spoc.click("button", "Confirm the nomination")
    spoc.click("link", "Decide RAG band")
    spoc.page.get_by_label("Green", exact=True).check()
    spoc.page.get_by_label("Reasons for your decision").fill("Green: no offending for a year, engaging.")
    spoc.click("button", "Record my decision")

    officer.go(person_path)
    expect(officer.page.locator("#no-actions")).to_have_text("No actions recorded.")
    officer.click("button", "Record an action")
    page = officer.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an action")
    expect(page.locator("#standing")).to_contain_text("Green-band nominal")
    # Enforcement is not offered; each refused kind is listed with its reason.
    expect(page.get_by_label("Housing action (including eviction)")).to_have_count(0)
    expect(page.get_by_label("Increased stop and search")).to_have_count(0)
    page.get_by_text(re.compile(r"Actions not allowed for this person \(8\)")).click()
    refused = page.locator("#refused-actions")
    expect(refused).to_contain_text(
        "Housing action (including eviction) is not allowed for a green-band nominal under action policy v1."
    )
    expect(refused).to_contain_text("Immigration enforcement is not allowed for a green-band nominal")
    officer.check()
    # Nothing chosen: the server says what is missing.
    officer.click("button", "Record the action")
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose the kind of action.")
    expect(summary).to_contain_text("Enter the date the action was taken.")
    fill_action(officer, "Gang-exit programme referral", "Referred to the gang-exit programme at the tasking meeting.")
    officer.click("button", "Record the action")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Gang-exit programme referral recorded")
    actions = page.locator("#actions")
    expect(actions).to_contain_text("Gang-exit programme referral")
    expect(actions).to_contain_text("Referred to the gang-exit programme at the tasking meeting.")
    expect(actions).to_contain_text("Policy v1")
    expect(actions.locator(".govuk-tag")).to_have_text("Green")


def test_a_victim_is_offered_safeguarding_only(journey_for: JourneyFor) -> None:
    name = unique("Vic Safeguard")
    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    person_path = add_person(officer, name)
    add_item(officer, person_path, source_reference="CAD 7171", category="Victim", criterion="victimisation")
    officer.click("button", "Record an action")
    page = officer.page
    expect(page.locator("#safeguarding-only")).to_contain_text("recorded only as a victim or witness")
    expect(page.get_by_label("Mentoring")).to_have_count(0)
    expect(page.get_by_label("Truancy enforcement")).to_have_count(0)
    fill_action(officer, "Victim support referral", "Referred to victim support after the second incident.")
    officer.click("button", "Record the action")
    expect(page.locator("#actions")).to_contain_text("Victim or witness")
    expect(page.locator("#actions")).to_contain_text("Victim support referral")


def test_the_policy_page_is_a_readable_table(journey_for: JourneyFor) -> None:
    auditor = journey_for()
    auditor.sign_in("demo_auditor")
    auditor.go("/actions/policy/")
    page = auditor.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Action policy, version 1")
    housing = page.locator('tr[data-kind="housing_action"]')
    expect(housing).to_contain_text("ICO enforcement notice 2018 ¶19")
    expect(housing.locator("td").nth(0)).to_have_text("Allowed")  # red
    expect(housing.locator("td").nth(2)).to_have_text("Not allowed")  # green
    stop = page.locator('tr[data-kind="stop_and_search"]')
    expect(stop.locator("td").nth(1)).to_contain_text("With conditions")  # amber
    victim_column = page.locator('th[data-standing="victim"]')
    expect(victim_column).to_have_text("Victim or witness")
