"""Builders for retention tests, going through the real register services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from custos.accounts.models import User
from custos.register.models import Nomination, Person
from custos.register.services import nomination_activate, nomination_propose, rag_decide
from custos.register.tests.factories import a_person, an_item

REASONS = "Two independent sources corroborate serious violence."


def a_nominal(officer: User, spoc: User, *, band: str = "green", name: str = "Jordan Example", **items: Any) -> Person:
    """A person with two corroborating items, nominated, activated and banded."""
    person = a_person(officer, full_name=name)
    an_item(officer, person, source_reference="CAD 1", **items)
    an_item(officer, person, source_reference="CAD 2", source_type="partner_agency", **items)
    nomination = nomination_propose(actor=officer, person=person, reasons=REASONS)
    nomination_activate(actor=spoc, nomination=nomination, reasons=REASONS)
    rag_decide(actor=spoc, nomination=Nomination.objects.get(pk=nomination.pk), band=band, reasons=REASONS)
    return person


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def later(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)
