"""Each rule of data-subject requests, broken: a clear refusal, and nothing changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent, Verb
from custos.register.models import Person
from custos.register.services import RuleBroken
from custos.retention.models import Restriction, Review, Trigger
from custos.retention.services import review_decide
from custos.rights import services
from custos.rights.models import ClockPause, Kind, SubjectRequest, Withholding
from custos.rights.tests.helpers import REQUESTER, receive

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("seq"))


# Receiving -------------------------------------------------------------------------------------------------


def test_the_iru_logs_a_request_with_its_clock(iru: User, person: Person) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=3))
    assert request.status == SubjectRequest.Status.OPEN
    assert request.person_ref == person.ref
    assert request.data_key_id == person.data_key_id
    assert request.handler == iru
    [event] = _events(Verb.REQUEST_RECEIVED)
    assert event.object_ref == request.ref
    assert event.targets == [person.ref]
    assert event.detail["kind"] == "access"
    assert event.detail["due_on"] == services.request_clock(request).due_on.isoformat()
    assert "Jordan" not in str(event.detail) + event.purpose


@pytest.mark.parametrize("persona", ["officer_a", "spoc_a", "central", "dpo", "auditor", "sysadmin"])
def test_only_the_iru_logs_requests(persona: str, request: pytest.FixtureRequest, person: Person) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied, match="Information Rights Unit"):
        receive(user, person)
    assert not SubjectRequest.objects.exists()


def test_an_untrained_iru_member_is_refused(make_user: Callable[..., User], person: Person) -> None:
    untrained = make_user("iru_untrained", Role.IRU, trained=False)
    with pytest.raises(PermissionDenied):
        receive(untrained, person)


def test_a_request_received_in_the_future_is_refused(iru: User, person: Person) -> None:
    with pytest.raises(ValidationError) as caught:
        receive(iru, person, received_on=TODAY + dt.timedelta(days=1))
    assert "received_on" in caught.value.message_dict
    assert not SubjectRequest.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("requester_name", "  "), ("requester_contact", ""), ("identity_verification", "seen")],
)
def test_who_asked_and_how_they_were_verified_are_required(iru: User, person: Person, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        receive(iru, person, **{field: value})
    assert field in caught.value.message_dict
    assert not SubjectRequest.objects.exists()


def test_a_second_open_request_of_the_same_kind_is_refused(iru: User, person: Person) -> None:
    first = receive(iru, person)
    with pytest.raises(RuleBroken, match=first.short_ref):
        receive(iru, person)
    receive(iru, person, Kind.RECTIFICATION)  # another kind is another request
    assert SubjectRequest.objects.count() == 2


def test_requester_details_are_encrypted_at_rest(iru: User, person: Person) -> None:
    request = receive(iru, person, details="Everything you hold on me, please")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT requester_name, requester_contact, identity_verification, details "
            "FROM rights_subjectrequest WHERE id = %s",
            [request.pk.hex if connection.vendor == "sqlite" else request.pk],
        )
        row = cursor.fetchone()
    assert row is not None
    raw = b"".join(bytes(value) for value in row)
    for plaintext in (REQUESTER["requester_name"], "Example Road", "Passport", "Everything you hold"):
        assert plaintext.encode() not in raw
    fresh = SubjectRequest.objects.get(pk=request.pk)
    assert fresh.requester_name == REQUESTER["requester_name"]
    assert fresh.details == "Everything you hold on me, please"


# The clock -------------------------------------------------------------------------------------------------


def test_pausing_and_resuming_moves_the_due_date(iru: User, person: Person) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=10))
    due = services.request_clock(request).due_on
    services.request_pause(
        actor=iru, request=request, started_on=TODAY - dt.timedelta(days=8), reason="Which years do you mean?"
    )
    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.AWAITING_CLARIFICATION
    assert services.request_clock(request).paused
    services.request_resume(actor=iru, request=request, ended_on=TODAY - dt.timedelta(days=2))
    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.OPEN
    assert services.request_clock(request).due_on == due + dt.timedelta(days=6)
    changes = [e.detail["change"] for e in _events(Verb.REQUEST_CLOCK_CHANGED)]
    assert changes == ["paused", "resumed"]


def test_the_clock_cannot_be_stopped_twice(iru: User, person: Person) -> None:
    request = receive(iru, person)
    services.request_pause(actor=iru, request=request, started_on=TODAY, reason="Which years do you mean?")
    with pytest.raises(RuleBroken, match="already stopped"):
        services.request_pause(actor=iru, request=request, started_on=TODAY, reason="Which years do you mean?")
    assert ClockPause.objects.count() == 1


@pytest.mark.parametrize(
    ("started", "message"),
    [(1, "future"), (-11, "before the request was received")],
)
def test_the_clock_cannot_be_stopped_on_an_impossible_day(
    iru: User, person: Person, started: int, message: str
) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=10))
    with pytest.raises(ValidationError, match=message):
        services.request_pause(
            actor=iru, request=request, started_on=TODAY + dt.timedelta(days=started), reason="Which years?!!"
        )
    assert not ClockPause.objects.exists()


def test_a_late_request_cannot_be_paused_back_into_time(iru: User, person: Person) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=40))
    assert services.request_clock(request).overdue
    with pytest.raises(RuleBroken, match="time limit had passed"):
        services.request_pause(actor=iru, request=request, started_on=TODAY, reason="Which years do you mean?")
    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.OPEN


def test_a_pause_needs_its_reason(iru: User, person: Person) -> None:
    request = receive(iru, person)
    with pytest.raises(ValidationError, match="reasons"):
        services.request_pause(actor=iru, request=request, started_on=TODAY, reason="why")


def test_resuming_a_running_clock_is_refused(iru: User, person: Person) -> None:
    request = receive(iru, person)
    with pytest.raises(RuleBroken, match="not stopped"):
        services.request_resume(actor=iru, request=request, ended_on=TODAY)


def test_the_clarification_cannot_arrive_before_it_was_asked_for(iru: User, person: Person) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=5))
    services.request_pause(actor=iru, request=request, started_on=TODAY - dt.timedelta(days=2), reason="Which years?!")
    with pytest.raises(ValidationError, match="before it was asked"):
        services.request_resume(actor=iru, request=request, ended_on=TODAY - dt.timedelta(days=3))
    assert ClockPause.objects.get().ended_on is None


def test_an_extension_of_two_months_within_the_first_month(iru: User, person: Person) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=5))
    services.request_extend(
        actor=iru, request=request, months=2, reasons="Many records across three BCUs.", notice_on=TODAY
    )
    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.EXTENDED
    assert request.extension_reasons == "Many records across three BCUs."
    from custos.rights.clock import add_months

    assert services.request_clock(request).due_on == add_months(request.received_on, 3)
    [event] = _events(Verb.REQUEST_CLOCK_CHANGED)
    assert event.detail["change"] == "extended"
    assert event.detail["months"] == 2


def test_the_time_limit_is_extended_only_once(iru: User, person: Person) -> None:
    request = receive(iru, person)
    services.request_extend(actor=iru, request=request, months=1, reasons="Many records to search.", notice_on=TODAY)
    with pytest.raises(RuleBroken, match="only once"):
        services.request_extend(actor=iru, request=request, months=1, reasons="Still more records.", notice_on=TODAY)
    request.refresh_from_db()
    assert request.extension_months == 1


@pytest.mark.parametrize("months", [0, 3, 12])
def test_an_extension_is_one_or_two_months(iru: User, person: Person, months: int) -> None:
    request = receive(iru, person)
    with pytest.raises(ValidationError, match="one or two"):
        services.request_extend(actor=iru, request=request, months=months, reasons="Many records.", notice_on=TODAY)
    request.refresh_from_db()
    assert request.extension_months == 0


def test_an_extension_notified_after_the_first_month_is_refused(iru: User, person: Person) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=40))
    with pytest.raises(RuleBroken, match="within the first month"):
        services.request_extend(
            actor=iru, request=request, months=2, reasons="Many records to search.", notice_on=TODAY
        )
    request.refresh_from_db()
    assert request.extension_months == 0
    assert not _events(Verb.REQUEST_CLOCK_CHANGED)


def test_the_first_month_is_measured_with_the_stops_of_the_clock(iru: User, person: Person) -> None:
    """Received 40 days ago, but stopped for 15 days: the first month has not ended yet."""
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=40))
    ClockPause.objects.create(
        data_key_id=request.data_key_id,
        request=request,
        started_on=TODAY - dt.timedelta(days=30),
        ended_on=TODAY - dt.timedelta(days=15),
        reason="Which years?",
        started_by=iru,
    )
    services.request_extend(actor=iru, request=request, months=1, reasons="Many records to search.", notice_on=TODAY)
    request.refresh_from_db()
    assert request.extension_months == 1


def test_an_extension_needs_reasons_and_the_iru(iru: User, dpo: User, person: Person) -> None:
    request = receive(iru, person)
    with pytest.raises(ValidationError, match="reasons"):
        services.request_extend(actor=iru, request=request, months=1, reasons="", notice_on=TODAY)
    with pytest.raises(PermissionDenied):
        services.request_extend(actor=dpo, request=request, months=1, reasons="Many records.", notice_on=TODAY)


# Withholding and responding --------------------------------------------------------------------------------


def _item_ref(person: Person) -> str:
    return person.intelligence.order_by("occurred_on", "created_at").first().ref  # type: ignore[union-attr]


def test_a_part_is_withheld_under_a_named_ground(iru: User, person: Person) -> None:
    request = receive(iru, person)
    withholding = services.withholding_add(
        actor=iru, request=request, part=_item_ref(person), ground="offences", reason="Live investigation OP-88."
    )
    assert withholding.reviewer == iru
    [event] = _events(Verb.SAR_WITHHELD)
    assert event.detail == {"request": request.ref, "part": _item_ref(person), "ground": "offences", "told": True}
    assert "OP-88" not in str(event.detail)


@pytest.mark.parametrize("ground", ["", "national_interest"])
def test_withholding_without_a_named_ground_is_refused(iru: User, person: Person, ground: str) -> None:
    request = receive(iru, person)
    with pytest.raises(ValidationError) as caught:
        services.withholding_add(
            actor=iru, request=request, part=_item_ref(person), ground=ground, reason="Live investigation."
        )
    assert "ground" in caught.value.message_dict
    assert not Withholding.objects.exists()
    assert not _events(Verb.SAR_WITHHELD)


def test_withholding_needs_reasons(iru: User, person: Person) -> None:
    request = receive(iru, person)
    with pytest.raises(ValidationError, match="reasons"):
        services.withholding_add(actor=iru, request=request, part=_item_ref(person), ground="offences", reason="")
    assert not Withholding.objects.exists()


def test_only_a_part_of_the_persons_records_can_be_withheld(iru: User, person: Person, officer_a: User) -> None:
    from custos.register.tests.factories import a_person, an_item

    other = a_person(officer_a, full_name="Someone Else")
    foreign_item = an_item(officer_a, other)
    request = receive(iru, person)
    for part in (foreign_item.ref, "section:everything", "intelligence:not-a-uuid"):
        with pytest.raises(ValidationError, match="part"):
            services.withholding_add(actor=iru, request=request, part=part, ground="offences", reason="Live case OP-1.")
    assert not Withholding.objects.exists()


def test_a_part_is_withheld_once(iru: User, person: Person) -> None:
    request = receive(iru, person)
    services.withholding_add(
        actor=iru, request=request, part="section:disclosures", ground="inquiry", reason="Live inquiry."
    )
    with pytest.raises(RuleBroken, match="already withheld"):
        services.withholding_add(
            actor=iru, request=request, part="section:disclosures", ground="inquiry", reason="Live inquiry."
        )


def test_only_a_subject_access_request_has_withholdings(iru: User, person: Person) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    with pytest.raises(RuleBroken, match="subject access"):
        services.withholding_add(
            actor=iru, request=request, part="section:disclosures", ground="inquiry", reason="Live inquiry."
        )


@pytest.mark.parametrize("persona", ["dpo", "central", "spoc_a"])
def test_only_the_iru_withholds(persona: str, request: pytest.FixtureRequest, iru: User, person: Person) -> None:
    user: User = request.getfixturevalue(persona)
    subject_request = receive(iru, person)
    with pytest.raises(PermissionDenied):
        services.withholding_add(
            actor=user, request=subject_request, part="section:disclosures", ground="inquiry", reason="Live inquiry."
        )


def test_the_response_is_kept_with_its_hashes_and_what_was_withheld(iru: User, person: Person) -> None:
    import hashlib

    request = receive(iru, person)
    services.withholding_add(
        actor=iru, request=request, part=_item_ref(person), ground="offences", reason="Live investigation."
    )
    response = services.sar_respond(actor=iru, request=request, purpose="IRU-1: response")
    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.RESPONDED
    assert request.closed_on == TODAY
    files = services.response_files(response)
    assert files["pdf"].startswith(b"%PDF-")
    assert response.sha256 == {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
    assert response.withheld_count == 1
    assert response.withheld_refs == [_item_ref(person)]
    [event] = _events(Verb.SAR_RESPONDED)
    assert event.detail["sha256"] == response.sha256
    assert event.detail["withheld_parts"] == [_item_ref(person)]
    assert event.detail["in_time"] is True
    # Nothing more once it is sent: no second response, no late withholding.
    with pytest.raises(RuleBroken, match="responded"):
        services.sar_respond(actor=iru, request=request)
    with pytest.raises(RuleBroken, match="responded"):
        services.withholding_add(
            actor=iru, request=request, part="section:disclosures", ground="inquiry", reason="Too late now."
        )


def test_no_response_while_the_clock_is_stopped(iru: User, person: Person) -> None:
    request = receive(iru, person)
    services.request_pause(actor=iru, request=request, started_on=TODAY, reason="Which years do you mean?")
    with pytest.raises(RuleBroken, match="clarification"):
        services.sar_respond(actor=iru, request=request)
    assert not _events(Verb.SAR_RESPONDED)


def test_no_package_for_an_erased_person(iru: User, person: Person) -> None:
    from custos.retention.services import people_erase

    request = receive(iru, person)
    people_erase(actor=iru, people=[person], reason="subject_request")
    request = SubjectRequest.objects.get(pk=request.pk)  # refresh_from_db would open the sealed fields
    assert request.person is None
    with pytest.raises(RuleBroken, match="erased"):
        services.sar_respond(actor=iru, request=request)
    with pytest.raises(RuleBroken, match="erased"):
        services.withholding_add(
            actor=iru, request=request, part="section:disclosures", ground="inquiry", reason="Live inquiry."
        )


def test_a_restricted_person_is_compiled_for_the_roles_the_restriction_names(iru: User, person: Person) -> None:
    from custos.retention.services import person_restrict

    person_restrict(actor=iru, person=person, ground="accuracy_contested", reasons="The subject disputes the items.")
    request = receive(iru, person)
    response = services.sar_respond(actor=iru, request=request)
    document = services.response_files(response)["json"].decode()
    assert "The subject disputes the items." in document
    assert '"restricted_now": true' in document


def test_a_person_restricted_to_other_roles_is_not_compiled_by_the_iru(iru: User, dpo: User, person: Person) -> None:
    from custos.retention.services import person_restrict

    request = receive(iru, person)
    person_restrict(actor=dpo, person=person, ground="evidence", reasons="Held as evidence for trial.", roles=["dpo"])
    with pytest.raises(RuleBroken, match="restricted to other roles"):
        services.sar_respond(actor=iru, request=request)


# Erasure, restriction, closing -----------------------------------------------------------------------------


def test_an_erasure_request_opens_a_review_a_person_decides(iru: User, spoc_a: User, person: Person) -> None:
    request = receive(iru, person, Kind.ERASURE)
    review = services.request_erasure_review(actor=iru, request=request)
    request.refresh_from_db()
    assert request.review == review
    assert review.trigger == Trigger.SUBJECT_REQUEST
    assert review.status == Review.Status.OPEN
    assert _events(Verb.REVIEW_OPENED)[-1].object_ref == review.ref
    with pytest.raises(RuleBroken, match="already been opened"):
        services.request_erasure_review(actor=iru, request=request)
    with pytest.raises(RuleBroken, match="not been decided"):
        services.request_close(actor=iru, request=request, outcome="responded", reasons="Erased as you asked.")
    review_decide(actor=spoc_a, review=review, decision="remove", reasons="No longer necessary; erase it.")
    services.request_close(actor=iru, request=request, outcome="responded", reasons="Your data will be erased.")
    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.RESPONDED


def test_an_erasure_request_is_refused_for_a_person_already_under_review(iru: User, person: Person) -> None:
    from custos.retention.services import review_open

    review_open(actor=iru, person=person)
    request = receive(iru, person, Kind.ERASURE)
    with pytest.raises(RuleBroken, match="open review"):
        services.request_erasure_review(actor=iru, request=request)
    request.refresh_from_db()
    assert request.review is None


def test_a_restriction_request_restricts_processing(iru: User, officer_a: User, person: Person) -> None:
    from custos.register.selectors import people_visible_to

    request = receive(iru, person, Kind.RESTRICTION)
    restriction = services.request_restrict(actor=iru, request=request, reasons="The subject contests the items.")
    assert restriction.ground == Restriction.Ground.SUBJECT_REQUEST
    request.refresh_from_db()
    assert request.restriction == restriction
    assert not people_visible_to(viewer=officer_a).filter(pk=person.pk).exists()
    with pytest.raises(RuleBroken, match="already been restricted"):
        services.request_restrict(actor=iru, request=request, reasons="The subject contests the items.")


def test_the_wrong_kind_of_request_cannot_be_used(iru: User, person: Person) -> None:
    access = receive(iru, person)
    with pytest.raises(RuleBroken):
        services.request_erasure_review(actor=iru, request=access)
    with pytest.raises(RuleBroken):
        services.request_restrict(actor=iru, request=access, reasons="The subject contests the items.")
    with pytest.raises(RuleBroken):
        services.rectify(actor=iru, request=access, field="full_name", value="New Name", reasons="Misspelt at entry.")
    assert not Review.objects.exists()
    assert not Restriction.objects.exists()


def test_a_subject_access_request_is_answered_only_by_its_response(iru: User, person: Person) -> None:
    request = receive(iru, person)
    with pytest.raises(RuleBroken, match="sending its response"):
        services.request_close(actor=iru, request=request, outcome="responded", reasons="Sent by post.")
    services.request_close(actor=iru, request=request, outcome="refused", reasons="Manifestly unfounded: s.53.")
    request.refresh_from_db()
    assert request.status == SubjectRequest.Status.REFUSED
    assert request.outcome_reasons == "Manifestly unfounded: s.53."
    [event] = _events(Verb.REQUEST_CLOSED)
    assert event.detail["outcome"] == "refused"
    with pytest.raises(RuleBroken, match="refused"):
        services.request_close(actor=iru, request=request, outcome="closed", reasons="Closing it again.")


def test_closing_ends_a_running_stop_of_the_clock(iru: User, person: Person) -> None:
    request = receive(iru, person)
    services.request_pause(actor=iru, request=request, started_on=TODAY, reason="Which years do you mean?")
    services.request_close(actor=iru, request=request, outcome="closed", reasons="No clarification came.")
    assert ClockPause.objects.get().ended_on == TODAY
