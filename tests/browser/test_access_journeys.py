"""Signing in with a second factor, in a real browser: enrolment, verification, wrong codes, lockout.

Every page is checked with axe and must raise no Content Security Policy
violation (``Journey.check``). Each test uses its own demo account, so the
lockout of one does not touch another.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Journey, fresh_code
from tests.server import CustosInstance

pytestmark = pytest.mark.browser

JourneyFor = Callable[..., Journey]
PAST_THE_SECOND_FACTOR = re.compile(r"/(matrix|purpose|account|users|audit|training)/")


def test_enrolment_then_verification(journey_for: JourneyFor, server: CustosInstance) -> None:
    server.custos("mfa_reset", "demo_analyst")  # as if the analyst had lost their phone
    journey = journey_for()
    page = journey.sign_in_password("demo_analyst")
    expect(page).to_have_url(re.compile(r"/account/mfa/setup/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.locator("#qr-code svg.custos-qr")).to_have_count(1)
    # Nothing else is offered before the second factor.
    expect(page.get_by_role("link", name="Matrix")).to_have_count(0)
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", secret.strip()), secret

    journey.enter_code("12345", button="Confirm and continue")  # too short: a form error, not a wrong code
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the 6-digit code")
    journey.enter_code(fresh_code(server, "demo_analyst", secret), button="Confirm and continue")
    expect(page).to_have_url(PAST_THE_SECOND_FACTOR)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("authenticator app is set up")
    journey.go("/account/")
    expect(page.locator("#mfa-status")).to_contain_text("You sign in with a code from your authenticator app")
    journey.click("button", "Sign out")

    # Next time: password, then a code from the app just set up.
    journey.sign_in_password("demo_analyst")
    expect(page).to_have_url(re.compile(r"/account/mfa/verify/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    journey.enter_code(fresh_code(server, "demo_analyst", secret))
    expect(page).to_have_url(PAST_THE_SECOND_FACTOR)


def test_a_wrong_code_is_refused_with_a_clear_message(journey_for: JourneyFor, server: CustosInstance) -> None:
    journey = journey_for()
    page = journey.sign_in_password("demo_iru")
    code = fresh_code(server, "demo_iru")
    journey.enter_code("000000" if code != "000000" else "111111")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    time.sleep(1.5)  # past the back-off after one wrong code (its message is tested without a browser)
    journey.enter_code(code)
    expect(page).to_have_url(PAST_THE_SECOND_FACTOR)


def test_lockout_after_failed_sign_ins(journey_for: JourneyFor) -> None:
    journey = journey_for()
    for _ in range(5):
        page = journey.sign_in_password("demo_dpo", "not the password")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        re.compile(r"Too many failed attempts\. Try again after \d\d:\d\d or ask your BCU SPOC\.")
    )
    page = journey.sign_in_password("demo_dpo")  # the right password does not help now
    expect(page.locator(".govuk-error-summary")).to_contain_text("Too many failed attempts")
    expect(page).to_have_url(re.compile(r"/sign-in/$"))


def test_a_token_is_issued_after_the_second_factor(journey_for: JourneyFor) -> None:
    journey = journey_for()
    journey.sign_in("demo_sysadmin")
    journey.go("/account/")
    page = journey.page
    page.get_by_label("What the token is for").fill("Nightly report script")
    journey.click("button", "Issue a token")
    expect(page.locator("#new-token")).to_contain_text("cst_")
