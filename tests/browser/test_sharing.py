"""Information sharing in a real browser: an agreement drafted and approved, a disclosure asked for, approved,
downloaded as an age package and confirmed destroyed by the recipient on the public page.

Every page visited is checked with axe (``Journey.check``) and for Content
Security Policy refusals.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from custos.crypto.age import age_decrypt, age_identity_new
from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import OFFICER, SPOC, add_item, add_person, sign_in_with_purpose, unique

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]
CENTRAL = "demo_central_governance"
IRU = "demo_iru"
NECESSITY = "Open referral: the panel must assess the risk on Friday."


def draft_agreement(journey: Journey, title: str, recipient_key: str) -> str:
    """Central governance drafts a statutory agreement through the form; returns the agreement's path."""
    page = journey.page
    journey.go("/sharing/agreements/")
    journey.click("link", "Draft an agreement")
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft an agreement")
    journey.click("button", "Save as a draft")  # nothing entered: every problem at once
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a title.")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose at least one field")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Recipient organisation").fill("Hackney Youth Offending Service")
    page.get_by_label("Exercises statutory functions").check()
    page.get_by_label("Parties to the agreement").fill("Metropolitan Police Service\nLondon Borough of Hackney")
    page.get_by_label("Legal basis").fill("DPA 2018 s.35(2)(b); Crime and Disorder Act 1998 s.115")
    page.get_by_label("Purpose of sharing").fill("Assessment and support of young people referred by the police.")
    for label in ("Custos reference", "Name", "Date of birth", "RAG band"):
        page.get_by_label(label, exact=True).check()
    page.get_by_label("Suspected offender", exact=True).check()
    for label in ("Red", "Amber", "Not on the matrix"):
        page.get_by_label(label, exact=True).check()
    page.get_by_label("Onward sharing").fill("None without the police's written consent.")
    page.get_by_label("Retention at the recipient (days)").fill("30")
    page.get_by_label("Security the recipient must apply").fill("OFFICIAL-SENSITIVE; encrypted storage.")
    page.get_by_label("Recipient's age public key").fill("age1notakey")
    review = dt.date.today() + dt.timedelta(days=300)
    page.get_by_label("Day", exact=True).fill(str(review.day))
    page.get_by_label("Month", exact=True).fill(str(review.month))
    page.get_by_label("Year", exact=True).fill(str(review.year))
    for row, (name, role, org) in enumerate(
        [
            ("A. Signer", "Detective Superintendent", "Metropolitan Police Service"),
            ("B. Signer", "Head of Youth Justice", "London Borough of Hackney"),
        ],
        start=1,
    ):
        page.get_by_label(f"Name of signatory {row}").fill(name)
        page.get_by_label(f"Role of signatory {row}").fill(role)
        page.get_by_label(f"Organisation of signatory {row}").fill(org)
    journey.click("button", "Save as a draft")
    expect(page.locator(".govuk-error-summary")).to_contain_text("age")
    expect(page.get_by_label("Title")).to_have_value(title)  # nothing typed is lost
    page.get_by_label("Recipient's age public key").fill(recipient_key)
    journey.click("button", "Save as a draft")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("drafted")
    expect(page.locator("#status")).to_have_text("Draft")
    return page.url.removeprefix(journey.server.url)


