"""The guidance library in a real browser: governance writes a version, the DPO publishes it, an officer's
decision form links the version in force and the person page shows the version the decision recorded.
Every page visited is checked with axe (``Journey.check``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import add_item, add_person, sign_in_with_purpose, unique
from tests.server import CustosInstance

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]
CENTRAL = "demo_central_governance"
DPO = "demo_dpo"
OFFICER = "demo_officer"


def test_a_new_version_is_written_published_and_recorded_on_a_decision(
    journey_for: JourneyFor, server: CustosInstance
) -> None:
    central = journey_for()
    central.sign_in(CENTRAL)
    page = central.go("/guidance/gang_composition/")
    expect(page.locator("#none-in-force")).to_contain_text("No version of this guidance is in force")
    server.custos("guidance", "seed", "--publish")
    page = central.go("/guidance/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Guidance")
    expect(page.locator("#topic-social_media")).to_contain_text("Version 1, since")
    central.click("link", "Write a new version of Social media as verifiable intelligence")
    body = page.get_by_label("The guidance")
    expect(body).to_have_value(re.compile(r"^# Social media as verifiable intelligence"))
    body.fill(
        body.input_value().replace("## Never", "## Drill and other music\n\nNever evidence by itself.\n\n## Never")
    )
    central.click("button", "Save the draft")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say what this version changes")
    page.get_by_label("What this version changes").fill("Music is never evidence by itself.")
    central.click("button", "Save the draft")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Someone else publishes it")
    expect(page.locator("#changes .added")).to_contain_text(["## Drill and other music", "Never evidence by itself."])
    expect(page.locator("#publish-by-another")).to_be_visible()
    expect(page.get_by_role("button", name="Publish this version")).to_have_count(0)

    dpo = journey_for()
    dpo.sign_in(DPO)
    dpo.go("/guidance/")
    dpo.click("link", "Draft of Social media as verifiable intelligence")
    dpo.click("button", "Publish this version")
    expect(dpo.page.locator(".govuk-error-summary")).to_be_visible()
    today = dt.date.today()
    dpo.page.get_by_label("Day").fill(str(today.day))
    dpo.page.get_by_label("Month").fill(str(today.month))
    dpo.page.get_by_label("Year").fill(str(today.year))
    dpo.click("button", "Publish this version")
    expect(dpo.page.locator(".govuk-notification-banner--success")).to_contain_text("version 2 published")
    expect(dpo.page.locator("#status")).to_contain_text("This version is in force")
    expect(dpo.page.get_by_role("heading", name="Drill and other music")).to_be_visible()
    dpo.click("link", "Compare with version 1")
    expect(dpo.page.locator("#changes .added").first).to_contain_text("## Drill and other music")
    dpo.go("/guidance/social_media/v1/")
    expect(dpo.page.locator("#status")).to_contain_text("no longer in force")

    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    officer.go("/guidance/")
    expect(officer.page.get_by_role("link", name=re.compile("^Write a new version"))).to_have_count(0)
    person_path = add_person(officer, unique("Guided Person"))
    add_item(officer, person_path, source_reference="CAD 7001")
    add_item(officer, person_path, source_reference="CRIS 7002", criterion="weapon_knife")
    officer.go(person_path)
    officer.click("button", "Nominate for the matrix")
    links = officer.page.locator("#guidance-in-force a")
    expect(links).to_have_count(3)
    expect(links.first).to_have_attribute("href", "/guidance/evidencing_membership/v1/")
    officer.page.get_by_label("Reasons for the nomination").fill(
        "Two independent police sources: violence and a knife."
    )
    officer.click("button", "Propose the nomination")
    expect(officer.page.locator(".govuk-notification-banner--success")).to_contain_text("Another person must confirm")
    recorded = officer.page.locator("[id^=guidance-proposed-]")
    expect(recorded).to_contain_text("Evidencing gang membership v1")
    officer.click("link", "Serious youth violence or gang membership v1")
    expect(officer.page.get_by_role("heading", level=1)).to_have_text("Serious youth violence or gang membership")
