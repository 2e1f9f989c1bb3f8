"""API tokens: stored only as digests, shown once, revocable from the account page and the command line."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from custos.accounts.models import ApiToken, User
from custos.accounts.services import api_token_issue, api_token_revoke
from custos.audit.models import AuditEvent, Verb
from custos.audit.services import Actor
from custos.crypto.tokens import TOKEN_PREFIX, token_digest
from tests.mfa import mfa_verified

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/people/"


def _api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_CUSTOS_PURPOSE="OP-TOKENS: token tests")
    return client


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# The service -------------------------------------------------------------------------------------------------------


def test_token_is_stored_only_as_a_keyed_digest(officer_a: User) -> None:
    row, token = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="Nightly report")
    stored = ApiToken.objects.filter(pk=row.pk).values().get()
    assert all(token not in str(value) for value in stored.values())
    assert all(token[len(TOKEN_PREFIX) + 6 :] not in str(value) for value in stored.values())
    assert stored["digest"] == token_digest(token)
    assert len(stored["digest"]) == 64


def test_token_has_a_recognisable_prefix(officer_a: User) -> None:
    row, token = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="")
    assert token.startswith("cst_")
    assert len(token) > 40
    assert row.prefix == token[:10]
    assert row.label == "API token"
    assert str(row) == f"{row.prefix}… (API token)"


def test_every_token_is_different(officer_a: User) -> None:
    tokens = {api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")[1] for _ in range(5)}
    assert len(tokens) == 5


def test_issuing_a_token_is_audited(officer_a: User) -> None:
    row, _ = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")
    event = AuditEvent.objects.get(verb=Verb.API_TOKEN_ISSUED)
    assert event.object_ref == f"api_token:{row.pk}"
    assert event.targets == [f"user:{officer_a.pk}"]
    assert event.actor_username == "officer_a"


def test_nobody_issues_a_token_for_someone_else(officer_a: User, sysadmin: User) -> None:
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=sysadmin, owner=officer_a, label="t")
    assert not ApiToken.objects.exists()


def test_an_account_that_cannot_use_the_service_gets_no_token(officer_a: User) -> None:
    officer_a.is_active = False
    officer_a.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=Actor.system("test"), owner=officer_a, label="t")


def test_token_authenticates_and_records_its_last_use(officer_a: User) -> None:
    row, token = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")
    assert row.last_used_at is None
    assert _api(token).get(PEOPLE).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_revoked_token_stops_working_at_once(officer_a: User) -> None:
    row, token = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")
    client = _api(token)
    assert client.get(PEOPLE).status_code == 200
    api_token_revoke(actor=officer_a, token=row)
    assert client.get(PEOPLE).status_code == 401
    assert not row.is_active


def test_revocation_is_idempotent_and_audited_once(officer_a: User) -> None:
    row, _ = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")
    api_token_revoke(actor=officer_a, token=row)
    first = row.revoked_at
    api_token_revoke(actor=officer_a, token=row)
    assert row.revoked_at == first
    assert AuditEvent.objects.filter(verb=Verb.API_TOKEN_REVOKED).count() == 1


def test_only_the_owner_or_a_sysadmin_revokes(officer_a: User, officer_b: User, sysadmin: User) -> None:
    row, _ = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=officer_b, token=row)
    assert row.is_active
    api_token_revoke(actor=sysadmin, token=row)
    assert not row.is_active


# The command -------------------------------------------------------------------------------------------------------


def test_command_issues_a_token_and_prints_it_once(officer_a: User) -> None:
    out, err = _run("officer_a", "--label", "Nightly export")
    token = out.strip()
    assert token.startswith(TOKEN_PREFIX)
    row = ApiToken.objects.get(user=officer_a)
    assert row.label == "Nightly export"
    assert row.digest == token_digest(token)
    assert row.prefix in err
    assert token not in err
    assert _api(token).get(PEOPLE).status_code == 200
    event = AuditEvent.objects.get(verb=Verb.API_TOKEN_ISSUED)
    assert event.actor_username == "system:api_token"
    assert event.targets == [f"user:{officer_a.pk}"]


def test_command_lists_tokens_without_secrets(officer_a: User) -> None:
    first, _ = _run("officer_a", "--label", "Old script")
    second, _ = _run("officer_a", "--label", "New script")
    _api(second.strip()).get(PEOPLE)
    api_token_revoke(actor=officer_a, token=ApiToken.objects.get(label="Old script"))
    out, _ = _run("officer_a", "--list")
    lines = out.splitlines()
    assert lines[0].split() == ["PREFIX", "LABEL", "CREATED", "LAST", "USED", "STATUS"]
    new, old = lines[1], lines[2]
    assert "New script" in new
    assert new.rstrip().endswith("active")
    assert "never" not in new
    assert "Old script" in old
    assert "never" in old
    assert "revoked" in old
    for token in (first.strip(), second.strip()):
        assert token[:10] in out
        assert token not in out
    for row in ApiToken.objects.all():
        assert row.digest not in out


def test_command_lists_nothing_for_a_user_without_tokens(officer_a: User) -> None:
    out, _ = _run("officer_a", "--list")
    assert out.strip() == "officer_a has no API tokens."


def test_command_revokes_by_prefix(officer_a: User) -> None:
    token = _run("officer_a")[0].strip()
    keep = _run("officer_a")[0].strip()
    out, _ = _run("officer_a", "--revoke", token[:10] + "…")
    assert "Revoked" in out
    assert _api(token).get(PEOPLE).status_code == 401
    assert _api(keep).get(PEOPLE).status_code == 200
    assert AuditEvent.objects.get(verb=Verb.API_TOKEN_REVOKED).actor_username == "system:api_token"
    again, _ = _run("officer_a", "--revoke", token[:10])
    assert "already revoked" in again
    assert AuditEvent.objects.filter(verb=Verb.API_TOKEN_REVOKED).count() == 1


def test_command_revokes_only_the_users_own_tokens(officer_a: User, officer_b: User) -> None:
    token = _run("officer_a")[0].strip()
    with pytest.raises(CommandError, match="officer_b has no token starting"):
        _run("officer_b", "--revoke", token[:10])
    assert _api(token).get(PEOPLE).status_code == 200


@pytest.mark.parametrize("prefix", ["cst_", "cst_a", ""])
def test_command_refuses_a_prefix_too_short_to_be_safe(officer_a: User, prefix: str) -> None:
    _run("officer_a")
    with pytest.raises(CommandError, match="at least"):
        _run("officer_a", "--revoke", prefix or " ")
    assert ApiToken.objects.get(user=officer_a).is_active


def test_command_refuses_an_unknown_user(reference_data: None) -> None:
    with pytest.raises(CommandError, match="no user 'nobody'"):
        _run("nobody")
    assert not ApiToken.objects.exists()


def test_command_refuses_an_account_that_cannot_use_the_service(officer_a: User) -> None:
    officer_a.is_active = False
    officer_a.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="cannot issue a token for officer_a"):
        _run("officer_a")


def test_command_takes_one_action_at_a_time(officer_a: User) -> None:
    with pytest.raises(CommandError):
        _run("officer_a", "--list", "--revoke", "cst_abcdef")


# The account page ------------------------------------------------------------------------------------------------


def test_account_page_needs_sign_in(reference_data: None) -> None:
    response = Client().get(reverse("web:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_account_page_issues_a_token_shown_once(officer_a: User, client_for: Callable[[User], Client]) -> None:
    client = client_for(officer_a)
    assert "You have no API tokens" in client.get(reverse("web:profile")).content.decode()
    response = client.post(reverse("web:profile"), {"label": "Analysis notebook"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    row = ApiToken.objects.get(user=officer_a)
    assert row.label == "Analysis notebook"
    page = response.content.decode()
    token = page.split('<code id="new-token">', 1)[1].split("</code>", 1)[0]
    assert token.startswith(TOKEN_PREFIX)
    assert row.digest == token_digest(token)
    assert _api(token).get(PEOPLE).status_code == 200
    later = client.get(reverse("web:profile")).content.decode()
    assert token not in later
    assert row.prefix in later


def test_account_page_needs_a_label(officer_a: User, client_for: Callable[[User], Client]) -> None:
    response = client_for(officer_a).post(reverse("web:profile"), {"label": ""})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_account_page_revokes_a_token(officer_a: User, client_for: Callable[[User], Client]) -> None:
    row, token = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")
    client = client_for(officer_a)
    response = client.post(reverse("web:token_revoke", args=[row.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:profile")
    row.refresh_from_db()
    assert not row.is_active
    assert _api(token).get(PEOPLE).status_code == 401
    assert "Revoked" in client.get(reverse("web:profile")).content.decode()


def test_account_page_cannot_revoke_someone_elses_token(
    officer_a: User, officer_b: User, client_for: Callable[[User], Client]
) -> None:
    row, token = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")
    response = client_for(officer_b).post(reverse("web:token_revoke", args=[row.pk]))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.is_active
    assert _api(token).get(PEOPLE).status_code == 200


def test_account_page_revokes_only_by_post(officer_a: User, client_for: Callable[[User], Client]) -> None:
    row, _ = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="t")
    assert client_for(officer_a).get(reverse("web:token_revoke", args=[row.pk])).status_code == 405
    row.refresh_from_db()
    assert row.is_active
