"""Fixtures for the data-subject rights tests: the IRU, the DPO, a person with a record, disclosures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from custos.accounts.models import Role, User
from custos.accounts.tests.helpers import with_purpose
from custos.register import services as register_services
from custos.register.models import BCU, Person
from custos.register.tests.factories import a_person, an_item

REASONS = "Two independent sources report serious violence and a knife."


@pytest.fixture
def iru(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("iru", Role.IRU)


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)


@pytest.fixture
def person(officer_a: User, spoc_a: User) -> Person:
    """A nominal with two independent items, an active nomination with a band."""
    person = a_person(officer_a, full_name="Jordan Example", aliases=["JJ"], date_of_birth=dt.date(2001, 5, 17))
    an_item(officer_a, person, source_reference="CAD 1", summary="Seen carrying a bladed article at Mare Street")
    an_item(
        officer_a,
        person,
        source_type="partner_agency",
        source_reference="YOS 2",
        criterion="weapon_knife",
        nature="assessment",
        summary="Youth offending team assesses knife carrying as likely",
    )
    nomination = register_services.nomination_propose(actor=officer_a, person=person, reasons=REASONS)
    register_services.nomination_activate(actor=spoc_a, nomination=nomination, reasons="Confirmed on the evidence.")
    register_services.rag_decide(actor=spoc_a, nomination=nomination, band="amber", reasons="Recent violence, a knife.")
    return person


@pytest.fixture
def client_for(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """The project's ``client_for``, with a purpose declared in the session."""

    def make(user: User) -> Client:
        return with_purpose(client_for(user))

    return make


@pytest.fixture
def bcu(bcu_a: BCU) -> BCU:
    return bcu_a
