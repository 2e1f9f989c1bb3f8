"""Scan findings in a real browser: central governance runs a finding from the list to closure.

The finding comes from a real scan: three people are recorded in the
instance, a CSV of them is written to a folder, and ``custos dlp_scan``
reads it. Every page visited is checked with axe (``Journey.check``) and
for Content Security Policy refusals.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import SPOC, sign_in_with_purpose
from tests.server import CustosInstance

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]
CENTRAL = "demo_central_governance"

RECORD_THREE = """
import datetime as dt
from custos.accounts.models import User
from custos.register.models import BCU
from custos.register.services import person_create
spoc = User.objects.get(username="demo_bcu_spoc")
bcu = BCU.objects.get(code=spoc.bcu_code)
people = [
    ("Ottilie Brackenbury", dt.date(1998, 3, 14), "12 Quillon Street, London E8 1HE"),
    ("Barnaby Fenwick-Stroud", dt.date(2001, 11, 2), "4 Marlowe Terrace, London N16 7QA"),
    ("Saoirse Delacourt", dt.date(1995, 6, 30), "77 Pellington Road, London E5 0RT"),
]
for name, dob, address in people:
    person_create(actor=spoc, bcu=bcu, full_name=name, purpose="Browser test of the copy scanner",
                  date_of_birth=dob, addresses=[address])
"""

COPY = (
    "Surname,First name,Born,Address\n"
    'BRACKENBURY,Ottilie,14/03/1998,"12 Quillon Street, London E8 1HE"\n'
    'Fenwick-Stroud,Barnaby,2 Nov 2001,"4 Marlowe Terrace, London N16 7QA"\n'
    'delacourt,saoirse,30.06.95,"77 Pellington Road, London E5 0RT"\n'
)


@pytest.fixture(scope="module")
def scanned(server: CustosInstance) -> Iterator[Path]:
    """Three people in the register, a copy of them in a folder, and a scan that found it."""
    folder = Path(tempfile.mkdtemp(prefix="custos-dlp-browser-"))
    try:
        server.custos("shell", "-v", "0", "-c", RECORD_THREE)
        (folder / "informal-list.csv").write_text(COPY, encoding="utf-8")
        server.custos("dlp_scan", str(folder), "--no-progress", "--workers", "1", "--as-user", CENTRAL)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_central_governance_assigns_confirms_and_closes_a_finding(journey_for: JourneyFor, scanned: Path) -> None:
    central = journey_for()
    sign_in_with_purpose(central, CENTRAL)
    page = central.page

    # The header leads to the findings; the copy is there, by path, with three people and no value.
    central.click("link", "Scan findings", exact=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Scan findings")
    row = page.locator("#findings tr", has_text="informal-list.csv")
    expect(row).to_contain_text("Register data")
    expect(row.locator("td").nth(3)).to_have_text("3")
    expect(page.locator("main")).not_to_contain_text("Brackenbury")
    short_ref = row.locator("td").first.inner_text().strip()
    with page.expect_navigation():
        row.get_by_role("link", name=short_ref).click()
    central.check()
    expect(page.locator(".govuk-caption-l")).to_have_text(short_ref)
    expect(page.locator("#field-kinds")).to_contain_text("name: 3")
    expect(page.locator("main")).not_to_contain_text("Quillon")

    # Assign it to the BCU SPOC: nothing chosen is refused, then the SPOC is chosen.
    central.click("link", "Assign", exact=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Assign finding")
    central.click("button", "Assign", exact=True)
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose who will see to the copy.")
    spoc_option = page.locator("select option", has_text="BCU single point of contact").first
    page.get_by_label("Assign to").select_option(value=spoc_option.get_attribute("value"))
    central.click("button", "Assign", exact=True)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"Finding {short_ref} assigned to")

    # Confirm the copy is erased: reasons are required.
    central.click("link", "Confirm the copy is erased")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the copy is erased")
    central.click("button", "Confirm erasure")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Give reasons.")
    page.get_by_label("Reasons").fill("The SPOC deleted the file and its backup copy; checked on the share.")
    central.click("button", "Confirm erasure")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Erasure of the copy in {short_ref} confirmed."
    )
    expect(page.locator("main")).to_contain_text(f"Confirmed by {CENTRAL}")

    # Close it: it leaves the list of open findings.
    central.click("link", "Close", exact=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the finding")
    page.get_by_label("Reasons").fill("The copy is erased and the officer was reminded of the policy.")
    central.click("button", "Close the finding")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scan findings")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"Finding {short_ref} closed.")
    expect(page.locator("#findings tr", has_text="informal-list.csv")).to_have_count(0)
    assert len(central.checked) >= 8


def test_the_header_offers_findings_only_to_roles_that_see_them(journey_for: JourneyFor, scanned: Path) -> None:
    spoc = journey_for()
    sign_in_with_purpose(spoc, SPOC)
    expect(spoc.page.get_by_role("link", name="Scan findings", exact=True)).to_be_visible()
    officer = journey_for()
    sign_in_with_purpose(officer, "demo_officer")
    expect(officer.page.get_by_role("link", name="Scan findings", exact=True)).to_have_count(0)
