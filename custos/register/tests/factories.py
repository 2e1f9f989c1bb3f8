"""Builders for register tests that go through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from custos.accounts.models import User
from custos.register.models import Person
from custos.register.services import intelligence_add, person_create


def a_person(actor: User, *, full_name: str = "Jordan Example", **kwargs: Any) -> Person:
    from custos.register.models import BCU

    bcu = kwargs.pop("bcu", None) or BCU.objects.get(code=actor.bcu_code)
    kwargs.setdefault("date_of_birth", dt.date(2001, 5, 17))
    kwargs.setdefault("aliases", ["JJ"])
    kwargs.setdefault("addresses", ["12 Example Road, London E8 1AA"])
    return person_create(actor=actor, bcu=bcu, full_name=full_name, purpose="test", **kwargs)


def an_item(actor: User, person: Person, **overrides: Any):  # type: ignore[no-untyped-def]
    """A verified, graded police item evidencing serious violence by default."""
    values: dict[str, Any] = {
        "category": "suspected_offender",
        "occurred_on": timezone.localdate() - dt.timedelta(days=30),
        "source_type": "police",
        "source_reference": "CAD 1234",
        "source_grade": "1",
        "intel_grade": "B",
        "handling": "P",
        "nature": "fact",
        "criterion": "serious_violence",
        "summary": "Seen carrying a bladed article at Mare Street",
    }
    values.update(overrides)
    return intelligence_add(actor=actor, person=person, purpose="test", **values)