def test_an_agreement_is_approved_and_a_disclosure_is_made_downloaded_and_destroyed(
    journey_for: JourneyFor, tmp_path: Path
) -> None:
    identity, recipient = age_identity_new()
    title = unique("Referrals")

    central = journey_for()
    central.sign_in(CENTRAL)
    agreement_path = draft_agreement(central, title, recipient)
    expect(central.page.get_by_role("button", name="Approve the agreement")).to_have_count(0)

    iru = journey_for()
    iru.sign_in(IRU)
    iru.go(agreement_path)
    iru.page.get_by_label("Notes (optional)").fill("Within the guidance.")
    iru.click("button", "Approve the agreement")
    expect(iru.page.locator("#status")).to_have_text("Approved")
    code = iru.page.locator(".govuk-caption-l").inner_text().split(" ")[0]
    assert re.fullmatch(r"ISA-\d{4}", code)
    iru.go("/sharing/guidance/")
    expect(iru.page.get_by_role("heading", level=1)).to_have_text("Sharing guidance")

    # An officer records a person and asks to share them, by reference.
    officer = journey_for()
    sign_in_with_purpose(officer, OFFICER)
    person_path = add_person(officer, unique("Robin Shared"))
    add_item(officer, person_path, source_reference="CAD 9191")
    short_ref = "P-" + person_path.strip("/").split("/")[-1].replace("-", "")[:8].upper()
    officer.go("/sharing/disclosures/")
    officer.click("link", "Ask for a disclosure")
    page = officer.page
    value = page.locator("#id_agreement option", has_text=f"{code}: ").get_attribute("value")
    assert value
    page.get_by_label("Agreement").select_option(value)
    page.get_by_label("People to share, and why each is necessary").fill(f"P-00000000 | {NECESSITY}")
    officer.click("button", "Ask for approval")
    expect(page.locator(".govuk-error-summary")).to_contain_text("P-00000000: no person you may see")
    page.get_by_label("People to share, and why each is necessary").fill(f"{short_ref} | {NECESSITY}")
    officer.click("button", "Ask for approval")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("awaits approval")
    expect(page.locator("#status")).to_have_text("Awaiting approval")
    expect(page.locator("#people")).to_contain_text(short_ref)
    disclosure_path = page.url.removeprefix(officer.server.url)
    reference = page.locator(".govuk-caption-l").inner_text().split(" ")[0]
    assert re.fullmatch(r"D-[0-9A-F]{8}", reference)
    expect(page.get_by_role("button", name="Approve and make the package")).to_have_count(0)

    # The SPOC of the person's BCU approves (a statutory recipient); the officer downloads the package.
    spoc = journey_for()
    sign_in_with_purpose(spoc, SPOC)
    spoc.go(disclosure_path)
    spoc.page.get_by_label("Reasons for approving (optional)").fill("Necessary for the referral panel.")
    spoc.click("button", "Approve and make the package")
    expect(spoc.page.locator("#status")).to_have_text("Disclosed")
    expect(spoc.page.locator("#package")).to_contain_text("Not yet confirmed by the recipient")
    officer.go(disclosure_path)
    with page.expect_download() as caught:
        page.get_by_role("button", name=f"Download the package {reference}.age").click()
    assert caught.value.suggested_filename == f"{reference}.age"
    saved = tmp_path / "package.age"
    caught.value.save_as(saved)
    ciphertext = saved.read_bytes()
    assert ciphertext.startswith(b"age-encryption.org/v1")
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(age_decrypt(ciphertext, identity))).read("disclosure.json"))
    assert manifest["disclosure"] == reference

    # The recipient confirms destruction on the public page, without signing in and without JavaScript.
    recipient_side = journey_for(javascript=False)
    recipient_side.go("/sharing/destroyed/")
    form = recipient_side.page
    form.get_by_label("Disclosure reference").fill(reference)
    form.get_by_label("Destruction code").fill(manifest["destruction"]["code"])
    form.get_by_label("Your name").fill("C. Keeper")
    form.get_by_label("Your role").fill("Records manager")
    recipient_side.click("button", "Confirm destruction")
    expect(form.get_by_role("heading", level=1)).to_have_text("Destruction confirmed")
    officer.go(disclosure_path)
    expect(page.locator("#destroyed")).to_contain_text("Confirmed by C. Keeper, Records manager")


def test_the_public_page_refuses_a_wrong_code_without_saying_whether_the_reference_exists(
    journey_for: JourneyFor,
) -> None:
    recipient_side = journey_for()
    recipient_side.go("/sharing/destroyed/")
    page = recipient_side.page
    recipient_side.click("button", "Confirm destruction")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the disclosure reference.")
    page.get_by_label("Disclosure reference").fill("D-00000000")
    page.get_by_label("Destruction code").fill("NOT-THE-CODE")
    page.get_by_label("Your name").fill("C. Keeper")
    page.get_by_label("Your role").fill("Records manager")
    recipient_side.click("button", "Confirm destruction")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("The disclosure reference or the code is not right")
    expect(page.get_by_label("Your name")).to_have_value("C. Keeper")
