"""The register's journeys in a real browser, against a real server, each page checked with axe.

One server and one chromium serve the whole module; each test signs in in
its own browser context and uses its own people, so tests do not depend on
one another's order.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]
OFFICER = "demo_officer"
SPOC = "demo_bcu_spoc"


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6].upper()}"


def declare_purpose(
    journey: Journey, reference: str = "OP-1234", reason: str = "Browser test of the register journeys"
) -> None:
    """State a purpose at /purpose/ (where signing in leads first), then carry on to where it was going."""
    if "/purpose/" not in journey.page.url:
        journey.go("/purpose/")
    expect(journey.page.get_by_role("heading", level=1)).to_have_text("Why are you using Custos?")
    journey.page.get_by_label("Operation or incident reference").fill(reference)
    journey.page.get_by_label("Why you need to see personal data").fill(reason)
    journey.click("button", "Continue")
    expect(journey.page.locator("#purpose-banner")).to_contain_text(reference.upper())


def sign_in_with_purpose(journey: Journey, username: str) -> None:
    journey.sign_in(username)
    declare_purpose(journey)


def add_person(journey: Journey, full_name: str) -> str:
    """Add a person through the form; returns the path of their page."""
    journey.go("/people/")
    journey.click("button", "Add a person")
    page = journey.page
    journey.click("button", "Add person")  # nothing entered: the server says what is missing
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the person's full name.")
    expect(page).to_have_title(re.compile("^Error: "))
    page.get_by_label("Full name").fill(full_name)
    page.get_by_label("Aliases and nicknames").fill("JB\nJay")
    page.get_by_label("Day").fill("17")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("2001")
    page.get_by_label("Addresses").fill("12 Example Road, London E8 1AA")
    journey.click("button", "Add person")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("recorded")
    expect(page.get_by_role("heading", level=1)).to_have_text(full_name)
    assert re.search(r"/people/[0-9a-f-]{36}/$", page.url)
    return page.url.removeprefix(journey.server.url)


def add_item(
    journey: Journey,
    person_path: str,
    *,
    source_reference: str,
    category: str = "Suspected offender",
    criterion: str = "serious_violence",
    nature: str = "Fact",
) -> None:
    journey.go(person_path)
    journey.click("button", "Add intelligence")
    page = journey.page
    when = dt.date.today() - dt.timedelta(days=20)
    page.get_by_label(category, exact=True).check()
    page.get_by_label("Day").fill(str(when.day))
    page.get_by_label("Month").fill(str(when.month))
    page.get_by_label("Year").fill(str(when.year))
    page.get_by_label("What it evidences").select_option(criterion)
    page.get_by_label("What the intelligence says").fill("Seen carrying a bladed article at Mare Street.")
    page.get_by_label(nature, exact=True).check()
    page.get_by_label("Source type").select_option("police")
    page.get_by_label("Source reference").fill(source_reference)
    page.get_by_label("Source evaluation").select_option("1")
    page.get_by_label("Intelligence assessment").select_option("B")
    page.get_by_label("P – Lawful sharing permitted", exact=True).check()
    journey.click("button", "Add intelligence")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Intelligence item added (1BP)")


def test_sign_in_and_a_wrong_password(journey_for: JourneyFor) -> None:
    journey = journey_for()
    journey.go("/sign-in/")
    page = journey.page
    expect(page).to_have_title(re.compile("Sign in"))
    page.get_by_label("Username").fill(OFFICER)
    page.get_by_label("Password").fill("not the password")
    journey.click("button", "Sign in")
    expect(page.locator(".govuk-error-summary")).to_contain_text("correct username and password")
    expect(page).to_have_title(re.compile("^Error: "))
    journey.sign_in(OFFICER)
    # Personal data waits for a declared purpose; the form says what is wrong.
    expect(page).to_have_url(re.compile(r"/purpose/\?next=%2Fmatrix%2F$"))
    page.get_by_label("Operation or incident reference").fill("OP 12/34")
    page.get_by_label("Why you need to see personal data").fill("Because")
    journey.click("button", "Continue")
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("only letters, numbers and hyphens")
    expect(summary).to_contain_text("at least 10 characters")
    declare_purpose(journey, "op-1234", "Preparing the Tuesday tasking meeting")
    expect(page).to_have_url(re.compile("/matrix/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Matrix")
    # The header shows the purpose and changes it, coming back to the same page.
    journey.go("/people/")
    journey.click("link", "change purpose")
    expect(page.locator("#current-purpose")).to_contain_text("OP-1234")
    declare_purpose(journey, "CAD-5512", "Reviewing a knife incident on Mare Street")
    expect(page).to_have_url(re.compile("/people/$"))
    journey.click("button", "Sign out")
    expect(page).to_have_url(re.compile("/sign-in/$"))


def test_nomination_journey_from_recording_to_a_decided_band(journey_for: JourneyFor) -> None:
    name = unique("Jordan Browser")
    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    person_path = add_person(officer, name)
    add_item(officer, person_path, source_reference="CAD 1111")
    add_item(officer, person_path, source_reference="CRIS 2222", criterion="weapon_knife", nature="Assessment")

    officer.go(person_path)
    officer.click("button", "Nominate for the matrix")
    officer.page.get_by_label("Reasons for the nomination").fill(
        "Two independent police sources: violence and a knife."
    )
    officer.click("button", "Propose the nomination")
    expect(officer.page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Another person must confirm it"
    )
    # An officer is not offered activation or decisions.
    expect(officer.page.get_by_role("link", name=re.compile("^Activate"))).to_have_count(0)

    spoc = journey_for()
    sign_in_with_purpose(spoc, SPOC)
    spoc.go(person_path)
    spoc.click("link", "Activate")
    spoc.page.get_by_label("Reasons for confirming the nomination").fill("Corroborated by two independent sources.")
    spoc.click("button", "Confirm the nomination")
    expect(spoc.page.locator(".govuk-notification-banner--success")).to_contain_text("now active on the matrix")

    spoc.click("link", "Decide RAG band")
    page = spoc.page
    expect(page.locator("#score")).to_contain_text("Recommended band")
    expect(page.locator(".govuk-warning-text")).to_contain_text("The band is your decision")
    spoc.click("button", "Record my decision")  # no band, no reasons
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose red, amber or green.")
    page.get_by_label("Amber", exact=True).check()
    page.get_by_label("Reasons for your decision").fill("Amber: recent violence, no firearm.")
    spoc.click("button", "Record my decision")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You decided band amber")

    # The person page: categories, score explanation, grades, fact/assessment, history.
    expect(page.locator("#categories")).to_contain_text("Suspected offender")
    expect(page.locator("#score-counted")).to_contain_text("1B suspected offender, fact")
    expect(page.locator("#score-counted")).to_contain_text("1B suspected offender, assessment")
    expect(page.locator("#intelligence")).to_contain_text("1BP")
    expect(page.locator("#intelligence .govuk-tag", has_text=re.compile("^Fact$"))).to_have_count(1)
    expect(page.locator("#intelligence .govuk-tag", has_text=re.compile("^Assessment$"))).to_have_count(1)
    history = page.locator("#decisions")
    expect(history).to_contain_text("Amber: recent violence, no firearm.")
    expect(history).to_contain_text(SPOC)

    # The matrix: filters and counts reflect the decision.
    spoc.go("/matrix/")
    page.get_by_label("RAG band").select_option("amber")
    page.get_by_label("BCU").select_option("central-east")
    spoc.click("button", "Apply filters")
    expect(page).to_have_url(re.compile(r"band=amber"))
    rows = page.locator("#matrix tbody tr")
    expect(page.locator("#matrix")).to_contain_text(name)
    amber = int(page.locator('[data-band="amber"]').inner_text())
    assert amber == rows.count() >= 1
    assert int(page.locator('[data-band="red"]').inner_text()) == 0
    page.get_by_label("RAG band").select_option("none")
    spoc.click("button", "Apply filters")
    expect(page.locator("main")).not_to_contain_text(name)


def test_a_victim_cannot_be_nominated(journey_for: JourneyFor) -> None:
    name = unique("Vic Browser")
    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    person_path = add_person(officer, name)
    for reference in ("CAD 3333", "CRIS 4444"):
        add_item(officer, person_path, source_reference=reference, category="Victim", criterion="victimisation")
    page = officer.page
    expect(page.locator("#categories")).to_have_text(re.compile(r"^\s*Recorded as\s*Victim\s*$"))
    expect(page.locator("#victim-notice")).to_contain_text("victim")
    expect(page.locator("#score-counted")).to_contain_text("No item counts towards the score")
    officer.click("button", "Nominate for the matrix")
    page.get_by_label("Reasons for the nomination").fill("Trying to nominate a victim, which must fail.")
    officer.click("button", "Propose the nomination")
    expect(page.locator(".govuk-error-summary")).to_contain_text("A victim cannot be nominated")


def test_search_is_posted_and_keeps_names_out_of_the_address(journey_for: JourneyFor) -> None:
    name = unique("Sam Searchable")
    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    person_path = add_person(officer, name)
    officer.go("/people/")
    officer.click("button", "Search")  # nothing entered
    expect(officer.page.locator(".govuk-error-summary")).to_contain_text("Enter a name or alias, a date of birth")
    officer.page.get_by_label("Name or alias").fill(name.upper())
    officer.click("button", "Search")
    page = officer.page
    assert page.url == officer.url("/people/")
    expect(page.locator("#people")).to_contain_text(name)
    expect(page.locator(f'#people a[href="{person_path}"]')).to_have_count(1)


def test_a_person_can_be_added_without_javascript(journey_for: JourneyFor) -> None:
    name = unique("Nojs Person")
    journey = journey_for(javascript=False)
    sign_in_with_purpose(journey, OFFICER)
    expect(journey.page).to_have_url(re.compile("/matrix/$"))
    add_person(journey, name)
    expect(journey.page.locator("#personal-details")).to_contain_text("17 May 2001")


def test_access_governance_pages(journey_for: JourneyFor) -> None:
    """The SPOC's training and recertification pages and the sysadmin's account pages, each checked with axe."""
    spoc = journey_for()
    spoc.sign_in(SPOC)
    spoc.go("/training/")
    expect(spoc.page.locator('#training tr[data-username="demo_officer"]')).to_contain_text("Current")
    spoc.click("link", "Show only people who are untrained or expiring")
    spoc.go("/recertification/")
    expect(spoc.page.get_by_role("heading", level=1)).to_have_text("Recertify access")
    spoc.click("button", "Record attestations")  # nothing chosen: the page says so
    expect(spoc.page.locator(".govuk-error-summary")).to_contain_text("Choose whether each user still needs access")
    expect(spoc.page).to_have_title(re.compile("^Error: "))

    admin = journey_for()
    admin.sign_in("demo_sysadmin")
    expect(admin.page).to_have_url(re.compile("/users/$"))
    expect(admin.page.locator('#accounts tr[data-username="demo_officer"]')).to_contain_text("Active")
    admin.click("button", "Add an account")
    admin.click("button", "Add account")  # nothing entered
    summary = admin.page.locator(".govuk-error-summary")
    for message in ("Enter a username.", "Choose a role.", "Enter a first password."):
        expect(summary).to_contain_text(message)
