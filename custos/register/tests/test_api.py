"""The JSON API: every operation allowed and refused, and every read logged.

Requests carry real tokens from ``api_token_issue`` in the Authorization
header, exactly as a client would send them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from custos.accounts.models import Role, User
from custos.accounts.services import api_token_issue, api_token_revoke
from custos.audit.models import AuditEvent, Verb
from custos.register.api import PURPOSE_MISSING
from custos.register.models import BCU, Gang, IntelligenceItem, Nomination, Person, Rubric
from custos.register.services import gang_create, nomination_propose
from custos.register.tests.factories import a_person, an_item
from tests.mfa import mfa_verified

pytestmark = pytest.mark.django_db

ApiFor = Callable[..., APIClient]
#: The purpose ``api_for`` clients declare by default.
API_PURPOSE = "OP-API: testing the register's API"


@pytest.fixture
def api_for() -> ApiFor:
    """An API client carrying a freshly issued token of ``user`` and, unless told otherwise, a purpose.

    The purpose is a default header (``API_PURPOSE``); a request may send its own.
    """

    def make(user: User, *, purpose: str | None = API_PURPOSE) -> APIClient:
        _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        if purpose:
            client.defaults["HTTP_X_CUSTOS_PURPOSE"] = purpose
        return client

    return make


@pytest.fixture
def person_a(officer_a: User) -> Person:
    """A person of BCU A with two items from independent sources."""
    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1")
    an_item(officer_a, person, source_type="partner_agency", source_reference="YOS Hackney", criterion="weapon_knife")
    return person


@pytest.fixture
def item_a(person_a: Person) -> IntelligenceItem:
    return IntelligenceItem.objects.filter(person=person_a).order_by("created_at").first()  # type: ignore[return-value]


@pytest.fixture
def nomination_a(officer_a: User, person_a: Person) -> Nomination:
    return nomination_propose(actor=officer_a, person=person_a, reasons="Two independent sources on violence")


def _url(name: str, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs=kwargs or None)


def _last(verb: Verb) -> AuditEvent:
    event = AuditEvent.objects.filter(verb=verb).order_by("seq").last()
    assert event is not None, f"no {verb} event"
    return event


def _intelligence_body(about: Person, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person": str(about.pk),
        "category": "suspected_offender",
        "occurred_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "source_type": "police",
        "source_reference": "CAD 9876",
        "source_grade": "2",
        "intel_grade": "C",
        "handling": "P",
        "nature": "assessment",
        "criterion": "drug_supply",
        "summary": "Believed to be supplying class A drugs near the estate",
    }
    body.update(overrides)
    return body


# Authentication ------------------------------------------------------------------------------------------------------


ALL_OPERATIONS = [
    ("get", "nominal-list", {}),
    ("get", "nominal-detail", {"nomination_id": uuid.uuid4()}),
    ("get", "person-list", {}),
    ("post", "person-list", {}),
    ("get", "person-detail", {"person_id": uuid.uuid4()}),
    ("get", "intelligence-list", {}),
    ("post", "intelligence-list", {}),
    ("get", "intelligence-detail", {"item_id": uuid.uuid4()}),
    ("get", "openapi", {}),
]


@pytest.mark.parametrize(("method", "name", "kwargs"), ALL_OPERATIONS)
def test_every_operation_refuses_a_request_without_a_token(method: str, name: str, kwargs: dict[str, Any]) -> None:
    response = getattr(APIClient(), method)(_url(name, **kwargs), {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "name", "kwargs"), ALL_OPERATIONS)
def test_every_operation_refuses_a_revoked_token(
    officer_a: User, method: str, name: str, kwargs: dict[str, Any]
) -> None:
    row, token = api_token_issue(actor=mfa_verified(officer_a), owner=officer_a, label="soon revoked")
    api_token_revoke(actor=officer_a, token=row)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = getattr(client, method)(_url(name, **kwargs), {}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer cst_not-a-real-token", "Bearer nonsense", "Bearer cst_a cst_b"])
def test_an_unknown_or_malformed_token_is_refused(reference_data: None, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(_url("person-list")).status_code == 401


def test_a_session_does_not_authenticate_the_api(officer_a: User) -> None:
    client = APIClient()
    client.force_login(officer_a)
    assert client.get(_url("person-list")).status_code == 401


def test_a_token_of_a_deactivated_account_is_refused(officer_a: User, api_for: ApiFor) -> None:
    client = api_for(officer_a)
    officer_a.is_active = False
    officer_a.save(update_fields=["is_active"])
    assert client.get(_url("person-list")).status_code == 401


# Roles without personal data -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["auditor", "sysadmin"])
@pytest.mark.parametrize("name", ["nominal-list", "person-list", "intelligence-list"])
def test_roles_without_personal_data_are_refused_the_lists(
    request: pytest.FixtureRequest, api_for: ApiFor, persona: str, name: str
) -> None:
    user: User = request.getfixturevalue(persona)
    response = api_for(user).get(_url(name))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(verb__in=[Verb.MATRIX_LISTED, Verb.PEOPLE_LISTED]).exists()


@pytest.mark.parametrize("persona", ["auditor", "sysadmin"])
def test_roles_without_personal_data_are_refused_records(
    request: pytest.FixtureRequest, api_for: ApiFor, persona: str, nomination_a: Nomination, item_a: IntelligenceItem
) -> None:
    client = api_for(request.getfixturevalue(persona))
    assert client.get(_url("person-detail", person_id=nomination_a.person_id)).status_code == 403
    assert client.get(_url("nominal-detail", nomination_id=nomination_a.pk)).status_code == 403
    assert client.get(_url("intelligence-detail", item_id=item_a.pk)).status_code == 403
    person_body = {"bcu": "central-east", "full_name": "Alex Sample", "purpose": "test"}
    assert client.post(_url("person-list"), person_body, format="json").status_code == 403
    intel = _intelligence_body(nomination_a.person)
    assert client.post(_url("intelligence-list"), intel, format="json").status_code == 403


# People ------------------------------------------------------------------------------------------------------------


def test_people_list_shows_people_in_scope_and_logs_them(
    officer_a: User, officer_b: User, bcu_b: BCU, person_a: Person, api_for: ApiFor
) -> None:
    other = a_person(officer_b, full_name="Sam Other")
    response = api_for(officer_a).get(_url("person-list"), HTTP_X_CUSTOS_PURPOSE="Briefing for operation Ash")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert row["id"] == str(person_a.pk)
    assert row["full_name"] == "Jordan Example"
    assert row["categories"] == ["suspected_offender"]
    assert row["is_victim"] is False
    assert row["score"]["total"] is not None
    event = _last(Verb.PEOPLE_LISTED)
    assert event.targets == [person_a.ref]
    assert other.ref not in event.targets
    assert event.purpose == "Briefing for operation Ash"
    assert event.actor_username == "officer_a"


def test_people_list_pages_by_limit_and_offset_and_logs_only_the_page(officer_a: User, api_for: ApiFor) -> None:
    people = [a_person(officer_a, full_name=f"Person Number {n}") for n in range(3)]
    client = api_for(officer_a)
    first = client.get(_url("person-list"), {"limit": 2}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert "offset=2" in first["next"]
    assert first["previous"] is None
    assert len(_last(Verb.PEOPLE_LISTED).targets) == 2
    rest = client.get(_url("person-list"), {"limit": 2, "offset": 2}).json()
    assert len(rest["results"]) == 1
    assert rest["next"] is None
    shown = {r["id"] for r in first["results"]} | {r["id"] for r in rest["results"]}
    assert shown == {str(p.pk) for p in people}


def test_people_list_queries_do_not_grow_with_the_page(officer_a: User, api_for: ApiFor) -> None:
    client = api_for(officer_a)
    person = a_person(officer_a)
    an_item(officer_a, person)
    with CaptureQueriesContext(connection) as one:
        assert client.get(_url("person-list")).status_code == 200
    for n in range(4):
        more = a_person(officer_a, full_name=f"Another Person {n}")
        an_item(officer_a, more, category="victim", criterion="victimisation")
    with CaptureQueriesContext(connection) as five:
        assert client.get(_url("person-list")).json()["count"] == 5
    assert len(five) == len(one)


def _nominated(actor: User, n: int) -> Person:
    person = a_person(actor, full_name=f"Nominal Number {n}")
    an_item(actor, person, source_reference=f"CAD {n}")
    an_item(actor, person, source_type="partner_agency", source_reference=f"YOS {n}", criterion="weapon_knife")
    nomination_propose(actor=actor, person=person, reasons="Two independent sources on violence")
    return person


@pytest.mark.parametrize("name", ["nominal-list", "intelligence-list"])
def test_other_lists_queries_do_not_grow_with_the_page(officer_a: User, api_for: ApiFor, name: str) -> None:
    client = api_for(officer_a)
    _nominated(officer_a, 0)
    with CaptureQueriesContext(connection) as one:
        assert client.get(_url(name)).status_code == 200
    for n in range(1, 4):
        _nominated(officer_a, n)
    with CaptureQueriesContext(connection) as four:
        assert client.get(_url(name)).json()["count"] > 3
    assert len(four) == len(one)


def test_person_detail_in_scope_is_shown_and_logged(officer_a: User, person_a: Person, api_for: ApiFor) -> None:
    response = api_for(officer_a).get(_url("person-detail", person_id=person_a.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "Jordan Example"
    assert body["aliases"] == ["JJ"]
    assert body["date_of_birth"] == "2001-05-17"
    assert body["bcu"] == "central-east"
    assert body["categories"] == ["suspected_offender"]
    score = body["score"]
    assert score["rubric_version"] >= 1
    assert len(score["counted"]) == 2
    assert {line["item"] for line in score["counted"]} == {
        str(pk) for pk in IntelligenceItem.objects.filter(person=person_a).values_list("pk", flat=True)
    }
    event = _last(Verb.PERSON_CONSULTED)
    assert event.object_ref == person_a.ref
    assert event.purpose == API_PURPOSE


def test_person_of_another_bcu_is_not_found(officer_b: User, person_a: Person, api_for: ApiFor) -> None:
    response = api_for(officer_b).get(_url("person-detail", person_id=person_a.pk))
    assert response.status_code == 404
    unknown = api_for(officer_b).get(_url("person-detail", person_id=uuid.uuid4()))
    assert unknown.status_code == 404
    assert response.json() == unknown.json()
    assert not AuditEvent.objects.filter(verb=Verb.PERSON_CONSULTED).exists()


def test_victim_is_labelled_as_a_victim(officer_a: User, api_for: ApiFor) -> None:
    person = a_person(officer_a)
    an_item(officer_a, person, category="victim", criterion="victimisation")
    body = api_for(officer_a).get(_url("person-detail", person_id=person.pk)).json()
    assert body["categories"] == ["victim"]
    assert body["is_victim"] is True
    assert body["score"]["total"] == "0.00"


def test_protected_characteristics_only_for_roles_that_may_see_them(
    officer_a: User, central: User, api_for: ApiFor
) -> None:
    person = a_person(officer_a, observed_ethnicity="IC3", self_defined_ethnicity="B1", gender="male")
    officer_view = api_for(officer_a).get(_url("person-detail", person_id=person.pk)).json()
    assert officer_view["protected_characteristics"] is None
    central_view = api_for(central).get(_url("person-detail", person_id=person.pk)).json()
    assert central_view["protected_characteristics"] == {
        "observed_ethnicity": "IC3",
        "self_defined_ethnicity": "B1",
        "gender": "male",
    }


def test_officer_records_a_person_in_their_bcu(officer_a: User, api_for: ApiFor) -> None:
    body = {
        "bcu": "central-east",
        "full_name": "  Casey   Sample ",
        "date_of_birth": "2003-02-01",
        "aliases": ["Cas"],
        "addresses": ["1 High Street, London E1 1AA"],
        "gender": "female",
        "purpose": "Intelligence report 42 names this person",
    }
    response = api_for(officer_a).post(_url("person-list"), body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    person = Person.objects.get(pk=created["id"])
    assert response["Location"] == _url("person-detail", person_id=person.pk)
    assert created["full_name"] == "Casey Sample"
    assert created["categories"] == []
    assert created["score"] is None
    assert created["protected_characteristics"] is None
    assert person.gender == "female"
    assert person.created_by == officer_a
    event = _last(Verb.PERSON_CREATED)
    assert event.object_ref == person.ref
    assert event.purpose == "Intelligence report 42 names this person"


def test_recording_a_person_takes_the_purpose_from_the_header(officer_a: User, api_for: ApiFor) -> None:
    body = {"bcu": "central-east", "full_name": "Casey Sample"}
    response = api_for(officer_a).post(_url("person-list"), body, format="json", HTTP_X_CUSTOS_PURPOSE="Op Ash")
    assert response.status_code == 201
    assert _last(Verb.PERSON_CREATED).purpose == "Op Ash"


def test_recording_a_person_needs_a_purpose(officer_a: User, api_for: ApiFor) -> None:
    body = {"bcu": "central-east", "full_name": "Casey Sample", "purpose": "  "}
    response = api_for(officer_a, purpose=None).post(_url("person-list"), body, format="json")
    assert response.status_code == 400
    assert "X-Custos-Purpose" in response.json()["purpose"][0]
    assert not Person.objects.exists()


PERSONAL_DATA_READS = [
    ("nominal-list", {}),
    ("nominal-detail", {"nomination_id": uuid.uuid4()}),
    ("person-list", {}),
    ("person-detail", {"person_id": uuid.uuid4()}),
    ("intelligence-list", {}),
    ("intelligence-detail", {"item_id": uuid.uuid4()}),
]


@pytest.mark.parametrize(("name", "kwargs"), PERSONAL_DATA_READS)
def test_every_read_of_personal_data_needs_a_purpose(
    officer_a: User, api_for: ApiFor, name: str, kwargs: dict[str, Any]
) -> None:
    before = AuditEvent.objects.count()
    for client, headers in (
        (api_for(officer_a, purpose=None), {}),
        (api_for(officer_a), {"HTTP_X_CUSTOS_PURPOSE": " "}),
    ):
        response = client.get(_url(name, **kwargs), **headers)
        assert response.status_code == 400
        assert response.json() == {"purpose": [PURPOSE_MISSING]}
    assert AuditEvent.objects.count() == before + 2  # the two tokens issued; nothing consulted


def test_adding_intelligence_needs_a_purpose(officer_a: User, person_a: Person, api_for: ApiFor) -> None:
    response = api_for(officer_a, purpose=None).post(
        _url("intelligence-list"), _intelligence_body(person_a), format="json"
    )
    assert response.status_code == 400
    assert "purpose" in response.json()
    assert IntelligenceItem.objects.filter(person=person_a).count() == 2


def test_a_role_without_personal_data_is_refused_before_the_purpose_is_asked(auditor: User, api_for: ApiFor) -> None:
    response = api_for(auditor, purpose=None).get(_url("person-list"))
    assert response.status_code == 403
    assert "personal data" in response.json()["detail"]


def test_recording_a_person_reports_field_errors(officer_a: User, api_for: ApiFor) -> None:
    body = {"bcu": "atlantis", "date_of_birth": "not a date", "gender": "robot", "aliases": "JJ", "purpose": "t"}
    response = api_for(officer_a).post(_url("person-list"), body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"bcu", "full_name", "date_of_birth", "gender", "aliases"}
    assert not Person.objects.exists()


def test_service_validation_errors_come_back_as_field_errors(officer_a: User, api_for: ApiFor) -> None:
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    body = {"bcu": "central-east", "full_name": "Casey Sample", "date_of_birth": future, "purpose": "test"}
    response = api_for(officer_a).post(_url("person-list"), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"date_of_birth": ["Date of birth must be a real date in the past."]}


def test_borough_must_be_in_the_bcu(officer_a: User, api_for: ApiFor) -> None:
    body = {"bcu": "central-east", "full_name": "Casey Sample", "borough": "Barnet", "purpose": "test"}
    response = api_for(officer_a).post(_url("person-list"), body, format="json")
    assert response.status_code == 400
    assert "borough" in response.json()


@pytest.mark.parametrize("persona", ["officer_b", "central"])
def test_recording_a_person_outside_your_rights_is_forbidden(
    request: pytest.FixtureRequest, api_for: ApiFor, persona: str
) -> None:
    body = {"bcu": "central-east", "full_name": "Casey Sample", "purpose": "test"}
    response = api_for(request.getfixturevalue(persona)).post(_url("person-list"), body, format="json")
    assert response.status_code == 403
    assert not Person.objects.exists()


# Intelligence ----------------------------------------------------------------------------------------------------


def test_adding_intelligence_returns_its_grade_and_nature(officer_a: User, person_a: Person, api_for: ApiFor) -> None:
    response = api_for(officer_a).post(
        _url("intelligence-list"), _intelligence_body(person_a), format="json", HTTP_X_CUSTOS_PURPOSE="Op Ash"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["grade"] == "2CP"
    assert body["nature"] == "assessment"
    assert body["category"] == "suspected_offender"
    assert body["verification"] == "not_required"
    assert body["handling"] == "P"
    assert body["handling_conditions"] == ""
    assert body["person"] == str(person_a.pk)
    assert "source_reference" not in body
    assert response["Location"] == _url("intelligence-detail", item_id=body["id"])
    event = _last(Verb.INTELLIGENCE_ADDED)
    assert event.object_ref == f"intelligence:{body['id']}"
    assert event.targets == [person_a.ref]
    assert event.purpose == "Op Ash"
    assert _last(Verb.SCORE_COMPUTED).targets == [person_a.ref]
    assert not AuditEvent.objects.filter(verb=Verb.PERSON_CONSULTED).exists()


def test_social_media_intelligence_starts_unverified(officer_a: User, person_a: Person, api_for: ApiFor) -> None:
    body = _intelligence_body(
        person_a, source_type="social_media", handling="C", handling_conditions="Not for onward sharing"
    )
    response = api_for(officer_a).post(_url("intelligence-list"), body, format="json")
    assert response.status_code == 201
    assert response.json()["verification"] == "unverified"
    assert response.json()["grade"] == "2CC"
    assert response.json()["handling_conditions"] == "Not for onward sharing"


def test_adding_intelligence_reports_field_errors(officer_a: User, person_a: Person, api_for: ApiFor) -> None:
    body = _intelligence_body(person_a, nature="rumour", source_grade="9", occurred_on="yesterday")
    del body["summary"]
    response = api_for(officer_a).post(_url("intelligence-list"), body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"nature", "source_grade", "occurred_on", "summary"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"handling": "C"}, "handling_conditions"),
        ({"criterion": "victimisation"}, "criterion"),
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
    ],
)
def test_rules_of_the_item_come_back_as_field_errors(
    officer_a: User, person_a: Person, api_for: ApiFor, overrides: dict[str, str], field: str
) -> None:
    before = IntelligenceItem.objects.count()
    response = api_for(officer_a).post(
        _url("intelligence-list"), _intelligence_body(person_a, **overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert IntelligenceItem.objects.count() == before


def test_a_broken_rule_comes_back_as_its_message(officer_a: User, person_a: Person, api_for: ApiFor) -> None:
    Rubric.objects.update(is_active=False)
    before = IntelligenceItem.objects.count()
    response = api_for(officer_a).post(_url("intelligence-list"), _intelligence_body(person_a), format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "No harm-score rubric is loaded: run 'custos init'."}
    assert IntelligenceItem.objects.count() == before


def test_intelligence_about_a_person_of_another_bcu_is_not_found(
    officer_b: User, person_a: Person, api_for: ApiFor
) -> None:
    before = IntelligenceItem.objects.count()
    client = api_for(officer_b)
    response = client.post(_url("intelligence-list"), _intelligence_body(person_a), format="json")
    assert response.status_code == 404
    unknown = client.post(
        _url("intelligence-list"), _intelligence_body(person_a, person=str(uuid.uuid4())), format="json"
    )
    assert unknown.status_code == 404
    assert IntelligenceItem.objects.count() == before


def test_central_governance_may_read_but_not_add_intelligence(
    central: User, person_a: Person, item_a: IntelligenceItem, api_for: ApiFor
) -> None:
    client = api_for(central)
    assert client.get(_url("intelligence-detail", item_id=item_a.pk)).status_code == 200
    response = client.post(_url("intelligence-list"), _intelligence_body(person_a), format="json")
    assert response.status_code == 403


def test_a_gang_must_be_in_the_persons_bcu(
    officer_a: User,
    spoc_a: User,
    officer_b: User,
    bcu_a: BCU,
    bcu_b: BCU,
    person_a: Person,
    api_for: ApiFor,
    make_user: Callable[..., User],
) -> None:
    review = timezone.localdate() + dt.timedelta(days=90)
    spoc_b = make_user("spoc_b", Role.BCU_SPOC, bcu_b)
    theirs = gang_create(
        actor=spoc_b, bcu=bcu_b, name="North Crew", evidence_basis="Joint operation report", review_date=review
    )
    ours = gang_create(
        actor=spoc_a, bcu=bcu_a, name="East Crew", evidence_basis="Joint operation report", review_date=review
    )
    client = api_for(officer_a)
    refused = client.post(_url("intelligence-list"), _intelligence_body(person_a, gang=str(theirs.pk)), format="json")
    assert refused.status_code == 400
    assert "gang" in refused.json()
    added = client.post(_url("intelligence-list"), _intelligence_body(person_a, gang=str(ours.pk)), format="json")
    assert added.status_code == 201
    assert added.json()["gang"] == {"id": str(ours.pk), "name": "East Crew"}
    assert Gang.objects.count() == 2


def test_intelligence_list_in_scope_and_logged(
    officer_a: User, officer_b: User, person_a: Person, api_for: ApiFor
) -> None:
    other = a_person(officer_b, full_name="Sam Other")
    an_item(officer_b, other)
    response = api_for(officer_a).get(_url("intelligence-list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["person"] for row in body["results"]} == {str(person_a.pk)}
    first = body["results"][0]
    for key in ("grade", "nature", "category", "verification", "handling", "handling_conditions", "summary"):
        assert key in first
    event = _last(Verb.INTELLIGENCE_LISTED)
    assert event.targets == [person_a.ref]
    assert sorted(event.detail["items"]) == sorted(row["id"] for row in body["results"])
    assert event.purpose == API_PURPOSE


def test_intelligence_list_for_one_person(officer_a: User, person_a: Person, api_for: ApiFor) -> None:
    other = a_person(officer_a, full_name="Sam Other")
    an_item(officer_a, other)
    client = api_for(officer_a)
    body = client.get(_url("intelligence-list"), {"person": str(other.pk)}).json()
    assert body["count"] == 1
    assert body["results"][0]["person"] == str(other.pk)
    assert _last(Verb.INTELLIGENCE_LISTED).targets == [other.ref]
    assert client.get(_url("intelligence-list"), {"person": "not-a-uuid"}).status_code == 400


def test_intelligence_list_for_a_person_out_of_scope_is_empty(
    officer_b: User, person_a: Person, api_for: ApiFor
) -> None:
    body = api_for(officer_b).get(_url("intelligence-list"), {"person": str(person_a.pk)}).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert _last(Verb.INTELLIGENCE_LISTED).targets == []


def test_intelligence_detail_in_scope_is_shown_and_logged(
    officer_a: User, person_a: Person, item_a: IntelligenceItem, api_for: ApiFor
) -> None:
    response = api_for(officer_a).get(_url("intelligence-detail", item_id=item_a.pk), HTTP_X_CUSTOS_PURPOSE="Review")
    assert response.status_code == 200
    body = response.json()
    assert body["grade"] == "1BP"
    assert body["nature"] == "fact"
    assert body["summary"] == "Seen carrying a bladed article at Mare Street"
    event = _last(Verb.INTELLIGENCE_CONSULTED)
    assert event.object_ref == item_a.ref
    assert event.targets == [person_a.ref]
    assert event.purpose == "Review"


def test_intelligence_of_another_bcu_is_not_found(officer_b: User, item_a: IntelligenceItem, api_for: ApiFor) -> None:
    client = api_for(officer_b)
    assert client.get(_url("intelligence-detail", item_id=item_a.pk)).status_code == 404
    assert client.get(_url("intelligence-detail", item_id=uuid.uuid4())).status_code == 404
    assert not AuditEvent.objects.filter(verb=Verb.INTELLIGENCE_CONSULTED).exists()


# The matrix ------------------------------------------------------------------------------------------------------


def test_matrix_lists_nominations_in_scope_and_logs_the_people(
    officer_a: User, officer_b: User, nomination_a: Nomination, api_for: ApiFor
) -> None:
    response = api_for(officer_a).get(_url("nominal-list"), HTTP_X_CUSTOS_PURPOSE="Weekly tasking")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert row["id"] == str(nomination_a.pk)
    assert row["status"] == "proposed"
    assert row["band"] == ""
    assert row["bcu"] == "central-east"
    assert row["person"]["id"] == str(nomination_a.person_id)
    assert row["person"]["categories"] == ["suspected_offender"]
    assert row["person"]["score"]["recommended_band"] in {"red", "amber", "green", ""}
    event = _last(Verb.MATRIX_LISTED)
    assert event.targets == [f"person:{nomination_a.person_id}"]
    assert event.purpose == "Weekly tasking"
    assert api_for(officer_b).get(_url("nominal-list")).json()["count"] == 0
    assert _last(Verb.MATRIX_LISTED).targets == []


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ({"band": "none"}, 1),
        ({"band": "red"}, 0),
        ({"status": "proposed"}, 1),
        ({"status": "active"}, 0),
        ({"category": "suspected_offender"}, 1),
        ({"category": "victim"}, 0),
        ({"bcu": "central-east"}, 1),
        ({"bcu": "north-area"}, 0),
    ],
)
def test_matrix_filters(
    officer_a: User, nomination_a: Nomination, api_for: ApiFor, query: dict[str, str], count: int
) -> None:
    response = api_for(officer_a).get(_url("nominal-list"), query)
    assert response.status_code == 200
    assert response.json()["count"] == count
    assert _last(Verb.MATRIX_LISTED).detail["filters"] == query


def test_matrix_refuses_unknown_filter_values(officer_a: User, api_for: ApiFor) -> None:
    response = api_for(officer_a).get(_url("nominal-list"), {"band": "purple", "status": "maybe"})
    assert response.status_code == 400
    assert set(response.json()) == {"band", "status"}


def test_matrix_central_sees_every_bcu(central: User, nomination_a: Nomination, api_for: ApiFor) -> None:
    assert api_for(central).get(_url("nominal-list")).json()["count"] == 1


def test_nominal_detail_in_scope_is_shown_and_logged(
    officer_a: User, nomination_a: Nomination, api_for: ApiFor
) -> None:
    response = api_for(officer_a).get(_url("nominal-detail", nomination_id=nomination_a.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["reasons"] == "Two independent sources on violence"
    assert len(body["corroborating_items"]) == 2
    assert body["proposed_by"] == "officer_a"
    assert body["activated_by"] is None
    assert body["decisions"] == []
    event = _last(Verb.NOMINATION_CONSULTED)
    assert event.object_ref == nomination_a.ref
    assert event.targets == [f"person:{nomination_a.person_id}"]
    assert event.purpose == API_PURPOSE


def test_nominal_of_another_bcu_is_not_found(officer_b: User, nomination_a: Nomination, api_for: ApiFor) -> None:
    client = api_for(officer_b)
    assert client.get(_url("nominal-detail", nomination_id=nomination_a.pk)).status_code == 404
    assert client.get(_url("nominal-detail", nomination_id=uuid.uuid4())).status_code == 404
    assert not AuditEvent.objects.filter(verb=Verb.NOMINATION_CONSULTED).exists()


# The schema ------------------------------------------------------------------------------------------------------


def _api_routes() -> set[str]:
    """Every route of the ``api`` namespace, as an OpenAPI path."""
    resolver = get_resolver()
    [api] = [p for p in resolver.url_patterns if isinstance(p, URLResolver) and p.namespace == "api"]
    routes = set()
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern).replace("<uuid:", "{").replace(">", "}")
        routes.add(f"/{api.pattern}{route}")
    return routes


def test_openapi_schema_is_valid_and_covers_every_route(officer_a: User, api_for: ApiFor) -> None:
    response = api_for(officer_a).get(_url("openapi"))
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    # The register's own routes here; the sharing API's are covered by custos/sharing/tests/test_api.py.
    register_paths = {p: ops for p, ops in schema["paths"].items() if not p.startswith("/api/v1/sharing/")}
    assert set(register_paths) == {r for r in _api_routes() if not r.startswith("/api/v1/sharing/")} - {
        "/api/v1/openapi.json"
    }
    operations = {(method, path) for path, ops in register_paths.items() for method in ops}
    assert operations == {
        ("get", "/api/v1/nominals/"),
        ("get", "/api/v1/nominals/{nomination_id}/"),
        ("get", "/api/v1/people/"),
        ("post", "/api/v1/people/"),
        ("get", "/api/v1/people/{person_id}/"),
        ("get", "/api/v1/intelligence/"),
        ("post", "/api/v1/intelligence/"),
        ("get", "/api/v1/intelligence/{item_id}/"),
    }
    for path, ops in register_paths.items():
        for method, op in ops.items():
            assert op["security"] == [{"apiToken": []}], (method, path)
            assert "401" in op["responses"], (method, path)
            assert any(p["name"] == "X-Custos-Purpose" for p in op["parameters"]), (method, path)
    item = schema["components"]["schemas"]["IntelligenceOutput"]["properties"]
    for key in ("grade", "nature", "category", "verification", "handling", "handling_conditions"):
        assert key in item


def test_openapi_schema_generates_without_warnings(tmp_path: Any) -> None:
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--format", "openapi-json", "--file", tmp_path / "s.json"
    )


def test_openapi_schema_needs_a_token_not_a_session(officer_a: User) -> None:
    client = APIClient()
    client.force_login(officer_a)
    assert client.get(_url("openapi")).status_code == 401
