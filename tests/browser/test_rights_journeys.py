"""A subject access request in a real browser: received, compiled, a part withheld, answered.

An officer records a person with two intelligence items; the Information
Rights Unit logs the person's request by reference, reviews the package,
withholds one item under a named s.45(4) ground, sends the response and
downloads the PDF as sent. Every page is checked with axe.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import OFFICER, add_item, add_person, sign_in_with_purpose, unique

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]
IRU = "demo_iru"
DPO = "demo_dpo"


def test_receive_compile_withhold_respond(journey_for: JourneyFor) -> None:
    name = unique("Sam Subject")
    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    person_path = add_person(officer, name)
    add_item(officer, person_path, source_reference="CAD 3131")
    add_item(officer, person_path, source_reference="CRIS 4242", criterion="weapon_knife", nature="Assessment")
    reference = re.search(r"P-[0-9A-F]{8}", officer.page.locator(".govuk-caption-l").inner_text())
    assert reference is not None
    short_ref = reference.group(0)

    iru = journey_for()
    sign_in_with_purpose(iru, IRU)
    iru.click("link", "Requests")
    expect(iru.page.get_by_role("heading", level=1)).to_have_text("Data-subject requests")
    iru.click("button", "Log a request")
    page = iru.page
    iru.click("button", "Log the request")  # nothing entered: the form says what is missing
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the person's reference.")
    # Found by a search (POST), then picked by reference: no name in any address.
    iru.click("link", "Find the person by name or date of birth")
    page.get_by_label("Name or alias").fill(name)
    iru.click("button", "Search")
    iru.click("link", f"Use {short_ref}")
    assert name.split()[0] not in page.url
    expect(page.get_by_label("Person's reference")).to_have_value(short_ref)
    page.get_by_label("Subject access (s.45)", exact=True).check()
    received = dt.date.today() - dt.timedelta(days=3)
    page.get_by_label("Day").fill(str(received.day))
    page.get_by_label("Month").fill(str(received.month))
    page.get_by_label("Year").fill(str(received.year))
    page.get_by_label("Requester's name").fill(name)
    page.get_by_label("How to reach the requester").fill("12 Example Road, London E8 1AA")
    page.get_by_label("How their identity was verified").fill("Passport seen at the front counter.")
    iru.click("button", "Log the request")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("It is due on")
    expect(page.locator("#clock")).to_contain_text("days left")
    expect(page.locator("#people")).to_contain_text(name)
    request_path = page.url.removeprefix(iru.server.url)

    iru.click("button", "Review the package")
    expect(page.locator("main")).to_contain_text("Seen carrying a bladed article")
    iru.click("button", "Withhold this part")  # no part, no ground, no reasons
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose the part to withhold.")
    expect(summary).to_contain_text("Choose the s.45(4) ground")
    parts = page.get_by_label("Part to withhold")
    knife = parts.locator("option", has_text="Knife possession or use").first.get_attribute("value")
    assert knife is not None
    assert knife.startswith("intelligence:")
    parts.select_option(knife)
    page.get_by_label(re.compile(r"^Avoid prejudicing the prevention")).check()
    page.get_by_label("Why withholding it is necessary and proportionate").fill("A live investigation, OP-77.")
    iru.click("button", "Withhold this part")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Withheld")
    expect(page.locator("#withheld-list")).to_contain_text(knife)

    iru.click("link", "Go on to send the response")
    expect(page.locator("#withheld-summary")).to_contain_text("1 part withheld")
    iru.click("button", "Send the response")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("1 part(s) withheld")
    expect(page.locator("#status")).to_have_text("Responded")
    expect(page.locator("#response")).to_contain_text("SHA-256 (PDF)")
    expect(page.locator("#withholdings")).to_contain_text("A live investigation, OP-77.")
    with page.expect_download() as caught:
        page.get_by_role("link", name="PDF as sent").click()
    download = caught.value
    assert download.suggested_filename.endswith("-response.pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # The DPO sees the request and its clock, and cannot act on it.
    dpo = journey_for()
    sign_in_with_purpose(dpo, DPO)
    dpo.click("link", "Requests")
    dpo.go("/requests/?status=closed")
    expect(dpo.page.locator("#requests")).to_contain_text("answered in time")
    dpo.go(request_path)
    expect(dpo.page.locator("#status")).to_have_text("Responded")
    expect(dpo.page.get_by_role("button", name="Review the package")).to_have_count(0)
