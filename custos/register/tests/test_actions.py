"""Proportionate actions: every rule tried and broken, through the service and the pages.

The ICO found enforcement used "across the full range" against green-band
nominals and victims (notice ¶19, ¶31-34). Each test here tries one way of
doing that again and checks it is refused with the reason, that nothing is
recorded, and that the refusal is in the event log without personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent, Verb
from custos.audit.services import Actor, AuditUnavailable
from custos.register import actions, services
from custos.register.actions import (
    STANDINGS,
    action_allowed,
    action_kinds_load,
    action_policy_active,
    action_policy_load,
    action_policy_validate,
    action_record,
    kinds_default,
    policy_default,
)
from custos.register.models import BCU, Action, ActionKind, ActionPolicy, Nomination, Person
from custos.register.services import RuleBroken
from custos.register.tests.factories import a_person, an_item

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
PURPOSE = "OP-4410: Tasking meeting actions"
NOTES = "Referred after the tasking meeting; grounds recorded on CAD 4410."
NAME = "Quentin Actionworth"
SYSTEM = Actor.system("test")

PARAGRAPH_19 = {
    "prison_licence_conditions",
    "stop_and_search",
    "tv_licensing",
    "parking_enforcement",
    "truancy",
    "benefits_sanctions",
    "housing_action",
    "immigration_enforcement",
}
SAFEGUARDING = ["safeguarding_referral", "victim_support_referral", "child_protection_referral", "osman_warning"]
DIVERSION = [
    "youth_service_referral",
    "mentoring",
    "education_employment_support",
    "gang_exit_referral",
    "health_referral",
]


def a_nominal(officer: User, spoc: User, band: str | None, *, full_name: str = NAME) -> tuple[Person, Nomination]:
    """An offender with two independent sources, an active nomination and (unless None) a decided band."""
    person = a_person(officer, full_name=full_name)
    an_item(officer, person, source_reference="CAD 1")
    an_item(officer, person, source_type="partner_agency", source_reference="YOS 2", criterion="weapon_knife")
    nomination = services.nomination_propose(actor=officer, person=person, reasons="Two independent sources.")
    services.nomination_activate(actor=spoc, nomination=nomination, reasons="Confirmed on the evidence.")
    if band:
        services.rag_decide(actor=spoc, nomination=nomination, band=band, reasons=f"Band {band} on the evidence.")
    nomination.refresh_from_db()
    return person, nomination


def a_victim(officer: User, *, full_name: str = "Vera Victimson") -> Person:
    person = a_person(officer, full_name=full_name)
    an_item(officer, person, category="victim", criterion="victimisation", source_reference="CRIS 9")
    an_item(officer, person, category="victim", criterion="victimisation", source_reference="CRIS 10")
    return person


def record(actor: User, target: Person | Nomination, kind: str, **kwargs: Any) -> Action:
    values: dict[str, Any] = {
        "taken_on": timezone.localdate() - dt.timedelta(days=1),
        "notes": NOTES,
        "purpose": PURPOSE,
    }
    values.update(kwargs)
    return action_record(actor=actor, nomination_or_person=target, kind_code=kind, **values)


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()  # type: ignore[return-value]


def refusal(actor: User, target: Person | Nomination, kind: str) -> tuple[str, AuditEvent]:
    """Try an action that must be refused: returns the message and the refusal event; checks nothing was recorded."""
    before = Action.objects.count()
    with pytest.raises(RuleBroken) as caught:
        record(actor, target, kind)
    assert Action.objects.count() == before
    event = last_event()
    assert event.verb == Verb.ACTION_REFUSED
    assert_no_personal_data(event)
    return " ".join(caught.value.messages), event


def assert_no_personal_data(event: AuditEvent) -> None:
    text = json.dumps([event.object_ref, event.targets, event.detail, event.purpose])
    for secret in (NAME, "Vera", "Victimson", NOTES, "CAD 4410", "Example Road"):
        assert secret not in text, f"{secret!r} in {event.verb}"


# --- the reference data and the default policy -----------------------------------------------------------------


def test_every_route_of_paragraph_19_is_an_enforcement_kind_citing_the_notice(reference_data: None) -> None:
    kinds = {k.code: k for k in ActionKind.objects.all()}
    assert {c for c, k in kinds.items() if k.kind == ActionKind.Kind.ENFORCEMENT} == PARAGRAPH_19
    for code in PARAGRAPH_19:
        assert kinds[code].source == "ICO enforcement notice 2018 ¶19"
    assert {c for c, k in kinds.items() if k.kind == ActionKind.Kind.DIVERSION} == set(DIVERSION)
    assert {c for c, k in kinds.items() if k.kind == ActionKind.Kind.SAFEGUARDING} == set(SAFEGUARDING)


def test_the_default_policy_graduates_enforcement_by_band(reference_data: None) -> None:
    policy = action_policy_active()
    assert policy.version == 1
    allowed = {
        standing: {
            k.code for k in ActionKind.objects.all() if action_allowed(policy=policy, kind=k, standing=standing)[0]
        }
        for standing in STANDINGS
    }
    everything = PARAGRAPH_19 | set(DIVERSION) | set(SAFEGUARDING)
    assert allowed["red"] == everything
    assert allowed["amber"] == set(DIVERSION) | set(SAFEGUARDING) | {"prison_licence_conditions", "stop_and_search"}
    assert allowed["green"] == allowed["unbanded"] == set(DIVERSION) | set(SAFEGUARDING)
    assert allowed["victim"] == allowed["not_nominated"] == set(SAFEGUARDING)


def test_the_shipped_policy_is_valid_and_conditions_stop_and_search_for_amber(reference_data: None) -> None:
    action_policy_validate(policy_default(), kinds=dict(ActionKind.objects.values_list("code", "kind")))
    stop = ActionKind.objects.get(code="stop_and_search")
    condition = actions.action_condition(policy=action_policy_active(), kind=stop, standing="amber")
    assert "reasonable grounds" in condition


# --- the policy, tried and broken ------------------------------------------------------------------------------


def test_housing_action_against_a_green_band_nominal_is_refused_with_the_reason(officer_a: User, spoc_a: User) -> None:
    person, nomination = a_nominal(officer_a, spoc_a, "green")
    message, event = refusal(officer_a, nomination, "housing_action")
    assert (
        message == "Housing action (including eviction) is not allowed for a green-band nominal under action policy v1."
    )
    assert event.detail["rule"] == "policy"
    assert event.detail["kind"] == "housing_action"
    assert event.detail["band"] == "green"
    assert event.detail["policy"] == 1
    assert event.purpose == PURPOSE
    assert set(event.targets) == {person.ref, nomination.ref}
    assert event.actor_username == officer_a.username


@pytest.mark.parametrize("kind", sorted(PARAGRAPH_19))
def test_no_enforcement_of_paragraph_19_against_a_green_band_nominal(kind: str, officer_a: User, spoc_a: User) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "green")
    message, _ = refusal(officer_a, nomination, kind)
    assert "green-band nominal" in message


def test_a_nominal_with_no_band_decided_gets_no_enforcement(officer_a: User, spoc_a: User) -> None:
    person, _ = a_nominal(officer_a, spoc_a, None)
    message, event = refusal(officer_a, person, "stop_and_search")
    assert "whose band has not been decided" in message
    assert event.detail["standing"] == "unbanded"
    assert record(officer_a, person, "mentoring").basis == Action.Basis.NOMINAL


def test_amber_allows_stop_and_search_but_not_housing_action(officer_a: User, spoc_a: User) -> None:
    person, nomination = a_nominal(officer_a, spoc_a, "amber")
    action = record(officer_a, person, "stop_and_search")
    assert (action.band, action.nomination_id, action.basis) == ("amber", nomination.pk, Action.Basis.NOMINAL)
    message, _ = refusal(officer_a, nomination, "housing_action")
    assert "amber-band nominal" in message


@pytest.mark.parametrize("kind", sorted(PARAGRAPH_19 | set(DIVERSION) | set(SAFEGUARDING)))
def test_a_red_band_nominal_may_be_subject_to_every_kind(kind: str, officer_a: User, spoc_a: User) -> None:
    person, nomination = a_nominal(officer_a, spoc_a, "red")
    action = record(officer_a, nomination, kind)
    assert (action.kind.code, action.band, action.person_id) == (kind, "red", person.pk)


@pytest.mark.parametrize("kind", sorted(PARAGRAPH_19) + DIVERSION)
def test_a_victim_gets_no_enforcement_and_no_diversion(kind: str, officer_a: User) -> None:
    victim = a_victim(officer_a)
    message, event = refusal(officer_a, victim, kind)
    assert "a person recorded as a victim or witness: only safeguarding actions may be recorded" in message
    assert event.detail["rule"] == "victim"
    assert event.detail["basis"] == "victim"
    assert event.targets == [victim.ref]


@pytest.mark.parametrize("kind", SAFEGUARDING)
def test_a_victim_may_be_safeguarded(kind: str, officer_a: User) -> None:
    victim = a_victim(officer_a)
    action = record(officer_a, victim, kind)
    assert (action.basis, action.band, action.nomination_id) == (Action.Basis.VICTIM, "", None)
    event = last_event()
    assert event.verb == Verb.ACTION_RECORDED
    assert event.targets == [victim.ref]


def test_someone_both_victim_and_witness_only_is_still_a_victim(officer_a: User) -> None:
    person = a_victim(officer_a)
    an_item(officer_a, person, category="witness", criterion="other", source_reference="CAD 55")
    message, _ = refusal(officer_a, person, "truancy")
    assert "victim or witness" in message


def test_a_person_without_an_active_nomination_gets_safeguarding_only(officer_a: User) -> None:
    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1")
    an_item(officer_a, person, source_type="partner_agency", source_reference="YOS 2")
    services.nomination_propose(actor=officer_a, person=person, reasons="Two independent sources.")
    message, event = refusal(officer_a, person, "youth_service_referral")
    assert "a person without an active nomination" in message
    assert event.detail["basis"] == "not_nominated"
    assert event.detail["rule"] == "not_nominated"
    assert record(officer_a, person, "osman_warning").basis == Action.Basis.NOT_NOMINATED


@pytest.mark.parametrize("status", ["proposed", "withdrawn", "removed", "under_review"])
def test_actions_against_a_nomination_that_is_not_active_are_refused(
    status: str, officer_a: User, spoc_a: User
) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    Nomination.objects.filter(pk=nomination.pk).update(status=status)
    message, event = refusal(officer_a, nomination, "safeguarding_referral")
    assert message.startswith("Actions are recorded only against an active nomination")
    assert event.detail["rule"] == "nomination_not_active"
    assert event.detail["status"] == status


def test_a_restricted_person_gets_no_new_action(officer_a: User, spoc_a: User) -> None:
    person, nomination = a_nominal(officer_a, spoc_a, "red")
    Person.objects.filter(pk=person.pk).update(restricted_at=timezone.now(), restricted_to=",dpo,")
    message, event = refusal(officer_a, nomination, "safeguarding_referral")
    assert "restricted" in message
    assert event.detail["rule"] == "restricted"


def test_a_retired_kind_allows_nothing(officer_a: User, spoc_a: User) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    ActionKind.objects.filter(code="tv_licensing").update(active=False)
    message, _ = refusal(officer_a, nomination, "tv_licensing")
    assert message == "TV licensing enforcement is no longer an action kind in use."


def test_a_band_changed_after_the_page_was_read_is_the_one_applied(officer_a: User, spoc_a: User) -> None:
    """The nomination handed in says red; the database now says green: green is applied."""
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    Nomination.objects.filter(pk=nomination.pk).update(band="green")
    assert nomination.band == "red"
    message, _ = refusal(officer_a, nomination, "immigration_enforcement")
    assert "green-band nominal" in message


# --- who may record ------------------------------------------------------------------------------------------


def test_an_officer_of_another_bcu_may_not_record(officer_a: User, officer_b: User, spoc_a: User) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        record(officer_b, nomination, "safeguarding_referral")
    assert Action.objects.count() == 0
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SYSADMIN, Role.IRU, Role.DPO])
def test_roles_that_do_not_act_may_not_record(
    role: str, officer_a: User, spoc_a: User, make_user: Callable[..., User]
) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    with pytest.raises(PermissionDenied):
        record(make_user(f"user_{role}", role), nomination, "safeguarding_referral")
    assert Action.objects.count() == 0


def test_an_untrained_officer_may_not_record(
    officer_a: User, spoc_a: User, bcu_a: BCU, make_user: Callable[..., User]
) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    with pytest.raises(PermissionDenied):
        record(make_user("untrained_a", Role.OFFICER, bcu_a, trained=False), nomination, "mentoring")


def test_analysts_spocs_and_central_governance_may_record(
    officer_a: User, analyst_a: User, spoc_a: User, central: User
) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "amber")
    for actor in (analyst_a, spoc_a, central):
        assert record(actor, nomination, "mentoring").recorded_by == actor


# --- what is asked for ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "deportation"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"taken_on": None}, "taken_on"),
        ({"taken_on": dt.date(2999, 1, 1)}, "taken_on"),
        ({"notes": "  short "}, "notes"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(
    change: dict[str, Any], field: str, officer_a: User, spoc_a: User
) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    before = AuditEvent.objects.count()
    kind = change.pop("kind", "mentoring")
    with pytest.raises(ValidationError) as caught:
        record(officer_a, nomination, kind, **change)
    assert field in caught.value.message_dict
    assert Action.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_no_action_without_a_policy(officer_a: User, spoc_a: User) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    ActionPolicy.objects.update(is_active=False)
    with pytest.raises(RuleBroken, match="No action policy is loaded"):
        record(officer_a, nomination, "mentoring")
    assert Action.objects.count() == 0


# --- what is kept and logged ---------------------------------------------------------------------------------


def test_the_action_records_the_band_basis_and_policy_applied_and_its_event(officer_a: User, spoc_a: User) -> None:
    person, nomination = a_nominal(officer_a, spoc_a, "amber")
    action = record(officer_a, nomination, "stop_and_search")
    assert (action.policy_version, action.band, action.data_key_id) == (1, "amber", person.data_key_id)
    event = last_event()
    assert event.verb == Verb.ACTION_RECORDED
    assert event.object_ref == action.ref
    assert set(event.targets) == {person.ref, nomination.ref}
    assert event.purpose == PURPOSE
    assert event.detail == {
        "kind": "stop_and_search",
        "class": "enforcement",
        "bcu": "central-east",
        "basis": "nominal",
        "band": "amber",
        "standing": "amber",
        "policy": 1,
    }
    assert_no_personal_data(event)
    # A later band does not rewrite what was applied.
    services.rag_decide(actor=spoc_a, nomination=nomination, band="green", reasons="Engaging with the youth service.")
    action.refresh_from_db()
    assert action.band == "amber"


def test_a_new_policy_version_applies_and_is_recorded_on_each_action(
    officer_a: User, spoc_a: User, central: User
) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "amber")
    first = record(officer_a, nomination, "stop_and_search")
    stricter = policy_default()
    stricter["rules"]["amber"] = {"allow": ["diversion", "safeguarding"]}
    policy = action_policy_load(actor=central, definition=stricter, name="No enforcement for amber")
    assert (policy.version, action_policy_active().version) == (2, 2)
    assert last_event().verb == Verb.ACTION_POLICY_LOADED
    message, event = refusal(officer_a, nomination, "stop_and_search")
    assert message.endswith("under action policy v2.")
    assert event.detail["policy"] == 2
    assert record(officer_a, nomination, "mentoring").policy_version == 2
    first.refresh_from_db()
    assert first.policy_version == 1
    assert ActionPolicy.objects.get(version=1).is_active is False


def test_the_notes_are_ciphertext_at_rest(officer_a: User, spoc_a: User) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")
    action = record(officer_a, nomination, "housing_action", notes="Eviction notice served at 4 Hollow Lane")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT notes FROM register_action WHERE id = %s",
            [action.pk.hex if connection.vendor == "sqlite" else action.pk],
        )
        raw = bytes(cursor.fetchone()[0])
    assert b"Hollow Lane" not in raw
    assert raw[:1] == b"\x01"
    assert Action.objects.get(pk=action.pk).notes == "Eviction notice served at 4 Hollow Lane"


def test_if_the_log_cannot_be_written_no_action_is_recorded(
    officer_a: User, spoc_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "red")

    def broken(**kwargs: Any) -> None:
        raise AuditUnavailable("the audit log could not be written; nothing was changed")

    monkeypatch.setattr(actions, "event_record", broken)
    with pytest.raises(AuditUnavailable):
        record(officer_a, nomination, "mentoring")
    assert Action.objects.count() == 0


def test_if_the_refusal_cannot_be_logged_nothing_is_recorded_either(
    officer_a: User, spoc_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, nomination = a_nominal(officer_a, spoc_a, "green")
    monkeypatch.setattr(actions, "event_record", lambda **kwargs: (_ for _ in ()).throw(AuditUnavailable("down")))
    with pytest.raises(AuditUnavailable):
        record(officer_a, nomination, "housing_action")
    assert Action.objects.count() == 0


def test_erasing_the_person_erases_their_actions(officer_a: User, spoc_a: User) -> None:
    person, nomination = a_nominal(officer_a, spoc_a, "red")
    record(officer_a, nomination, "mentoring")
    Person.objects.filter(pk=person.pk).delete()
    assert Action.objects.count() == 0


# --- loading kinds and policies ------------------------------------------------------------------------------


def test_loading_the_shipped_kinds_again_changes_nothing_and_logs_nothing(reference_data: None) -> None:
    before = AuditEvent.objects.count()
    assert action_kinds_load(actor=SYSTEM, definition=kinds_default()) == (0, 0)
    assert AuditEvent.objects.count() == before


def test_a_kind_never_changes_class(reference_data: None) -> None:
    changed = kinds_default()
    for row in changed["kinds"]:
        if row["code"] == "housing_action":
            row["kind"] = "safeguarding"
    with pytest.raises(ValidationError, match="never changes"):
        action_kinds_load(actor=SYSTEM, definition=changed)
    assert ActionKind.objects.get(code="housing_action").kind == "enforcement"


def test_a_new_kind_is_added_and_logged(central: User) -> None:
    extra = {"kinds": [{"code": "curfew_check", "label": "Curfew check", "kind": "enforcement"}]}
    assert action_kinds_load(actor=central, definition=extra) == (1, 0)
    assert last_event().verb == Verb.ACTION_KINDS_LOADED
    # Not in the policy: allowed only where a class of action is, here red.
    kind = ActionKind.objects.get(code="curfew_check")
    assert action_allowed(policy=action_policy_active(), kind=kind, standing="red")[0]
    assert not action_allowed(policy=action_policy_active(), kind=kind, standing="amber")[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"]["victim"].update(allow=["safeguarding", "housing_action"]), "safeguarding actions only"),
        (lambda d: d["rules"]["not_nominated"].update(allow=["diversion"]), "safeguarding actions only"),
        (lambda d: d["rules"].pop("green"), "must say what is allowed for: green"),
        (lambda d: d["rules"].update(purple={"allow": []}), "unknown standings: purple"),
        (lambda d: d["rules"]["red"].update(allow=["deportation"]), "which is no action kind"),
        (lambda d: d["rules"]["red"].update(allow="enforcement"), "needs 'allow'"),
        (lambda d: d["rules"]["green"].update(conditions={"housing_action": "Only on Sundays"}), "does not allow it"),
        (lambda d: d["rules"]["amber"]["conditions"].update(stop_and_search=" "), "must say what it is"),
        (lambda d: d.pop("rules"), "'rules'"),
    ],
)
def test_an_unusable_policy_is_refused_with_the_reason(
    change: Callable[[dict[str, Any]], Any], message: str, central: User
) -> None:
    definition = policy_default()
    change(definition)
    with pytest.raises(ValidationError, match=message):
        action_policy_load(actor=central, definition=definition)
    assert action_policy_active().version == 1


@pytest.mark.parametrize("persona", ["officer_a", "spoc_a", "auditor"])
def test_only_central_governance_loads_a_policy(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        action_policy_load(actor=user, definition=policy_default())
    with pytest.raises(PermissionDenied):
        action_kinds_load(actor=user, definition=kinds_default())
    assert ActionPolicy.objects.count() == 1


# --- the pages -----------------------------------------------------------------------------------------------


def _form(kind: str, notes: str = NOTES, when: dt.date | None = None) -> dict[str, str]:
    when = when or timezone.localdate() - dt.timedelta(days=2)
    return {
        "kind": kind,
        "notes": notes,
        "taken_on_0": str(when.day),
        "taken_on_1": str(when.month),
        "taken_on_2": str(when.year),
    }


def test_the_form_offers_only_what_the_policy_allows_and_explains_the_rest(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person, _ = a_nominal(officer_a, spoc_a, "green")
    response = client_for(officer_a).get(reverse("web:action_record", args=[person.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'value="mentoring"' in html
    assert 'value="osman_warning"' in html
    assert 'value="housing_action"' not in html
    assert "Housing action (including eviction) is not allowed for a green-band nominal under action policy v1." in html
    assert "Green-band nominal" in html


def test_a_victims_form_offers_safeguarding_only(officer_a: User, client_for: ClientFor) -> None:
    victim = a_victim(officer_a)
    html = client_for(officer_a).get(reverse("web:action_record", args=[victim.pk])).content.decode()
    assert 'id="safeguarding-only"' in html
    for code in SAFEGUARDING:
        assert f'value="{code}"' in html
    for code in [*PARAGRAPH_19, *DIVERSION]:
        assert f'value="{code}"' not in html


def test_posting_a_refused_kind_shows_the_reason_and_records_nothing(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person, _ = a_nominal(officer_a, spoc_a, "green")
    response = client_for(officer_a).post(reverse("web:action_record", args=[person.pk]), _form("housing_action"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "is not allowed for a green-band nominal under action policy v1" in html
    assert Action.objects.count() == 0
    assert last_event().verb == Verb.ACTION_REFUSED


def test_posting_an_allowed_kind_records_it_and_the_person_page_lists_it(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person, _ = a_nominal(officer_a, spoc_a, "green")
    client = client_for(officer_a)
    response = client.post(reverse("web:action_record", args=[person.pk]), _form("gang_exit_referral"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:person", args=[person.pk]) + "#actions"
    assert NAME not in response["Location"]
    page = client.get(reverse("web:person", args=[person.pk])).content.decode()
    assert "Gang-exit programme referral" in page
    assert NOTES in page
    assert "Policy v1" in page
    assert "Record an action" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "deportation"}, "Choose the kind of action from the list."),
        ({"kind": ""}, "Choose the kind of action."),
        ({"notes": "short"}, "Say what was done and why (at least 10 characters)."),
    ],
)
def test_the_form_says_what_is_wrong(
    data: dict[str, str], message: str, officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person, _ = a_nominal(officer_a, spoc_a, "red")
    response = client_for(officer_a).post(
        reverse("web:action_record", args=[person.pk]), {**_form("mentoring"), **data}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Action.objects.count() == 0


def test_the_form_is_out_of_reach_of_another_bcu_and_refused_to_roles_that_do_not_act(
    officer_a: User, officer_b: User, spoc_a: User, auditor: User, make_user: Callable[..., User], client_for: ClientFor
) -> None:
    person, _ = a_nominal(officer_a, spoc_a, "red")
    url = reverse("web:action_record", args=[person.pk])
    assert client_for(officer_b).get(url).status_code == 404
    assert client_for(officer_b).post(url, _form("mentoring")).status_code == 404
    assert client_for(auditor).get(url).status_code == 403
    iru = make_user("iru", Role.IRU)
    assert client_for(iru).get(url).status_code == 403
    assert client_for(iru).post(url, _form("mentoring")).status_code == 403
    assert "Record an action" not in client_for(iru).get(reverse("web:person", args=[person.pk])).content.decode()
    assert Action.objects.count() == 0


def test_the_policy_page_shows_the_table(officer_a: User, auditor: User, client_for: ClientFor) -> None:
    for user in (officer_a, auditor):
        response = client_for(user).get(reverse("web:action_policy"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Action policy, version 1" in html
        assert "Housing action (including eviction)" in html
        assert "ICO enforcement notice 2018 ¶19" in html
        assert "With conditions" in html


def test_with_no_policy_loaded_the_pages_refuse_and_say_why(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person, _ = a_nominal(officer_a, spoc_a, "red")
    ActionPolicy.objects.update(is_active=False)
    client = client_for(officer_a)
    for url in (reverse("web:action_record", args=[person.pk]), reverse("web:action_policy")):
        response = client.get(url)
        assert response.status_code == 403
        assert "No action policy is loaded" in response.content.decode()


def test_the_policy_page_shows_an_earlier_version(central: User, client_for: ClientFor) -> None:
    changed = policy_default()
    changed["rules"]["amber"] = {"allow": ["diversion", "safeguarding"]}
    action_policy_load(actor=central, definition=changed)
    client = client_for(central)
    assert "Action policy, version 2" in client.get(reverse("web:action_policy")).content.decode()
    old = client.get(reverse("web:action_policy") + "?version=1").content.decode()
    assert "Action policy, version 1" in old
    assert "Replaced" in old
    assert "Action policy, version 2" in client.get(reverse("web:action_policy") + "?version=x").content.decode()


# --- the API -------------------------------------------------------------------------------------------------


def test_the_person_api_shows_the_actions_taken(officer_a: User, officer_b: User, spoc_a: User) -> None:
    from rest_framework.test import APIClient

    from custos.accounts.services import api_token_issue
    from tests.mfa import mfa_verified

    def api(user: User) -> APIClient:
        _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_CUSTOS_PURPOSE=PURPOSE)
        return client

    person, nomination = a_nominal(officer_a, spoc_a, "amber")
    action = record(officer_a, nomination, "stop_and_search")
    url = reverse("api:person-detail", args=[person.pk])
    body = api(officer_a).get(url).json()
    assert body["actions"] == [
        {
            "id": str(action.pk),
            "nomination": str(nomination.pk),
            "kind": "stop_and_search",
            "kind_label": "Increased stop and search",
            "kind_class": "enforcement",
            "taken_on": action.taken_on.isoformat(),
            "basis": "nominal",
            "band": "amber",
            "policy_version": 1,
            "notes": NOTES,
            "recorded_by": officer_a.username,
            "recorded_at": body["actions"][0]["recorded_at"],
        }
    ]
    assert api(officer_b).get(url).status_code == 404


# --- the command ---------------------------------------------------------------------------------------------


def test_the_command_prints_the_policy_and_loads_a_new_version(reference_data: None, tmp_path: Any) -> None:
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("action_policy", stdout=out)
    assert out.getvalue().startswith("action policy v1 (Custos default action policy)")
    changed = policy_default()
    changed["rules"]["amber"] = {"allow": ["diversion", "safeguarding"]}
    (tmp_path / "v2.json").write_text(json.dumps(changed), encoding="utf-8")
    call_command("action_policy", "--load", str(tmp_path / "v2.json"), stdout=out)
    assert "loaded action policy v2" in out.getvalue()
    event = last_event()
    assert (event.verb, event.actor_username) == (Verb.ACTION_POLICY_LOADED, "system:action-policy")
    changed["rules"]["victim"] = {"allow": ["enforcement"]}
    (tmp_path / "bad.json").write_text(json.dumps(changed), encoding="utf-8")
    with pytest.raises(CommandError, match="safeguarding actions only"):
        call_command("action_policy", "--load", str(tmp_path / "bad.json"), stdout=out)
    with pytest.raises(CommandError, match="no such file"):
        call_command("action_policy", "--load", str(tmp_path / "missing.json"), stdout=out)
    assert action_policy_active().version == 2
