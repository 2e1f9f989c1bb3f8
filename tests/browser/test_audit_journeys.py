"""An auditor searches the s.62 log in a real browser, each page checked with axe; never sees a name.

The people come from ``custos seed_demo`` on the test server, so this
journey needs no other journey's data; their names are read back with
``custos shell`` only to prove the auditor's pages never show them.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey
from tests.server import CustosInstance

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]
AUDITOR = "demo_auditor"
FIRST_PERSON = (
    "import json; from custos.register.models import Person; p = Person.objects.order_by('created_at', 'pk').first(); "
    "print(json.dumps([p.short_ref, p.ref, p.full_name, list(p.aliases)]))"
)


def test_an_auditor_searches_the_log_by_person_and_action_and_sees_no_names(
    server: CustosInstance, journey_for: JourneyFor
) -> None:
    server.custos("seed_demo", "--people", "3", "--seed", "11", "--no-progress")
    short_ref, ref, name, aliases = json.loads(
        server.custos("shell", "-v", "0", "-c", FIRST_PERSON).stdout.strip().splitlines()[-1]
    )
    journey = journey_for()
    journey.sign_in(AUDITOR)
    page = journey.page
    if not re.search(r"/audit/$", page.url):  # wherever signing in led, the header leads to the log
        journey.click("link", "Audit log")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")

    page.get_by_label("Person").fill(short_ref)
    page.get_by_label("Action").select_option("person.created")
    journey.click("button", "Search the log")
    expect(page).to_have_url(re.compile(r"person=P-"))
    table = page.locator("#audit-events")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Person recorded")
    expect(table).to_contain_text("system:seed_demo")
    expect(table).to_contain_text(short_ref)
    for needle in [name, *name.split(), *aliases]:
        assert needle not in page.content(), needle

    # Every event about the person, from the reference in the table.
    journey.click("link", f"{short_ref} (show this person's events)")
    expect(page.locator("#audit-events")).to_contain_text("Intelligence added")
    expect(page.get_by_label("Person")).to_have_value(ref)
    for needle in [name, *name.split(), *aliases]:
        assert needle not in page.content(), needle

    # The export: events and a signed checkpoint, in one file.
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Export these events")).click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert {"events.csv", "checkpoint.json", "README.txt"} <= set(archive.namelist())
    assert ref in archive.read("events.csv").decode()
    assert name not in archive.read("events.csv").decode()

    journey.click("link", "See the suspicious-patterns report")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suspicious patterns")
    expect(page.locator("#patterns-period")).to_contain_text("consultation")

    # A wrong reference is refused with a message, and the page stays accessible.
    journey.go("/audit/?person=Jordan+Example")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a person reference like P-1A2B3C4D")
