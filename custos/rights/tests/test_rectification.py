"""Rectification (s.46): the blind index follows the correction; earlier recipients are listed and told (s.48(4))."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from custos.accounts.models import User
from custos.audit.models import AuditEvent, Verb
from custos.register import services as register_services
from custos.register.models import Person, PersonIndex
from custos.register.selectors import people_search_for
from custos.register.services import RuleBroken
from custos.retention.services import person_restrict
from custos.rights import services
from custos.rights.models import Kind, RecipientNotice, Rectification, SubjectRequest
from custos.rights.tests.helpers import disclose, receive

pytestmark = pytest.mark.django_db


def _found(viewer: User, **terms: object) -> list[Person]:
    return people_search_for(viewer=viewer, purpose="test", **terms)  # type: ignore[arg-type]


def test_a_corrected_name_is_found_and_the_old_one_is_not(iru: User, officer_a: User, person: Person) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    assert _found(officer_a, name="Jordan Example") == [person]
    rectification = services.rectify(
        actor=iru, request=request, field="full_name", value="Jordon Exampel", reasons="Misspelt when first recorded."
    )
    assert _found(officer_a, name="Jordon Exampel") == [person]
    assert _found(officer_a, name="Jordan Example") == []
    assert _found(officer_a, name="JJ") == [person]  # the aliases are indexed still
    assert Person.objects.get(pk=person.pk).full_name == "Jordon Exampel"
    assert rectification.old_value == "Jordan Example"
    assert rectification.new_value == "Jordon Exampel"
    [event] = AuditEvent.objects.filter(verb=Verb.PERSON_RECTIFIED)
    assert event.object_ref == person.ref
    assert event.detail["field"] == "full_name"
    assert "Jord" not in str(event.detail)


def test_corrected_aliases_and_date_of_birth_are_reindexed(iru: User, officer_a: User, person: Person) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    services.rectify(actor=iru, request=request, field="aliases", value=["Jay", " Jay "], reasons="Never known as JJ.")
    assert _found(officer_a, name="Jay") == [person]
    assert _found(officer_a, name="JJ") == []
    services.rectify(
        actor=iru, request=request, field="date_of_birth", value=dt.date(2001, 7, 5), reasons="Day and month swapped."
    )
    assert _found(officer_a, date_of_birth=dt.date(2001, 7, 5)) == [person]
    assert _found(officer_a, date_of_birth=dt.date(2001, 5, 17)) == []
    kinds = sorted(PersonIndex.objects.filter(person=person).values_list("kind", flat=True))
    assert kinds == ["alias", "dob", "name"]
    stored = list(Rectification.objects.order_by("decided_at").values_list("field_name", flat=True))
    assert stored == ["aliases", "date_of_birth"]
    dob = Rectification.objects.get(field_name="date_of_birth")
    assert (dob.old_value, dob.new_value) == ("2001-05-17", "2001-07-05")


def test_old_and_new_values_are_sealed_at_rest(iru: User, person: Person) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    rectification = services.rectify(
        actor=iru, request=request, field="full_name", value="Jordon Exampel", reasons="Misspelt when first recorded."
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT old_value, new_value, reasons FROM rights_rectification WHERE id = %s",
            [rectification.pk.hex if connection.vendor == "sqlite" else rectification.pk],
        )
        row = cursor.fetchone()
    raw = b"".join(bytes(v) for v in row)
    assert b"Jordan" not in raw
    assert b"Jordon" not in raw
    assert b"Misspelt" not in raw


def test_a_supplementary_statement_completes_an_item(iru: User, person: Person) -> None:
    item = person.intelligence.get(source_type="partner_agency")
    request = receive(iru, person, Kind.RECTIFICATION)
    services.rectify(
        actor=iru,
        request=request,
        field="intelligence_summary",
        value="The subject says the knife was a work tool.",
        item=item,
        reasons="The subject's account completes the record.",
    )
    item.refresh_from_db()
    assert item.summary.startswith("Youth offending team assesses knife carrying as likely")
    assert "Supplementary statement" in item.summary
    assert item.summary.endswith("The subject says the knife was a work tool.")
    [event] = AuditEvent.objects.filter(verb=Verb.PERSON_RECTIFIED)
    assert event.object_ref == item.ref
    assert event.targets == [person.ref]


def test_a_supplement_must_name_one_of_the_persons_items(iru: User, officer_a: User, person: Person) -> None:
    from custos.register.tests.factories import a_person, an_item

    foreign = an_item(officer_a, a_person(officer_a, full_name="Someone Else"))
    request = receive(iru, person, Kind.RECTIFICATION)
    for item in (None, foreign):
        with pytest.raises(ValidationError, match="intelligence items"):
            services.rectify(
                actor=iru, request=request, field="intelligence_summary", value="Text", item=item, reasons="Completes."
            )
    assert not Rectification.objects.exists()


def test_a_restricted_person_cannot_be_rectified(iru: User, person: Person) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    person_restrict(actor=iru, person=person, ground="accuracy_contested", reasons="The accuracy is disputed.")
    with pytest.raises(RuleBroken, match="restricted"):
        services.rectify(
            actor=iru, request=request, field="full_name", value="Jordon Exampel", reasons="Misspelt at first."
        )
    assert Person.objects.get(pk=person.pk).full_name == "Jordan Example"
    assert not Rectification.objects.exists()
    assert not AuditEvent.objects.filter(verb=Verb.PERSON_RECTIFIED).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "Jordan   Example", "same"),
        ("full_name", "  ", "full name"),
        ("date_of_birth", dt.date(2999, 1, 1), "past"),
        ("gender", "female", "Choose"),
        ("full_name", "N" * 201, "200 characters"),
    ],
)
def test_a_bad_correction_is_refused(iru: User, person: Person, field: str, value: object, message: str) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    with pytest.raises(ValidationError, match=message):
        services.rectify(actor=iru, request=request, field=field, value=value, reasons="A good reason to correct.")
    assert Person.objects.get(pk=person.pk).full_name == "Jordan Example"
    assert not Rectification.objects.exists()


def test_a_correction_needs_reasons(iru: User, person: Person) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    with pytest.raises(ValidationError, match="reasons"):
        services.rectify(actor=iru, request=request, field="full_name", value="Jordon Exampel", reasons="typo")


@pytest.mark.parametrize("persona", ["officer_a", "spoc_a", "central", "dpo"])
def test_only_the_iru_rectifies(persona: str, request: pytest.FixtureRequest, iru: User, person: Person) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        register_services.person_rectify(
            actor=user, person=person, field="full_name", value="Jordon Exampel", reasons="Misspelt at first."
        )
    subject_request = receive(iru, person, Kind.RECTIFICATION)
    with pytest.raises(PermissionDenied):
        services.rectify(
            actor=user, request=subject_request, field="full_name", value="Jordon Exampel", reasons="Misspelt at first."
        )
    assert Person.objects.get(pk=person.pk).full_name == "Jordan Example"


def test_every_earlier_recipient_is_listed_then_told(iru: User, spoc_a: User, person: Person) -> None:
    disclose(spoc_a, person, ["Hackney Council", "Homerton School"])
    disclose(spoc_a, person, ["Hackney Council"])
    request = receive(iru, person, Kind.RECTIFICATION)
    rectification = services.rectify(
        actor=iru, request=request, field="full_name", value="Jordon Exampel", reasons="Misspelt when first recorded."
    )
    notices = list(rectification.notices.order_by("recipient"))
    assert [n.recipient for n in notices] == ["Hackney Council", "Homerton School"]
    assert len(notices[0].event_seqs) == 2
    assert all(n.notice_sent_at is None for n in notices)
    with pytest.raises(RuleBroken, match="2 earlier recipient"):
        services.request_close(actor=iru, request=request, outcome="responded", reasons="Corrected as you asked.")
    services.notice_send(actor=iru, notice=notices[0])
    with pytest.raises(RuleBroken, match="already been notified"):
        services.notice_send(actor=iru, notice=notices[0])
    with pytest.raises(RuleBroken, match="1 earlier recipient"):
        services.request_close(actor=iru, request=request, outcome="refused", reasons="Trying to skip the notice.")
    services.notice_send(actor=iru, notice=notices[1])
    services.request_close(actor=iru, request=request, outcome="responded", reasons="Corrected as you asked.")
    assert SubjectRequest.objects.get(pk=request.pk).status == SubjectRequest.Status.RESPONDED
    told = list(AuditEvent.objects.filter(verb=Verb.RECTIFICATION_NOTIFIED).order_by("seq"))
    assert [e.recipients for e in told] == [["Hackney Council"], ["Homerton School"]]
    assert all(e.targets == [person.ref] for e in told)
    assert RecipientNotice.objects.filter(notice_sent_at__isnull=False).count() == 2


def test_with_no_earlier_recipient_there_is_no_one_to_tell(iru: User, person: Person) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    rectification = services.rectify(
        actor=iru, request=request, field="full_name", value="Jordon Exampel", reasons="Misspelt when first recorded."
    )
    assert not rectification.notices.exists()
    services.request_close(actor=iru, request=request, outcome="responded", reasons="Corrected as you asked.")


def test_a_rectification_request_needs_a_correction_before_it_is_answered(iru: User, person: Person) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    with pytest.raises(RuleBroken, match="Nothing has been rectified"):
        services.request_close(actor=iru, request=request, outcome="responded", reasons="Corrected as you asked.")
    services.request_close(actor=iru, request=request, outcome="refused", reasons="The record is accurate: s.46.")
