"""Reading the log: who may, how references and purposes are understood, what the patterns report counts."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.audit import policies
from custos.audit.models import AuditEvent, Verb
from custos.audit.selectors import (
    LogFilters,
    events_matching,
    log_page_for,
    patterns_for,
    person_ref_parse,
    person_short_ref,
    purpose_declared,
)
from custos.audit.services import Actor, consultation_record
from custos.register import selectors as register_selectors
from custos.register.models import BCU
from custos.register.tests.factories import a_person

PK = uuid.UUID("1a2b3c4d-0000-4000-8000-000000000001")


@pytest.mark.parametrize(
    ("role", "reads", "exports"),
    [
        (Role.AUDITOR, True, True),
        (Role.DPO, True, True),
        (Role.CENTRAL_GOVERNANCE, True, False),
        (Role.OFFICER, False, False),
        (Role.ANALYST, False, False),
        (Role.BCU_SPOC, False, False),
        (Role.IRU, False, False),
        (Role.SYSADMIN, False, False),
        ("", False, False),
    ],
)
def test_who_may_read_and_export_the_log(role: str, reads: bool, exports: bool) -> None:
    user = SimpleNamespace(role=role, is_active=True)
    assert policies.may_read_log(user) is reads
    assert policies.may_export_log(user) is exports
    assert not policies.may_read_log(SimpleNamespace(role=role, is_active=False))


@pytest.mark.parametrize(
    ("given", "matches"),
    [
        (f"person:{PK}", f"person:{PK}"),
        (str(PK), f"person:{PK}"),
        (str(PK).upper(), f"person:{PK}"),
        ("P-1A2B3C4D", "person:1a2b3c4d"),
        ("p-1a2b3c4d", "person:1a2b3c4d"),
        (" P1A2B3C4D ", "person:1a2b3c4d"),
    ],
)
def test_a_person_is_found_by_full_or_short_reference(given: str, matches: str) -> None:
    assert person_ref_parse(given) == matches


@pytest.mark.parametrize("given", ["Jordan Example", "P-1A2B3C4", "P-1A2B3C4DE", "person:", "nomination:1", ""])
def test_anything_else_is_not_a_person_reference(given: str) -> None:
    with pytest.raises(ValueError, match="P-1A2B3C4D"):
        person_ref_parse(given)


def test_short_references_are_the_registers() -> None:
    assert person_short_ref(f"person:{PK}") == "P-1A2B3C4D"
    assert person_short_ref("gang:3") == "gang:3"


@pytest.mark.parametrize(
    ("purpose", "declared"),
    [
        ("OP-1234: Briefing for the Tuesday tasking meeting", True),
        ("CAD-5512-23: Reviewing a knife incident", True),
        ("web: person page", False),
        ("api: people list", False),
        ("", False),
        ("   ", False),
        ("test", False),
        ("Checking something", False),
    ],
)
def test_a_declared_operation_is_a_reference_and_a_reason(purpose: str, declared: bool) -> None:
    assert purpose_declared(purpose) is declared


@pytest.mark.django_db
def test_reading_the_log_needs_a_role_that_may(officer_a: User) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        log_page_for(viewer=officer_a, filters=LogFilters(), purpose="web: audit log search")
    with pytest.raises(PermissionDenied):
        patterns_for(
            viewer=officer_a,
            date_from=timezone.localdate(),
            date_to=timezone.localdate(),
            daily_limit=200,
            purpose="web: audit patterns",
        )
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_a_london_wide_listing_records_the_bcu_of_each_person_it_names(
    officer_a: User, officer_b: User, central: User, auditor: User
) -> None:
    person_a = a_person(officer_a, full_name="Listed In A")
    person_b = a_person(officer_b, full_name="Listed In B")
    register_selectors.people_page_for(viewer=central, purpose="OP-1: Reviewing both BCUs")
    event = AuditEvent.objects.filter(verb=Verb.PEOPLE_LISTED).get()
    by_ref = dict(zip(event.targets, event.detail["target_bcus"], strict=True))
    assert by_ref == {person_a.ref: "central-east", person_b.ref: "north-area"}
    assert "bcu" not in event.detail

    register_selectors.people_page_for(viewer=officer_a, purpose="OP-1: Reviewing my BCU")
    own = AuditEvent.objects.filter(verb=Verb.PEOPLE_LISTED).order_by("-seq").first()
    assert own is not None
    assert own.detail["bcu"] == "central-east"

    # Searching by BCU finds the London-wide listing through either person's BCU.
    for code in ("central-east", "north-area"):
        assert event.seq in set(events_matching(LogFilters(bcu=code)).values_list("seq", flat=True))
    assert event.seq not in set(events_matching(LogFilters(bcu="south-area")).values_list("seq", flat=True))


@pytest.mark.django_db
def test_the_patterns_report_reads_per_target_bcus_and_ignores_london_wide_roles(
    officer_a: User, central: User, auditor: User, bcu_b: BCU
) -> None:
    mover = Actor(id=officer_a.pk, username="officer_a", role=Role.OFFICER, bcu="central-east")
    refs = [f"person:{uuid.uuid4()}" for _ in range(3)]
    consultation_record(
        actor=mover,
        verb=Verb.MATRIX_LISTED,
        object_type="matrix",
        targets=refs,
        purpose="OP-9: Reviewing the matrix",
        detail={"target_bcus": ["central-east", bcu_b.code, bcu_b.code]},
    )
    consultation_record(
        actor=central,
        verb=Verb.PERSON_CONSULTED,
        object_type="person",
        object_ref=refs[1],
        purpose="OP-9: Reviewing the matrix",
        detail={"bcu": bcu_b.code},
    )
    today = timezone.localdate()
    report = patterns_for(
        viewer=auditor, date_from=today - dt.timedelta(days=1), date_to=today, daily_limit=2, purpose="web: t"
    )
    assert [(r.actor.username, r.people, r.consultations, r.bcus) for r in report.outside_bcu] == [
        ("officer_a", 2, 1, [bcu_b.code])
    ]
    assert [(r.actor.username, r.people) for r in report.busy_days] == [("officer_a", 3)]
    assert report.undeclared == []
    assert report.consultations == 2
    reviewed = AuditEvent.objects.order_by("-seq").first()
    assert reviewed is not None
    assert reviewed.verb == Verb.AUDIT_PATTERNS_REVIEWED
    assert reviewed.actor_username == "auditor"
