"""Access governance: the training gate, recertification, dormancy, movers and leavers, declared purpose.

Annex 1 terms 8, 9 and 11 of the enforcement notice, and s.62's purpose on
every consultation. Every refusal is proved over HTTP or through the service
that every interface uses.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from custos.accounts.models import Attestation, Course, Role, Suspension, TrainingRecord, User
from custos.accounts.selectors import CourseState, attestations_this_quarter, training_status_of
from custos.accounts.services import (
    access_sweep,
    api_token_issue,
    attestation_record,
    training_record,
    user_reinstate,
    user_suspend,
)
from custos.accounts.tests.helpers import TEST_PURPOSE, with_purpose
from custos.audit.models import AuditEvent, Verb
from custos.audit.services import Actor
from custos.register.models import BCU
from custos.register.tests.factories import a_person
from tests.mfa import mfa_verified

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
MakeUser = Callable[..., User]
SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery staple"
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _api(user: User, purpose: str = "OP-GOV: governance tests") -> APIClient:
    _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.defaults["HTTP_X_CUSTOS_PURPOSE"] = purpose
    return client


def _events(verb: Verb) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("seq"))


def _record(user: User, course: Course, completed_on: dt.date, days: int = 365) -> TrainingRecord:
    return TrainingRecord.objects.create(
        user=user,
        course=course,
        completed_on=completed_on,
        expires_on=completed_on + dt.timedelta(days=days),
        evidence_reference="LMS 1",
    )


# The training gate (Annex 1 terms 8 and 9) ----------------------------------------------------------------------------


def test_an_untrained_user_signs_in_but_sees_no_personal_data_and_is_told_why(
    make_user: MakeUser, bcu_a: BCU, spoc_a: User, client_for: ClientFor
) -> None:
    spoc_a.first_name, spoc_a.last_name = "Sam", "Spoc"
    spoc_a.save()
    untrained = make_user("new_officer", Role.OFFICER, bcu_a, trained=False)
    client = with_purpose(client_for(untrained))
    assert client.get(reverse("web:home"))["Location"] == reverse("web:my_training")
    for name in ("web:matrix", "web:people", "web:person_add"):
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        page = response.content.decode()
        assert "You cannot see personal data yet" in page
        assert "Purpose-specific Matrix training is not recorded" in page
        assert "Mandatory data protection training is not recorded" in page
        assert "your BCU&#x27;s single point of contact" in page
        assert "Sam Spoc" in page
    assert "Matrix" not in client.get(reverse("web:my_training")).content.decode().split("<main")[0]
    assert not AuditEvent.objects.filter(verb__in=[Verb.MATRIX_LISTED, Verb.PEOPLE_LISTED]).exists()


def test_one_course_missing_is_named_and_the_other_shown_current(
    make_user: MakeUser, bcu_a: BCU, officer_a: User, client_for: ClientFor
) -> None:
    half = make_user("half_trained", Role.OFFICER, bcu_a, trained=False)
    _record(half, Course.DATA_PROTECTION, timezone.localdate() - dt.timedelta(days=10))
    person = a_person(officer_a)
    page = with_purpose(client_for(half)).get(reverse("web:person", args=[person.pk]))
    assert page.status_code == 403
    text = page.content.decode()
    assert "Purpose-specific Matrix training is not recorded" in text
    assert "Mandatory data protection training is not recorded" not in text
    assert "Current" in text


def test_the_api_refuses_an_untrained_user_with_the_reason(make_user: MakeUser, bcu_a: BCU, officer_a: User) -> None:
    untrained = make_user("new_officer", Role.OFFICER, bcu_a, trained=False)
    person = a_person(officer_a)
    client = _api(untrained)
    for url in (
        reverse("api:person-list"),
        reverse("api:person-detail", args=[person.pk]),
        reverse("api:nominal-list"),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        body = response.json()
        assert "training" in body["detail"]
        assert "Purpose-specific Matrix training: no record" in body["detail"]
        assert {row["course"] for row in body["training"]} == {"matrix_purpose", "data_protection"}
        assert {row["state"] for row in body["training"]} == {"missing"}
    # Refused before the purpose is even asked for, and before any input is read.
    assert _api(untrained, purpose="").post(reverse("api:person-list"), {}, format="json").status_code == 403


def test_training_expires_and_the_gate_closes_on_the_expiry_day(
    make_user: MakeUser, bcu_a: BCU, officer_a: User, client_for: ClientFor
) -> None:
    with time_machine.travel(START, tick=False):
        officer = make_user("trained_officer", Role.OFFICER, bcu_a, trained=False)
        _record(officer, Course.MATRIX_PURPOSE, START.date(), days=365)
        _record(officer, Course.DATA_PROTECTION, START.date(), days=100)
        token_client = _api(officer)
        assert token_client.get(reverse("api:person-list")).status_code == 200
    expiry = START + dt.timedelta(days=100)
    with time_machine.travel(expiry - dt.timedelta(days=5), tick=False):
        [matrix, dp] = training_status_of(User.objects.get(pk=officer.pk))
        assert (matrix.state, dp.state) == (CourseState.CURRENT, CourseState.EXPIRING)
        assert with_purpose(client_for(officer)).get(reverse("web:matrix")).status_code == 200
    with time_machine.travel(expiry + dt.timedelta(hours=1), tick=False):
        response = token_client.get(reverse("api:person-list"))
        assert response.status_code == 403
        assert "Mandatory data protection training: expired on 15 April 2026" in response.json()["detail"]
        page = with_purpose(client_for(officer)).get(reverse("web:matrix"))
        assert page.status_code == 403
        assert "Mandatory data protection training expired on 15 April 2026" in page.content.decode()


def test_a_training_record_lets_the_user_in(make_user: MakeUser, bcu_a: BCU, spoc_a: User) -> None:
    officer = make_user("new_officer", Role.OFFICER, bcu_a, trained=False)
    client = _api(officer)
    assert client.get(reverse("api:person-list")).status_code == 403
    today = timezone.localdate()
    for course in Course:
        training_record(actor=spoc_a, user=officer, course=course, completed_on=today, evidence_reference="LMS 77")
    assert client.get(reverse("api:person-list")).status_code == 200
    [event, _] = _events(Verb.TRAINING_RECORDED)
    assert event.actor_username == "spoc_a"
    assert event.targets == [f"user:{officer.pk}"]
    assert event.detail["course"] == "matrix_purpose"
    assert event.detail["expires_on"] == (today + dt.timedelta(days=365)).isoformat()


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("spoc_a", True), ("central", True), ("sysadmin", True), ("spoc_b", False), ("officer_b", False), ("self", False)],
)
def test_who_may_record_training(
    request: pytest.FixtureRequest, make_user: MakeUser, bcu_a: BCU, bcu_b: BCU, actor: str, allowed: bool
) -> None:
    officer = make_user("new_officer", Role.OFFICER, bcu_a, trained=False)
    if actor == "self":
        who = officer
    elif actor == "spoc_b":
        who = make_user("spoc_b", Role.BCU_SPOC, bcu_b)
    else:
        who = request.getfixturevalue(actor)
    call = lambda: training_record(  # noqa: E731
        actor=who,
        user=officer,
        course=Course.MATRIX_PURPOSE,
        completed_on=timezone.localdate(),
        evidence_reference="LMS 1",
    )
    if allowed:
        call()
        assert TrainingRecord.objects.filter(user=officer).count() == 1
    else:
        with pytest.raises(PermissionDenied):
            call()
        assert not TrainingRecord.objects.filter(user=officer).exists()
        assert not _events(Verb.TRAINING_RECORDED)


def test_training_record_validates_dates_and_evidence(spoc_a: User, make_user: MakeUser, bcu_a: BCU) -> None:
    officer = make_user("new_officer", Role.OFFICER, bcu_a, trained=False)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        training_record(
            actor=spoc_a,
            user=officer,
            course=Course.MATRIX_PURPOSE,
            completed_on=today + dt.timedelta(days=1),
            expires_on=today,
            evidence_reference="  ",
        )
    assert set(caught.value.message_dict) == {"completed_on", "expires_on", "evidence_reference"}
    assert not TrainingRecord.objects.filter(user=officer).exists()


def test_training_pages_list_the_bcu_and_record_training(
    make_user: MakeUser, bcu_a: BCU, bcu_b: BCU, spoc_a: User, officer_a: User, client_for: ClientFor
) -> None:
    newcomer = make_user("newcomer", Role.OFFICER, bcu_a, trained=False)
    make_user("elsewhere", Role.OFFICER, bcu_b, trained=False)
    client = client_for(spoc_a)
    page = client.get(reverse("web:training")).content.decode()
    assert 'data-username="newcomer"' in page
    assert 'data-username="officer_a"' in page
    assert "elsewhere" not in page
    attention = client.get(reverse("web:training"), {"show": "attention"}).content.decode()
    assert 'data-username="newcomer"' in attention
    assert 'data-username="officer_a"' not in attention
    url = reverse("web:training_add", args=[newcomer.pk])
    assert client.get(url).status_code == 200
    missing = client.post(url, {}).content.decode()
    assert "Choose the course completed." in missing
    today = timezone.localdate()
    for course in Course:
        data = {
            "course": course.value,
            "completed_on_0": today.day,
            "completed_on_1": today.month,
            "completed_on_2": today.year,
            "evidence_reference": "LMS 12",
        }
        assert client.post(url, data)["Location"] == reverse("web:training")
    assert all(s.is_current for s in training_status_of(User.objects.get(pk=newcomer.pk)))
    # Out of a SPOC's reach: 404; their own training: someone else records it.
    other = User.objects.get(username="elsewhere")
    assert client.get(reverse("web:training_add", args=[other.pk])).status_code == 404
    assert client.get(reverse("web:training_add", args=[spoc_a.pk])).status_code == 403


# Recertification (Annex 1 term 11) ------------------------------------------------------------------------------------


def test_spoc_attests_keep_and_remove_and_removal_suspends_at_once(
    officer_a: User, analyst_a: User, spoc_a: User, officer_b: User, client_for: ClientFor
) -> None:
    client = client_for(spoc_a)
    page = client.get(reverse("web:recertification")).content.decode()
    assert "officer_a" in page
    assert "analyst_a" in page
    assert "officer_b" not in page
    assert f"user_{spoc_a.pk}" not in page  # never oneself
    response = client.post(
        reverse("web:recertification"), {f"user_{officer_a.pk}": "keep", f"user_{analyst_a.pk}": "remove"}
    )
    assert response.status_code == 302
    officer, analyst = User.objects.get(pk=officer_a.pk), User.objects.get(pk=analyst_a.pk)
    assert officer.is_active
    assert officer.access_confirmed_at is not None
    assert officer.access_confirmed_at > officer_a.access_confirmed_at  # type: ignore[operator]
    assert not analyst.is_active
    assert analyst.suspended_reason == Suspension.NOT_NEEDED
    attested = _events(Verb.ACCESS_ATTESTED)
    assert {e.detail["decision"] for e in attested} == {"keep", "remove"}
    [suspended] = _events(Verb.USER_SUSPENDED)
    assert suspended.object_ref == f"user:{analyst.pk}"
    assert suspended.detail["reason"] == "not_needed"
    # Attested this quarter: no longer offered; the SPOC may reinstate their BCU's user.
    page = client.get(reverse("web:recertification")).content.decode()
    assert f'name="user_{officer_a.pk}"' not in page
    assert "Reinstate" in page
    with pytest.raises(ValidationError):
        attestation_record(actor=spoc_a, user=officer, decision="keep")
    client.post(reverse("web:user_reinstate", args=[analyst.pk]))
    assert User.objects.get(pk=analyst.pk).is_active
    assert _events(Verb.USER_REINSTATED)[0].actor_username == "spoc_a"


def test_attesting_nothing_is_an_error(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    page = client_for(spoc_a).post(reverse("web:recertification"), {}).content.decode()
    assert "Choose whether each user still needs access" in page
    assert not Attestation.objects.exists()


def test_only_spoc_of_the_bcu_or_central_may_attest(
    officer_a: User, officer_b: User, spoc_a: User, central: User, sysadmin: User
) -> None:
    with pytest.raises(PermissionDenied):
        attestation_record(actor=spoc_a, user=officer_b, decision="keep")
    with pytest.raises(PermissionDenied):
        attestation_record(actor=sysadmin, user=officer_a, decision="keep")
    with pytest.raises(PermissionDenied):
        attestation_record(actor=officer_a, user=officer_a, decision="keep")
    attestation_record(actor=central, user=spoc_a, decision="keep")
    attestation_record(actor=central, user=sysadmin, decision="keep")
    assert Attestation.objects.count() == 2


def test_access_sweep_suspends_dormant_and_unattested_accounts(
    make_user: MakeUser, bcu_a: BCU, spoc_a: User, client_for: ClientFor
) -> None:
    with time_machine.travel(START, tick=False):
        idle = make_user("idle", Role.OFFICER, bcu_a)
        scripted = make_user("scripted", Role.OFFICER, bcu_a)
        token_client = _api(scripted)
        kept = make_user("kept", Role.OFFICER, bcu_a)
    with time_machine.travel(START + dt.timedelta(days=50), tick=False):
        assert token_client.get(reverse("api:person-list")).status_code == 200
        User.objects.filter(pk=kept.pk).update(last_login=timezone.now())
        attestation_record(actor=spoc_a, user=User.objects.get(pk=kept.pk), decision="keep")
    with time_machine.travel(START + dt.timedelta(days=61), tick=False):
        out = StringIO()
        call_command("access_sweep", "--dry-run", stdout=out)
        assert "would suspend idle: not used within the dormancy period" in out.getvalue()
        assert User.objects.get(pk=idle.pk).is_active
        found = access_sweep(actor=SYSTEM)
        assert [(f.user.username, f.reason) for f in found] == [("idle", Suspension.DORMANT)]
    with time_machine.travel(START + dt.timedelta(days=107), tick=False):
        out = StringIO()
        call_command("access_sweep", stdout=out)
        assert "suspended scripted: access not re-attested in time" in out.getvalue()
        assert "kept" not in out.getvalue()
        assert "access sweep: 1 account(s) suspended" in out.getvalue()
        call_command("access_sweep", stdout=StringIO())  # re-run: nothing more
    reasons = {e.object_ref: e.detail["reason"] for e in _events(Verb.USER_SUSPENDED)}
    assert reasons == {f"user:{idle.pk}": "dormant", f"user:{scripted.pk}": "not_recertified"}
    assert {e.actor_username for e in _events(Verb.USER_SUSPENDED)} == {"system:test", "system:access_sweep"}
    # Suspended: no token, no sign-in, no session.
    assert token_client.get(reverse("api:person-list")).status_code == 401
    for username in ("idle", "scripted"):
        response = Client().post(reverse("web:login"), {"username": username, "password": PASSWORD})
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()


def test_a_suspended_users_open_session_ends(officer_a: User, sysadmin: User, client_for: ClientFor) -> None:
    client = with_purpose(client_for(officer_a))
    assert client.get(reverse("web:matrix")).status_code == 200
    user_suspend(actor=sysadmin, user=officer_a)
    response = client.get(reverse("web:matrix"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_suspension_and_reinstatement_rules(officer_a: User, officer_b: User, spoc_a: User, sysadmin: User) -> None:
    with pytest.raises(PermissionDenied):
        user_suspend(actor=spoc_a, user=officer_a)
    with pytest.raises(PermissionDenied):
        user_suspend(actor=sysadmin, user=sysadmin)
    assert user_suspend(actor=sysadmin, user=officer_a)
    assert not user_suspend(actor=sysadmin, user=officer_a)  # idempotent
    user_suspend(actor=sysadmin, user=officer_b)
    with pytest.raises(PermissionDenied):
        user_reinstate(actor=spoc_a, user=officer_b)  # another BCU
    assert user_reinstate(actor=spoc_a, user=officer_a)
    reinstated = User.objects.get(pk=officer_a.pk)
    assert reinstated.is_active
    assert reinstated.suspended_at is None
    assert reinstated.reinstated_at is not None
    assert [e.detail["was"] for e in _events(Verb.USER_REINSTATED)] == ["by_administrator"]


# Movers and leavers from HR -------------------------------------------------------------------------------------------


def _hr_file(tmp_path: Path, *rows: str, header: str = "username,event,effective_date,new_bcu") -> Path:
    path = tmp_path / "hr.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_import_hr_suspends_leavers_and_moves_movers(
    officer_a: User, analyst_a: User, spoc_a: User, bcu_b: BCU, tmp_path: Path
) -> None:
    attestation_record(actor=spoc_a, user=officer_a, decision="keep")
    _, token = api_token_issue(actor=mfa_verified(analyst_a), owner=analyst_a, label="script")
    path = _hr_file(tmp_path, "analyst_a,leaver,2026-11-30,", "officer_a,Mover,01/12/2026,North Area")
    out = StringIO()
    call_command("import_hr", str(path), stdout=out)
    assert "leavers suspended: 1 (analyst_a)" in out.getvalue()
    assert "movers re-scoped: 1 (officer_a)" in out.getvalue()
    analyst, officer = User.objects.get(pk=analyst_a.pk), User.objects.get(pk=officer_a.pk)
    assert not analyst.is_active
    assert analyst.suspended_reason == Suspension.LEAVER
    assert not analyst.api_tokens.filter(revoked_at__isnull=True).exists()
    assert officer.bcu_code == bcu_b.code
    assert attestations_this_quarter([officer]) == {}  # the old BCU's attestation no longer counts
    [moved] = _events(Verb.USER_MOVED)
    assert moved.detail == {"from": "central-east", "to": "north-area", "effective_on": "2026-12-01"}
    assert moved.actor_username == "system:import_hr"
    [left] = _events(Verb.USER_SUSPENDED)
    assert left.detail == {"reason": "leaver", "effective_on": "2026-11-30"}
    # Re-running the same file changes nothing.
    before = AuditEvent.objects.count()
    out = StringIO()
    call_command("import_hr", str(path), stdout=out)
    assert "leavers already suspended: 1" in out.getvalue()
    assert AuditEvent.objects.count() == before
    # A SPOC may not reinstate a leaver.
    with pytest.raises(PermissionDenied):
        user_reinstate(actor=spoc_a, user=analyst)


def test_import_hr_lists_every_error_and_writes_nothing(
    officer_a: User, central: User, bcu_b: BCU, tmp_path: Path
) -> None:
    path = _hr_file(
        tmp_path,
        "nobody,leaver,2026-11-30,",
        "officer_a,promoted,2026-11-30,",
        "officer_a,leaver,31/02/2026,",
        "central,mover,2026-11-30,north-area",
        ",mover,2026-11-30,atlantis",
    )
    out = StringIO()
    with pytest.raises(CommandError, match=r"hr.csv: 7 error\(s\) found; nothing applied"):
        call_command("import_hr", str(path), stdout=out)
    report = out.getvalue()
    assert "row 2, username: no account 'nobody'" in report
    assert "row 3, event: 'promoted' is not leaver or mover" in report
    assert "row 4, username: 'officer_a' is also on row 3" in report
    assert "row 4, effective date: '31/02/2026' is not a date" in report
    assert "row 5, username: central has a London-wide role" in report
    assert "row 6, username: missing" in report
    assert "row 6, new BCU: 'atlantis' is not a BCU code or name" in report
    assert User.objects.filter(is_active=True).count() == 2
    assert not _events(Verb.USER_SUSPENDED)


def test_import_hr_dry_run_and_unusable_files(officer_a: User, tmp_path: Path) -> None:
    path = _hr_file(tmp_path, "officer_a,leaver,2026-11-30,")
    out = StringIO()
    call_command("import_hr", str(path), "--dry-run", stdout=out)
    assert "dry run: nothing written" in out.getvalue()
    assert "row 2: would suspend leaver officer_a" in out.getvalue()
    assert User.objects.get(pk=officer_a.pk).is_active
    with pytest.raises(CommandError, match="missing required column"):
        call_command("import_hr", str(_hr_file(tmp_path, "officer_a,leaver", header="username,event")))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="the file is empty"):
        call_command("import_hr", str(empty))


# Declared purpose (s.62) ----------------------------------------------------------------------------------------------


def test_personal_data_pages_ask_for_a_purpose_first(officer_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    client = client_for(officer_a)
    for url in (reverse("web:matrix"), reverse("web:person", args=[person.pk]), reverse("web:person_add")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('web:purpose')}?next={url.replace('/', '%2F')}"
    assert not AuditEvent.objects.filter(verb=Verb.PERSON_CONSULTED).exists()


def test_declaring_a_purpose_records_it_and_every_consultation_carries_it(
    officer_a: User, client_for: ClientFor, caplog: pytest.LogCaptureFixture
) -> None:
    person = a_person(officer_a)
    client = client_for(officer_a)
    target = reverse("web:person", args=[person.pk])
    url = f"{reverse('web:purpose')}?next={target}"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reference": "OP 1/2", "reason": "short"}).content.decode()
    assert "only letters, numbers and hyphens" in refused
    assert "at least 10 characters" in refused
    with caplog.at_level(logging.DEBUG):
        response = client.post(url, {"reference": "op-4321", "reason": "Secret  briefing for   Operation Ash"})
        assert response["Location"] == target
        assert client.get(target).status_code == 200
        client.get(reverse("web:matrix"))
    text = "OP-4321: Secret briefing for Operation Ash"
    [declared] = _events(Verb.PURPOSE_DECLARED)
    assert declared.purpose == text
    assert AuditEvent.objects.get(verb=Verb.PERSON_CONSULTED, object_ref=person.ref).purpose == text
    assert _events(Verb.MATRIX_LISTED)[0].purpose == text
    assert "Secret briefing" not in caplog.text
    assert "OP-4321" in client.get(reverse("web:matrix")).content.decode()  # the header shows the reference


def test_the_purpose_page_refuses_roles_without_personal_data_and_unsafe_redirects(
    officer_a: User, auditor: User, client_for: ClientFor
) -> None:
    assert client_for(auditor).get(reverse("web:purpose")).status_code == 403
    response = client_for(officer_a).post(
        f"{reverse('web:purpose')}?next=https://evil.example/", {"reference": "OP-1", "reason": TEST_PURPOSE.reason}
    )
    assert response["Location"] == reverse("web:matrix")


# Accounts (system administrators) -------------------------------------------------------------------------------------


def test_sysadmin_creates_suspends_and_reinstates_accounts(
    sysadmin: User, officer_a: User, bcu_a: BCU, client_for: ClientFor
) -> None:
    client = client_for(sysadmin)
    assert client.get(reverse("web:home"))["Location"] == reverse("web:users")
    page = client.get(reverse("web:users")).content.decode()
    assert 'data-username="officer_a"' in page
    data: dict[str, Any] = {
        "username": "new_analyst",
        "role": Role.ANALYST,
        "bcu_code": bcu_a.code,
        "password": "a long enough first password",
    }
    assert client.post(reverse("web:user_add"), data)["Location"] == reverse("web:users")
    created = User.objects.get(username="new_analyst")
    assert (created.role, created.bcu_code) == (Role.ANALYST, "central-east")
    assert not all(s.is_current for s in training_status_of(created))
    assert _events(Verb.USER_CREATED)[-1].actor_username == "sysadmin"
    refused = client.post(reverse("web:user_add"), {**data, "username": "x2", "bcu_code": ""}).content.decode()
    assert "must be given a BCU" in refused
    client.post(reverse("web:user_suspend", args=[officer_a.pk]))
    assert not User.objects.get(pk=officer_a.pk).is_active
    client.post(reverse("web:user_reinstate", args=[officer_a.pk]))
    assert User.objects.get(pk=officer_a.pk).is_active


def test_only_sysadmin_manages_accounts(officer_a: User, central: User, client_for: ClientFor) -> None:
    for user in (officer_a, central):
        client = client_for(user)
        assert client.get(reverse("web:users")).status_code == 403
        assert client.get(reverse("web:user_add")).status_code == 403
        assert client.post(reverse("web:user_suspend", args=[officer_a.pk])).status_code == 403
    assert User.objects.get(pk=officer_a.pk).is_active


# The commands write exactly their events (s.62) ---------------------------------------------------------------------


def _verbs_since(seq: int) -> list[tuple[str, str, str]]:
    return [
        (e.verb, e.object_ref or e.targets[0], e.actor_username)
        for e in AuditEvent.objects.filter(seq__gt=seq).order_by("seq")
    ]


def _seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def test_access_sweep(make_user: MakeUser, bcu_a: BCU) -> None:
    with time_machine.travel(START, tick=False):
        idle = make_user("idle", Role.OFFICER, bcu_a)
        busy = make_user("busy", Role.ANALYST, bcu_a)
    with time_machine.travel(START + dt.timedelta(days=61), tick=False):
        User.objects.filter(pk=busy.pk).update(last_login=timezone.now())
        before = _seq()
        call_command("access_sweep", "--dry-run", stdout=StringIO())
        assert _verbs_since(before) == []
        call_command("access_sweep", stdout=StringIO())
        assert _verbs_since(before) == [("user.suspended", f"user:{idle.pk}", "system:access_sweep")]
        assert AuditEvent.objects.get(seq__gt=before).detail["reason"] == "dormant"


def test_import_hr(officer_a: User, analyst_a: User, bcu_b: BCU, tmp_path: Path) -> None:
    row, _ = api_token_issue(actor=mfa_verified(analyst_a), owner=analyst_a, label="script")
    path = _hr_file(tmp_path, "analyst_a,leaver,2026-11-30,", "officer_a,mover,2026-12-01,north-area")
    before = _seq()
    call_command("import_hr", str(path), "--dry-run", stdout=StringIO())
    assert _verbs_since(before) == []
    call_command("import_hr", str(path), stdout=StringIO())
    assert _verbs_since(before) == [
        ("user.suspended", f"user:{analyst_a.pk}", "system:import_hr"),
        ("api_token.revoked", f"api_token:{row.pk}", "system:import_hr"),
        ("user.moved", f"user:{officer_a.pk}", "system:import_hr"),
    ]


def test_user_reinstate(officer_a: User, sysadmin: User) -> None:
    user_suspend(actor=sysadmin, user=officer_a)
    before = _seq()
    out = StringIO()
    call_command("user_reinstate", "officer_a", stdout=out)
    assert out.getvalue().strip() == "reinstated officer_a"
    assert _verbs_since(before) == [("user.reinstated", f"user:{officer_a.pk}", "system:user_reinstate")]
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("user_reinstate", "nobody")
