"""Reviews in a real browser: a SPOC decides to remove someone, and the dashboard shows the erasure to come.

Every page visited is checked with axe (``Journey.check``) and for
Content Security Policy refusals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.browser.test_register_journeys import SPOC, add_item, add_person, sign_in_with_purpose, unique

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]


def test_a_spoc_decides_to_remove_and_the_dashboard_shows_the_erasure(journey_for: JourneyFor) -> None:
    name = unique("Robin Review")
    spoc = journey_for()
    sign_in_with_purpose(spoc, SPOC)
    person_path = add_person(spoc, name)
    add_item(spoc, person_path, source_reference="CAD 7272")

    # The person page offers a review to the SPOC; opening one puts it in the queue and tells the SPOC.
    spoc.go(person_path)
    spoc.click("button", "Open a review")
    page = spoc.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a review")
    spoc.click("button", "Open the review")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("opened, due by")
    review_path = page.url.removeprefix(spoc.server.url)
    assert re.fullmatch(r"/reviews/[0-9a-f-]{36}/", review_path)
    review_ref = page.locator(".govuk-caption-l").inner_text().split()[1]
    expect(page.get_by_role("link", name=re.compile(r"^Tasks \(\d+\)$"))).to_be_visible()

    # The queue: the review is there, with the person's name; open it.
    spoc.click("link", "Reviews", exact=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    row = page.locator("#queue tr", has_text=name)
    expect(row).to_contain_text(review_ref)
    expect(row).to_contain_text("Opened by hand")
    with page.expect_navigation():
        row.get_by_role("link", name=re.compile(review_ref)).click()
    spoc.check()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review of {name}")
    expect(page.locator("#trigger")).to_contain_text("Opened by hand by demo_bcu_spoc")
    expect(page.locator("#intelligence")).to_contain_text("1BP")

    # Nothing chosen: the error summary says so, and nothing is decided.
    spoc.click("button", "Record my decision")
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose keep, remove or restrict.")
    expect(summary).to_contain_text("Give reasons.")

    # Remove: the page says when the erasure will happen, before the decision is made.
    page.get_by_label("Remove (erase after the grace period)").check()
    erasure_on = dt.date.today() + dt.timedelta(days=14)
    explained = page.locator("#removal-explained")
    expect(explained).to_be_visible()
    expect(explained).to_contain_text(f"erased on {erasure_on.day} {erasure_on:%B %Y}")
    expect(explained).to_contain_text("grace period of 14 days")
    spoc.check()
    page.get_by_label("Reasons for your decision").fill("Recorded in error: the CAD entry names someone else.")
    spoc.click("button", "Record my decision")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Review {review_ref}: removed from the matrix. The records will be erased on"
    )

    # The dashboard: the erasure to come, by review reference only (no name).
    spoc.go("/reviews/overdue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdue reviews and scheduled erasures")
    erasures = page.locator("#erasures")
    expect(erasures).to_contain_text(review_ref)
    expect(erasures).to_contain_text(f"{erasure_on.day} {erasure_on:%b %Y}")
    expect(page.locator('#by-bcu tr[data-bcu="central-east"] [data-count="scheduled"]')).not_to_have_text("0")
    expect(page.locator("main")).not_to_contain_text(name)

    # From there, the review page offers to cancel the erasure in its grace period.
    spoc.click("link", review_ref)
    expect(page.locator("#erasure-due")).to_contain_text("Scheduled for")
    spoc.click("button", "Cancel the erasure")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel the erasure")
    assert len(spoc.checked) >= 10
