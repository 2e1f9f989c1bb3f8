"""Helpers for the data-subject rights tests: a disclosure as the sharing app records it, a request."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import AuditEvent
from custos.audit.services import event_record
from custos.register.models import Person
from custos.rights import services
from custos.rights.models import Kind, SubjectRequest

REQUESTER = {
    "requester_name": "Jordan Example",
    "requester_contact": "12 Example Road, London E8 1AA",
    "identity_verification": "Passport seen at the front counter, Stoke Newington.",
}


def disclose(actor: User, person: Person, recipients: Sequence[str], *, fields: Sequence[str] = ()) -> AuditEvent:
    """A disclosure as the sharing app records it: an event naming the person and its recipients."""
    with transaction.atomic():
        return event_record(
            actor=actor,
            verb="disclosure.made",  # type: ignore[arg-type]
            object_type="disclosure",
            object_ref="disclosure:test",
            targets=[person.ref],
            recipients=list(recipients),
            purpose="ISA-12: safeguarding referral",
            detail={"fields": list(fields), "bcu": person.bcu.code},
        )


def receive(actor: User, person: Person, kind: str = Kind.ACCESS, **overrides: object) -> SubjectRequest:
    values: dict[str, object] = {"received_on": timezone.localdate(), **REQUESTER}
    values.update(overrides)
    return services.request_receive(actor=actor, person=person, kind=kind, purpose="IRU-1: request", **values)  # type: ignore[arg-type]
