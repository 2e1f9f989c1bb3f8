"""No log, no action: when the s.62 log cannot be written, reads and writes are refused with 503.

A database trigger makes every insert into the event table fail (on SQLite
and on PostgreSQL alike). Each test first shows the page or call works while
the log works, then breaks the store and checks that the answer is 503 with
the plain message, that nothing personal is in it, and that nothing was
written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from custos.accounts.models import User
from custos.accounts.services import api_token_issue
from custos.accounts.tests.helpers import with_purpose
from custos.audit.models import AuditEvent
from custos.audit.services import UNAVAILABLE_MESSAGE
from custos.audit.tests.failing_store import audit_inserts_fail
from custos.register import services
from custos.register.models import BCU, Person
from custos.register.tests.factories import a_person, an_item
from tests.mfa import mfa_verified

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
NAME = "Perpetua Failclosed"
ALIAS = "Petty F"
ADDRESS = "7 Shutdown Row, London E9 9ZZ"
PURPOSE = "OP-5031: Checking the register refuses without a log"


@pytest.fixture
def nominee(officer_a: User) -> Person:
    """A person of BCU A on the matrix (proposed), with a distinctive name, alias and address."""
    person = a_person(officer_a, full_name=NAME, aliases=[ALIAS], addresses=[ADDRESS])
    an_item(officer_a, person, source_reference="CAD 1")
    an_item(officer_a, person, source_type="partner_agency", source_reference="YOS 2", criterion="weapon_knife")
    services.nomination_propose(actor=officer_a, person=person, reasons="Two independent sources: violence, knife.")
    return person


def web_client(client_for: ClientFor, user: User) -> Client:
    return with_purpose(client_for(user))


def api_client(user: User) -> APIClient:
    _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="fail-closed tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_CUSTOS_PURPOSE=PURPOSE)
    return client


def assert_refused_showing_nothing(body: str) -> None:
    for needle in (NAME, "Perpetua", "Failclosed", ALIAS, ADDRESS, "Shutdown Row"):
        assert needle not in body, needle


@pytest.mark.parametrize("page", ["person", "matrix", "people"])
def test_a_page_of_personal_data_answers_503_and_shows_nothing(
    page: str, officer_a: User, nominee: Person, client_for: ClientFor
) -> None:
    client = web_client(client_for, officer_a)
    url = reverse("web:person", args=[nominee.pk]) if page == "person" else reverse(f"web:{page}")
    working = client.get(url)
    assert working.status_code == 200
    assert NAME in working.content.decode()

    audit_inserts_fail()
    events = AuditEvent.objects.count()
    response = client.get(url)

    assert response.status_code == 503
    body = response.content.decode()
    assert UNAVAILABLE_MESSAGE in body
    assert_refused_showing_nothing(body)
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.count() == events


def test_adding_a_person_answers_503_and_writes_nothing(officer_a: User, bcu_a: BCU, client_for: ClientFor) -> None:
    client = web_client(client_for, officer_a)
    assert client.get(reverse("web:person_add")).status_code == 200
    audit_inserts_fail()
    people, events = Person.objects.count(), AuditEvent.objects.count()
    response = client.post(
        reverse("web:person_add"),
        {
            "bcu": str(bcu_a.pk),
            "full_name": NAME,
            "aliases": ALIAS,
            "addresses": ADDRESS,
            "date_of_birth_0": "17",
            "date_of_birth_1": "5",
            "date_of_birth_2": "2001",
        },
    )
    assert response.status_code == 503, response.content.decode()[:2000]
    body = response.content.decode()
    assert UNAVAILABLE_MESSAGE in body
    assert_refused_showing_nothing(body)
    assert Person.objects.count() == people
    assert AuditEvent.objects.count() == events


def test_adding_intelligence_answers_503_and_writes_nothing(
    officer_a: User, nominee: Person, client_for: ClientFor
) -> None:
    client = web_client(client_for, officer_a)
    items = nominee.intelligence.count()
    audit_inserts_fail()
    when = dt.date.today() - dt.timedelta(days=3)
    response = client.post(
        reverse("web:intelligence_add", args=[nominee.pk]),
        {
            "category": "suspected_offender",
            "occurred_on_0": str(when.day),
            "occurred_on_1": str(when.month),
            "occurred_on_2": str(when.year),
            "criterion": "serious_violence",
            "summary": "Seen at Mare Street",
            "nature": "fact",
            "source_type": "police",
            "source_reference": "CAD 3",
            "source_grade": "1",
            "intel_grade": "B",
            "handling": "P",
        },
    )
    # The person is read (and the read must be logged) before the form is even looked at.
    assert response.status_code == 503
    assert_refused_showing_nothing(response.content.decode())
    assert nominee.intelligence.count() == items


def test_the_api_refuses_a_read_with_503_and_returns_nothing(officer_a: User, nominee: Person) -> None:
    client = api_client(officer_a)
    url = reverse("api:person-detail", args=[nominee.pk])
    assert client.get(url).json()["full_name"] == NAME
    audit_inserts_fail()
    events = AuditEvent.objects.count()

    for address in (url, reverse("api:person-list"), reverse("api:nominal-list")):
        response = client.get(address)
        assert response.status_code == 503, address
        assert response.json() == {"detail": UNAVAILABLE_MESSAGE}
        assert_refused_showing_nothing(response.content.decode())
    assert AuditEvent.objects.count() == events


def test_the_api_refuses_a_write_with_503_and_writes_nothing(officer_a: User, bcu_a: object) -> None:
    client = api_client(officer_a)
    audit_inserts_fail()
    people = Person.objects.count()
    body = {
        "bcu": "central-east",
        "full_name": NAME,
        "date_of_birth": "2001-05-17",
        "aliases": [ALIAS],
        "addresses": [ADDRESS],
        "purpose": PURPOSE,
    }
    response = client.post(reverse("api:person-list"), body, format="json")
    assert response.status_code == 503
    assert response.json() == {"detail": UNAVAILABLE_MESSAGE}
    assert Person.objects.count() == people


def test_signing_in_is_refused_too_when_it_cannot_be_logged(officer_a: User, client_for: ClientFor) -> None:
    """Every page that records an event fails closed, not only the register's."""
    client = web_client(client_for, officer_a)
    audit_inserts_fail()
    response = client.post(reverse("web:logout"))
    assert response.status_code == 503
    assert UNAVAILABLE_MESSAGE in response.content.decode()


def test_an_auditor_sees_no_events_when_the_search_cannot_be_logged(
    auditor: User, officer_a: User, nominee: Person, client_for: ClientFor
) -> None:
    client = client_for(auditor)
    assert client.get(reverse("web:audit_log")).status_code == 200
    audit_inserts_fail()
    response = client.get(reverse("web:audit_log"))
    assert response.status_code == 503
    assert nominee.ref not in response.content.decode()
    assert 'id="audit-events"' not in response.content.decode()
