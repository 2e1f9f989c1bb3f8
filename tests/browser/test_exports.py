"""Controlled exports in a real browser: a SPOC exports the matrix, downloads it once and confirms its destruction.

Every page visited is checked with axe (``Journey.check``) and for Content
Security Policy refusals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import SPOC, add_item, add_person, sign_in_with_purpose, unique

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]


def test_a_spoc_exports_the_matrix_downloads_once_and_confirms_destruction(
    journey_for: JourneyFor, tmp_path: Path
) -> None:
    name = unique("Robin Export")
    spoc = journey_for()
    sign_in_with_purpose(spoc, SPOC)
    person_path = add_person(spoc, name)
    add_item(spoc, person_path, source_reference="CAD 8181")
    add_item(spoc, person_path, source_reference="CRIS 8282", criterion="weapon_knife", nature="Assessment")
    spoc.go(person_path)
    spoc.click("button", "Nominate for the matrix")
    spoc.page.get_by_label("Reasons for the nomination").fill("Two independent police sources: violence and a knife.")
    spoc.click("button", "Propose the nomination")

    # The matrix offers an export, keeping its filters; the form asks why, in what form, what and until when.
    spoc.go("/matrix/?status=proposed")
    spoc.click("link", "Export", exact=True)
    page = spoc.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Export the matrix")
    assert "status=proposed" in page.url
    page.get_by_label("Purpose of the export").fill("")
    spoc.click("button", "Create the export")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Declare the purpose of the export.")
    page.get_by_label("Purpose of the export").fill("OP-1234: pack for the weekly tasking meeting")
    spoc.click("button", "Create the export")
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("download it once")
    short_ref = page.locator("#exports tbody tr").first.locator("td").first.inner_text().split()[0]
    assert re.fullmatch(r"X-[0-9A-F]{8}", short_ref)

    # Downloaded once, as an attachment, watermarked.
    with page.expect_download() as caught:
        page.get_by_role("link", name=re.compile(f"^Download {short_ref}")).click()
    saved = tmp_path / "export.csv"
    caught.value.save_as(saved)
    first = saved.read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.startswith(f"CUSTOS EXPORT {short_ref} — demo_bcu_spoc — ")
    assert "OFFICIAL-SENSITIVE" in first
    assert name in saved.read_text(encoding="utf-8-sig")
    spoc.go("/exports/")
    expect(page.get_by_role("link", name=re.compile(f"^Download {short_ref}"))).to_have_count(0)

    # Confirm destruction, with reasons.
    spoc.click("link", f"Confirm destruction of {short_ref}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the export is destroyed")
    spoc.click("button", "Confirm destruction")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say how every copy was destroyed.")
    page.get_by_label("How was every copy destroyed?").fill("Deleted from my downloads folder and the recycle bin.")
    spoc.click("button", "Confirm destruction")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"{short_ref} confirmed")
    expect(page.locator("#exports tbody tr", has_text=short_ref)).to_contain_text("Destroyed")
