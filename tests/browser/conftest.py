"""Browser fixtures: one Debian chromium per test module, driven by Playwright.

Never runs ``playwright install``: the browser is the system's
``/usr/bin/chromium``. Every page a journey visits is checked with axe-core
(``Journey.check``) and must have no violations, and no page may break the
Content Security Policy (the browser's "Refused to …" console messages).

Signing in takes the password and then a code from the demo accounts'
shared authenticator secret (``DEMO_TOTP_SECRET``), computed here as an
authenticator app would. A code is accepted once, so each account's codes
are handed out in increasing time steps (``fresh_code``).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from base64 import b32decode
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import TOTP
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.server import DEMO_PASSWORD, DEMO_TOTP_SECRET, CustosInstance

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
TOTP_STEP = 30
#: The last time step whose code was used, per (server, username): the server refuses a code twice.
_last_step: dict[tuple[str, str], int] = {}


def b32_secret(secret: str) -> bytes:
    cleaned = "".join(secret.split()).upper()
    return b32decode(cleaned + "=" * (-len(cleaned) % 8))


def fresh_code(server: CustosInstance, username: str, secret: str = DEMO_TOTP_SECRET) -> str:
    """A code the server will accept for ``username`` now: this step's or the next, never one used before.

    The server takes codes one step either side of its clock, each once; when
    both the current and the next step are used up this waits for a new step.
    """
    key = (server.url, username)
    while True:
        now = time.time()
        current = int(now // TOTP_STEP)
        step = max(current, _last_step.get(key, -1) + 1)
        if step <= current + 1:
            break
        time.sleep(TOTP_STEP - now % TOTP_STEP + 0.2)
    _last_step[key] = step
    generator = TOTP(b32_secret(secret), step=TOTP_STEP, t0=0, digits=6)
    generator.time = step * TOTP_STEP
    return f"{generator.token():06d}"


def csp_listener(violations: list[str]) -> Callable[[ConsoleMessage], None]:
    """Collects the browser's Content Security Policy refusals from the console."""

    def listen(message: ConsoleMessage) -> None:
        if "Refused to" in message.text or "Content Security Policy" in message.text:
            violations.append(message.text)

    return listen


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium for the whole module."""
    if shutil.which(CHROMIUM) is None:  # pragma: no cover - the machine provides it
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@dataclass
class Journey:
    """A signed-in (or not yet signed-in) browser session against the test server.

    ``check()`` runs axe on the current page; ``go``, ``click`` and ``submit``
    call it after every navigation, so every page visited is checked.
    Axe needs JavaScript: in a context without it, the page is checked by
    loading the same address in a JavaScript-enabled context with the same
    cookies.
    """

    server: CustosInstance
    browser: Browser
    axe: Axe
    context: BrowserContext
    page: Page
    javascript: bool = True
    checked: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.server.url + path

    def check(self) -> None:
        assert not self.script_errors, f"JavaScript errors on {self.page.url}: {self.script_errors}"
        assert not self.csp_violations, f"CSP violations on {self.page.url}: {self.csp_violations}"
        if self.javascript:
            self._axe(self.page)
        else:
            twin = self.browser.new_context(storage_state=self.context.storage_state())
            try:
                page = twin.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.on("console", csp_listener(self.csp_violations))
                page.goto(self.page.url)
                self._axe(page)
            finally:
                twin.close()
        assert not self.csp_violations, f"CSP violations on {self.page.url}: {self.csp_violations}"
        self.checked.append(self.page.url)

    def _axe(self, page: Page) -> None:
        if folder := os.environ.get("CUSTOS_SCREENSHOTS"):  # for looking at the pages by eye
            name = re.sub(r"[^a-z0-9]+", "-", page.url.removeprefix(self.server.url).lower()).strip("-") or "home"
            page.screenshot(path=f"{folder}/{len(self.checked):02d}-{name}.png", full_page=True)
        results = self.axe.run(page)
        assert results.violations_count == 0, f"axe on {page.url}:\n{results.generate_report()}"

    def go(self, path: str) -> Page:
        self.page.goto(self.url(path))
        self.check()
        return self.page

    def click(self, role: str, name: str, *, exact: bool = False) -> Page:
        """Follow a link or press a button by its accessible role and name, then check the page."""
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name, exact=exact).click()  # type: ignore[arg-type]
        self.check()
        return self.page

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> Page:
        """Password, then a code from the account's authenticator (the demo accounts' shared secret)."""
        self.sign_in_password(username, password)
        assert "/account/mfa/verify/" in self.page.url, f"expected the code page, got {self.page.url}"
        return self.enter_code(fresh_code(self.server, username))

    def sign_in_password(self, username: str, password: str = DEMO_PASSWORD) -> Page:
        self.go("/sign-in/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        return self.click("button", "Sign in")

    def enter_code(self, code: str, *, button: str = "Continue") -> Page:
        self.page.get_by_label("Code from your authenticator app").fill(code)
        return self.click("button", button)


@pytest.fixture
def journey_for(server: CustosInstance, browser: Browser, axe: Axe) -> Iterator[Callable[..., Journey]]:
    """Makes journeys (each its own browser context, so its own cookies); closes them afterwards."""
    contexts: list[BrowserContext] = []

    def make(*, javascript: bool = True) -> Journey:
        context = browser.new_context(java_script_enabled=javascript, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        journey = Journey(server=server, browser=browser, axe=axe, context=context, page=page, javascript=javascript)
        page.on("pageerror", lambda error: journey.script_errors.append(str(error)))
        page.on("console", csp_listener(journey.csp_violations))
        return journey

    yield make
    for context in contexts:
        context.close()
