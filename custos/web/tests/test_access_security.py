"""Access security through the pages: MFA before anything, lockout, idle expiry, CSP and headers."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from custos.accounts.mfa import IDP_MFA_SESSION_KEY
from custos.accounts.models import ApiToken, TotpDevice, User
from custos.audit.models import AuditEvent, Verb
from tests.mfa import authenticator_for, code_for

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # make_user's
NOON = dt.datetime(2026, 3, 2, 12, 0, 0, tzinfo=dt.UTC)
ClientFor = Callable[[User], Client]


def _password_only(user: User) -> Client:
    """Signed in with the password, second factor not yet given."""
    client = Client()
    client.force_login(user)
    return client


def _sign_in(client: Client, username: str, password: str = PASSWORD) -> object:
    return client.post("/sign-in/", {"username": username, "password": password})


def _past_mfa(response: object) -> bool:
    """The request got through sign-in and the second factor (it may still be asked for a purpose)."""
    status = response.status_code  # type: ignore[attr-defined]
    if status == 200:
        return True
    return status == 302 and not response["Location"].startswith(("/account/mfa/", "/sign-in/"))  # type: ignore[index]


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# MFA is required before anything but sign-in, sign-out and the MFA pages ---------------------------------------------


@pytest.mark.parametrize("path", ["/", "/matrix/", "/people/", "/account/"])
def test_a_user_without_an_authenticator_is_sent_to_set_one_up(officer_a: User, path: str) -> None:
    response = _password_only(officer_a).get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/account/mfa/setup/?next={path}"


@pytest.mark.parametrize("path", ["/matrix/", "/people/", "/account/"])
def test_a_user_with_an_authenticator_is_asked_for_a_code(officer_a: User, path: str) -> None:
    authenticator_for(officer_a)
    response = _password_only(officer_a).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/mfa/verify/?next=")


def test_every_role_needs_the_second_factor(make_user: Callable[..., User], bcu_a: object) -> None:
    from custos.accounts.models import BCU_SCOPED_ROLES, Role

    for role in Role:
        user = make_user(f"u_{role.value}", role, bcu_a if role in BCU_SCOPED_ROLES else None)
        response = _password_only(user).get("/account/")
        assert response.status_code == 302, role
        assert response["Location"].startswith("/account/mfa/setup/"), role


def test_no_personal_data_before_the_second_factor(officer_a: User) -> None:
    client = _password_only(officer_a)
    page = client.get("/account/mfa/setup/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'href="/matrix/"' not in body  # no navigation until verified
    assert not AuditEvent.objects.filter(verb__in=[Verb.MATRIX_LISTED, Verb.PEOPLE_LISTED]).exists()


def test_tokens_cannot_be_issued_without_the_second_factor(officer_a: User) -> None:
    authenticator_for(officer_a)
    response = _password_only(officer_a).post("/account/", {"label": "script"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/mfa/verify/")
    assert not ApiToken.objects.exists()


def test_the_token_service_refuses_an_unverified_user(officer_a: User) -> None:
    from django.core.exceptions import PermissionDenied

    from custos.accounts.services import api_token_issue

    with pytest.raises(PermissionDenied, match="authenticator"):
        api_token_issue(actor=officer_a, owner=officer_a, label="t")


def test_a_verified_user_issues_a_token(officer_a: User, client_for: ClientFor) -> None:
    response = client_for(officer_a).post("/account/", {"label": "script"})
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=officer_a).count() == 1


def test_the_api_still_answers_401_not_a_redirect(officer_a: User) -> None:
    response = _password_only(officer_a).get("/api/v1/people/")
    assert response.status_code == 401


# The pages themselves ---------------------------------------------------------------------------------------------


def test_enrolment_through_the_pages(officer_a: User) -> None:
    client = Client()
    with time_machine.travel(NOON, tick=False):
        response = _sign_in(client, "officer_a")
        assert response.status_code == 302
        response = client.get(response["Location"])  # home → setup
        assert response["Location"].startswith("/account/mfa/setup/")
        page = client.get("/account/mfa/setup/")
        body = page.content.decode()
        assert '<svg width="' in body
        assert 'class="custos-qr"' in body
        secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', body)
        assert secret is not None
        key = TotpDevice.objects.get(user=officer_a).bin_key
        from custos.accounts.mfa import parse_base32_secret

        assert parse_base32_secret(secret.group(1)) == key
        assert page["Cache-Control"] == "no-store"
        response = client.post("/account/mfa/setup/", {"code": code_for(key), "next": "/people/"})
        assert response.status_code == 302
        assert response["Location"] == "/people/"
        assert _past_mfa(client.get("/people/"))
        assert DEVICE_ID_SESSION_KEY in client.session
    assert AuditEvent.objects.filter(verb=Verb.MFA_ENROLLED).count() == 1


def test_verification_through_the_pages_with_a_wrong_code_first(officer_a: User) -> None:
    authenticator_for(officer_a)
    client = Client()
    with time_machine.travel(NOON, tick=False) as clock:
        _sign_in(client, "officer_a")
        response = client.post("/account/mfa/verify/", {"code": _wrong(code_for()), "next": "/matrix/"})
        assert response.status_code == 200
        assert "The code is not right" in response.content.decode()
        response = client.post("/account/mfa/verify/", {"code": code_for(), "next": "/matrix/"})
        assert "Too many wrong codes. Wait until" in response.content.decode()
        clock.shift(3)
        response = client.post("/account/mfa/verify/", {"code": code_for(), "next": "/matrix/"})
        assert response.status_code == 302
        assert response["Location"] == "/matrix/"
        assert _past_mfa(client.get("/matrix/"))
    assert AuditEvent.objects.filter(verb=Verb.MFA_VERIFIED).count() == 1
    assert AuditEvent.objects.filter(verb=Verb.MFA_FAILED).count() == 2


def test_a_code_that_is_not_six_digits_is_a_form_error(officer_a: User) -> None:
    authenticator_for(officer_a)
    client = _password_only(officer_a)
    response = client.post("/account/mfa/verify/", {"code": "12ab"})
    assert "Enter the 6-digit code" in response.content.decode()
    assert not AuditEvent.objects.filter(verb=Verb.MFA_FAILED).exists()


def test_the_next_page_must_be_on_this_site(officer_a: User) -> None:
    authenticator_for(officer_a)
    client = _password_only(officer_a)
    with time_machine.travel(NOON, tick=False):
        response = client.post("/account/mfa/verify/", {"code": code_for(), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_set_up_is_refused_once_there_is_an_authenticator(officer_a: User) -> None:
    authenticator_for(officer_a)
    response = _password_only(officer_a).get("/account/mfa/setup/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/mfa/verify/")
    assert TotpDevice.objects.filter(user=officer_a).count() == 1


def test_an_unverified_user_can_still_sign_out(officer_a: User) -> None:
    client = _password_only(officer_a)
    response = client.post("/sign-out/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_trusted_identity_provider_stands_in_for_totp_only_when_trusted(officer_a: User, settings: Any) -> None:
    client = _password_only(officer_a)
    session = client.session
    session[IDP_MFA_SESSION_KEY] = officer_a.pk
    session.save()
    settings.CUSTOS_OIDC_TRUST_MFA = False
    assert client.get("/account/").status_code == 302
    settings.CUSTOS_OIDC_TRUST_MFA = True
    assert client.get("/account/").status_code == 200


# Lockout ----------------------------------------------------------------------------------------------------------


def test_lockout_after_n_failed_sign_ins(officer_a: User) -> None:
    client = Client()
    limit = settings.CUSTOS_LOCKOUT_ATTEMPTS
    with time_machine.travel(NOON, tick=False) as clock:
        for _ in range(limit - 1):
            response = _sign_in(client, "officer_a", "wrong password")
            assert response.status_code == 200
        response = _sign_in(client, "officer_a", "wrong password")
        assert response.status_code == 429
        body = response.content.decode()
        # 12:00 UTC on 2 March is 12:00 in London; the lock ends 30 minutes after the last attempt.
        assert "Too many failed attempts. Try again after 12:30 or ask your BCU SPOC." in body
        assert "govuk-error-summary" in body
        # The right password does not help while locked.
        clock.shift(60)
        response = _sign_in(client, "officer_a")
        assert response.status_code == 429
        assert "Try again after 12:31" in response.content.decode()
        assert "_auth_user_id" not in client.session
        assert AuditEvent.objects.filter(verb=Verb.USER_LOCKED_OUT).count() == 2
        # After the cool-off the right password works again.
        clock.shift(settings.CUSTOS_LOCKOUT_SECONDS + 1)
        response = _sign_in(client, "officer_a")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(officer_a.pk)


def test_lockout_is_per_username_and_address(officer_a: User, officer_b: User) -> None:
    client = Client()
    for _ in range(settings.CUSTOS_LOCKOUT_ATTEMPTS):
        _sign_in(client, "officer_a", "wrong password")
    assert _sign_in(client, "officer_b").status_code == 302  # someone else, same address
    other_address = Client(REMOTE_ADDR="10.1.2.3")
    assert _sign_in(other_address, "officer_a").status_code == 302  # same user, elsewhere


def test_wrong_codes_count_towards_the_lockout(officer_a: User) -> None:
    authenticator_for(officer_a)
    client = Client()
    with time_machine.travel(NOON, tick=False) as clock:
        assert _sign_in(client, "officer_a").status_code == 302
        response = None
        for _ in range(settings.CUSTOS_LOCKOUT_ATTEMPTS):
            response = client.post("/account/mfa/verify/", {"code": _wrong(code_for())})
            clock.shift(60)  # past the per-device back-off
        assert response is not None
        assert response.status_code == 429
        assert "Too many failed attempts" in response.content.decode()
        assert "_auth_user_id" not in client.session  # signed out
        assert _sign_in(client, "officer_a").status_code == 429


def test_passing_the_second_factor_clears_earlier_failures(officer_a: User) -> None:
    authenticator_for(officer_a)
    client = Client()
    limit = settings.CUSTOS_LOCKOUT_ATTEMPTS
    with time_machine.travel(NOON, tick=False) as clock:
        for _ in range(limit - 1):
            _sign_in(client, "officer_a", "wrong password")
        _sign_in(client, "officer_a")
        assert client.post("/account/mfa/verify/", {"code": code_for()}).status_code == 302
        client.post("/sign-out/")
        clock.shift(60)
        for _ in range(limit - 1):
            assert _sign_in(client, "officer_a", "wrong password").status_code == 200


# Idle sessions ----------------------------------------------------------------------------------------------------


def test_an_idle_session_ends_and_the_sign_in_page_says_why(officer_a: User, client_for: ClientFor) -> None:
    idle = settings.CUSTOS_SESSION_IDLE_SECONDS
    with time_machine.travel(NOON, tick=False) as clock:
        client = client_for(officer_a)
        assert client.get("/account/").status_code == 200
        clock.shift(idle - 60)
        assert client.get("/account/").status_code == 200  # activity keeps it alive
        clock.shift(idle - 60)
        assert client.get("/account/").status_code == 200
        clock.shift(idle + 1)
        response = client.get("/account/")
        assert response.status_code == 302
        assert response["Location"] == "/sign-in/?next=/account/"
        page = client.get(response["Location"])
    assert "You were signed out after 15 minutes without activity." in page.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(verb=Verb.USER_SESSION_EXPIRED).object_ref == f"user:{officer_a.pk}"


def test_a_busy_session_still_ends_at_its_absolute_lifetime(
    officer_a: User, client_for: ClientFor, settings: Any
) -> None:
    settings.SESSION_COOKIE_AGE = 3600
    with time_machine.travel(NOON, tick=False) as clock:
        client = client_for(officer_a)
        for _ in range(4):  # 56 minutes of activity, never idle
            clock.shift(14 * 60)
            assert client.get("/account/").status_code == 200
        clock.shift(5 * 60)
        response = client.get("/account/")
        assert response.status_code == 302
        page = client.get(response["Location"])
    assert "a session lasts at most 1 hour." in page.content.decode()
    event = AuditEvent.objects.get(verb=Verb.USER_SESSION_EXPIRED)
    assert event.detail == {"session_seconds": 61 * 60}


# Headers ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_csp_is_strict(officer_a: User, client_for: ClientFor, signed_in: bool) -> None:
    client = client_for(officer_a) if signed_in else Client()
    response = client.get("/account/" if signed_in else "/sign-in/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "data:" not in policy
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_security_headers(officer_a: User, client_for: ClientFor) -> None:
    for response in (Client().get("/sign-in/"), client_for(officer_a).get("/account/")):
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["Cross-Origin-Resource-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]
    signed_in = client_for(officer_a).get("/account/")
    assert "no-store" in signed_in["Cache-Control"]


def test_no_template_has_inline_script_or_style() -> None:
    """The CSP forbids inline code; this keeps every template within it."""
    root = Path(settings.BASE_DIR) / "custos"
    templates = list(root.glob("*/templates/**/*.html"))
    assert len(templates) > 10
    for template in templates:
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle\s*=", text), template
        assert "<style" not in text, template
        assert not re.search(r"\son[a-z]+\s*=", text), template  # onclick= and friends
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"{template}: inline script {tag}"
        assert "javascript:" not in text, template


# Settings that depend on the deployment ---------------------------------------------------------------------------


def _settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTOS_OIDC", "CUSTOS_HTTPS"))}
    return subprocess.run(
        [sys.executable, "-c", f"import custos.settings as s; print({expression})"],
        env={**clean, "CUSTOS_SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_https_turns_on_secure_cookies_redirects_and_hsts() -> None:
    expression = "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE"
    assert _settings_in_subprocess({"CUSTOS_HTTPS": "1"}, expression).stdout.strip() == "True 31536000 True True"
    assert _settings_in_subprocess({}, expression).stdout.strip() == "False 0 False False"


def test_oidc_is_off_by_default_and_refuses_half_a_configuration() -> None:
    expression = "s.CUSTOS_OIDC_ENABLED, s.AUTHENTICATION_BACKENDS[-1]"
    off = _settings_in_subprocess({}, expression)
    assert off.stdout.strip() == "False django.contrib.auth.backends.ModelBackend"
    half = _settings_in_subprocess({"CUSTOS_OIDC_ENABLED": "1", "CUSTOS_OIDC_CLIENT_ID": "custos"}, expression)
    assert half.returncode != 0
    assert "CUSTOS_OIDC_ENABLED=1 needs CUSTOS_OIDC_CLIENT_SECRET" in half.stderr
    full = {
        "CUSTOS_OIDC_ENABLED": "1",
        "CUSTOS_OIDC_CLIENT_ID": "custos",
        "CUSTOS_OIDC_CLIENT_SECRET": "not-a-real-secret",
        "CUSTOS_OIDC_AUTHORIZATION_ENDPOINT": "https://idp.example/authorize",
        "CUSTOS_OIDC_TOKEN_ENDPOINT": "https://idp.example/token",
        "CUSTOS_OIDC_USERINFO_ENDPOINT": "https://idp.example/userinfo",
        "CUSTOS_OIDC_JWKS_ENDPOINT": "https://idp.example/jwks",
    }
    on = _settings_in_subprocess(full, expression)
    assert on.stdout.strip() == "True custos.accounts.oidc.CustosOidcBackend", on.stderr
