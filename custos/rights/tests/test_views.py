"""The data-subject rights pages over HTTP: who reaches them, what they show and log, downloads."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import AuditEvent, Verb
from custos.register.models import Person
from custos.rights import services
from custos.rights.models import Kind, SubjectRequest, Withholding
from custos.rights.tests.helpers import disclose, receive

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ClientFor = Callable[[User], Client]


def _date(name: str, when: dt.date) -> dict[str, str]:
    return {f"{name}_0": str(when.day), f"{name}_1": str(when.month), f"{name}_2": str(when.year)}


def _last(verb: str) -> AuditEvent:
    event = AuditEvent.objects.filter(verb=verb).order_by("-seq").first()
    assert event is not None, f"no {verb} event"
    return event


# The dashboard ---------------------------------------------------------------------------------------------


def test_the_dashboard_shows_clocks_overdue_first_and_no_names(
    iru: User, person: Person, officer_a: User, client_for: ClientFor
) -> None:
    from custos.register.tests.factories import a_person

    late = receive(iru, person, received_on=TODAY - dt.timedelta(days=40))
    paused = receive(iru, a_person(officer_a, full_name="Casey Other"), Kind.RECTIFICATION)
    services.request_pause(actor=iru, request=paused, started_on=TODAY, reason="Which address is wrong?")
    response = client_for(iru).get(reverse("web:requests"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert page.index(late.short_ref) < page.index(paused.short_ref)  # the overdue one first
    row = page[page.index(f'id="request-{late.pk}"') :]
    assert "govuk-tag--red" in row[: row.index("</tr>")]
    assert re.search(r"\d+ days overdue", page)
    assert "paused, " in page
    assert "Jordan Example" not in page
    assert "Casey Other" not in page
    event = _last(Verb.REQUEST_CONSULTED)
    assert sorted(event.targets) == sorted([late.person_ref, paused.person_ref])
    assert event.purpose.startswith("OP-TEST")


@pytest.mark.parametrize(("persona", "status"), [("dpo", 200), ("central", 200), ("officer_a", 403), ("auditor", 403)])
def test_who_sees_the_dashboard(
    persona: str, status: int, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    user: User = request.getfixturevalue(persona)
    assert client_for(user).get(reverse("web:requests")).status_code == status


def test_the_closed_filter(iru: User, person: Person, client_for: ClientFor) -> None:
    request = receive(iru, person)
    services.request_close(actor=iru, request=request, outcome="refused", reasons="Manifestly unfounded.")
    client = client_for(iru)
    assert request.short_ref not in client.get(reverse("web:requests")).content.decode()
    assert request.short_ref in client.get(reverse("web:requests") + "?status=closed").content.decode()


# Receiving -------------------------------------------------------------------------------------------------


def _receive_form(reference: str, kind: str = "access") -> dict[str, str]:
    return {
        "person": reference,
        "kind": kind,
        **_date("received_on", TODAY - dt.timedelta(days=2)),
        "requester_name": "Jordan Example",
        "requester_contact": "12 Example Road",
        "identity_verification": "Passport seen at the front counter.",
    }


def test_a_request_is_logged_by_short_reference(iru: User, person: Person, client_for: ClientFor) -> None:
    client = client_for(iru)
    assert client.get(reverse("web:request_new") + f"?person={person.short_ref}").status_code == 200
    response = client.post(reverse("web:request_new"), _receive_form(person.short_ref))
    request = SubjectRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:request", args=[request.pk])
    assert request.person == person
    assert request.received_on == TODAY - dt.timedelta(days=2)
    assert "Jordan" not in response["Location"]
    verbs = list(AuditEvent.objects.order_by("-seq").values_list("verb", flat=True)[:2])
    assert verbs == [Verb.REQUEST_RECEIVED, Verb.PERSON_CONSULTED]


@pytest.mark.parametrize("reference", ["P-00000000", "nonsense", "person:not-a-uuid"])
def test_an_unknown_reference_is_refused_on_the_form(
    iru: User, person: Person, client_for: ClientFor, reference: str
) -> None:
    response = client_for(iru).post(reverse("web:request_new"), _receive_form(reference))
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert not SubjectRequest.objects.exists()


def test_a_person_out_of_the_iru_s_reach_is_not_found(
    iru: User, dpo: User, person: Person, client_for: ClientFor
) -> None:
    from custos.retention.services import person_restrict

    person_restrict(actor=dpo, person=person, ground="evidence", reasons="Held as evidence for trial.", roles=["dpo"])
    response = client_for(iru).post(reverse("web:request_new"), _receive_form(person.short_ref))
    assert "No person you may see has this reference" in response.content.decode()


def test_the_person_is_found_by_a_post_search(iru: User, person: Person, client_for: ClientFor) -> None:
    client = client_for(iru)
    assert client.get(reverse("web:request_find_person")).status_code == 200
    response = client.post(reverse("web:request_find_person"), {"name": "Jordan Example"})
    page = response.content.decode()
    assert f"?person={person.short_ref}" in page
    assert _last(Verb.PEOPLE_SEARCHED).targets == [person.ref]


@pytest.mark.parametrize("persona", ["dpo", "central", "officer_a"])
def test_only_the_iru_logs_requests_on_the_web(
    persona: str, request: pytest.FixtureRequest, person: Person, client_for: ClientFor
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("web:request_new")).status_code == 403
    assert client.post(reverse("web:request_new"), _receive_form(person.short_ref)).status_code == 403
    assert client.post(reverse("web:request_find_person"), {"name": "Jordan Example"}).status_code == 403
    assert not SubjectRequest.objects.exists()


# One request -----------------------------------------------------------------------------------------------


def test_the_request_page_shows_who_asked_and_the_clock(
    iru: User, dpo: User, person: Person, client_for: ClientFor
) -> None:
    request = receive(iru, person)
    page = client_for(iru).get(reverse("web:request", args=[request.pk])).content.decode()
    assert "Jordan Example" in page
    assert "Passport seen" in page
    assert "Review the package" in page
    assert _last(Verb.REQUEST_CONSULTED).object_ref == request.ref
    readonly = client_for(dpo).get(reverse("web:request", args=[request.pk])).content.decode()
    assert "Passport seen" in readonly
    assert "Review the package" not in readonly  # the DPO sees, does not act


def test_an_unknown_request_is_404_and_a_reader_only_role_403(
    iru: User, officer_a: User, person: Person, client_for: ClientFor
) -> None:
    import uuid

    assert client_for(iru).get(reverse("web:request", args=[uuid.uuid4()])).status_code == 404
    request = receive(iru, person)
    assert client_for(officer_a).get(reverse("web:request", args=[request.pk])).status_code == 403


def test_the_request_of_an_erased_person(iru: User, person: Person, client_for: ClientFor) -> None:
    from custos.retention.services import people_erase

    request = receive(iru, person)
    people_erase(actor=iru, people=[person], reason="subject_request")
    page = client_for(iru).get(reverse("web:request", args=[request.pk])).content.decode()
    assert "Erased with the person" in page
    assert "Passport" not in page
    assert client_for(iru).get(reverse("web:request_package", args=[request.pk])).status_code == 302
    download = client_for(iru).get(reverse("web:request_download", args=[request.pk, "pdf"]), follow=True)
    assert "erased" in download.content.decode()
    assert not AuditEvent.objects.filter(verb=Verb.SAR_COMPILED).exists()


def test_the_clock_pages(iru: User, dpo: User, person: Person, client_for: ClientFor) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=3))
    client = client_for(iru)
    for name in ("web:request_pause", "web:request_extend"):
        assert client.get(reverse(name, args=[request.pk])).status_code == 200
        assert client_for(dpo).get(reverse(name, args=[request.pk])).status_code == 403
    response = client.post(
        reverse("web:request_pause", args=[request.pk]),
        {**_date("started_on", TODAY), "reason": "Which years do you mean?"},
    )
    assert response.status_code == 302
    assert SubjectRequest.objects.get(pk=request.pk).status == SubjectRequest.Status.AWAITING_CLARIFICATION
    response = client.post(reverse("web:request_resume", args=[request.pk]), _date("ended_on", TODAY))
    assert response.status_code == 302
    response = client.post(
        reverse("web:request_extend", args=[request.pk]),
        {"months": "2", **_date("notice_on", TODAY), "reasons": "Records held in three BCUs."},
    )
    assert response.status_code == 302
    assert SubjectRequest.objects.get(pk=request.pk).extension_months == 2


def test_a_refused_extension_is_shown_on_the_form(iru: User, person: Person, client_for: ClientFor) -> None:
    request = receive(iru, person, received_on=TODAY - dt.timedelta(days=40))
    response = client_for(iru).post(
        reverse("web:request_extend", args=[request.pk]),
        {"months": "1", **_date("notice_on", TODAY), "reasons": "Records held in three BCUs."},
    )
    assert response.status_code == 200
    assert "within the first month" in response.content.decode()
    assert _last(Verb.REQUEST_CONSULTED).object_ref == request.ref  # the page shown again was logged


# Subject access --------------------------------------------------------------------------------------------


def test_compile_withhold_download_respond(
    iru: User, dpo: User, spoc_a: User, person: Person, client_for: ClientFor
) -> None:
    disclose(spoc_a, person, ["Hackney Council"])
    request = receive(iru, person)
    client = client_for(iru)
    item = person.intelligence.get(source_type="partner_agency")
    page = client.get(reverse("web:request_package", args=[request.pk])).content.decode()
    assert "Youth offending team assesses" in page
    assert _last(Verb.SAR_COMPILED).detail["format"] == "html"
    assert client_for(dpo).get(reverse("web:request_package", args=[request.pk])).status_code == 403

    withhold = reverse("web:request_withhold", args=[request.pk])
    missing_ground = client.post(withhold, {"part": item.ref, "reason": "Live investigation."})
    assert missing_ground.status_code == 200
    assert "Choose the s.45(4) ground" in missing_ground.content.decode()
    assert not Withholding.objects.exists()
    done = client.post(
        withhold, {"part": item.ref, "ground": "offences", "reason": "Live investigation.", "tell_subject": "on"}
    )
    assert done.status_code == 302
    assert Withholding.objects.get().ground == "offences"

    pdf = client.get(reverse("web:request_download", args=[request.pk, "pdf"]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert "no-store" in pdf["Cache-Control"]
    assert pdf.content.startswith(b"%PDF-")
    event = _last(Verb.SAR_COMPILED)
    assert event.detail["sha256"] == hashlib.sha256(pdf.content).hexdigest()
    assert event.detail["draft"] is True
    draft_json = client.get(reverse("web:request_download", args=[request.pk, "json"]))
    assert b"Youth offending team" not in draft_json.content
    assert item.ref.encode() in draft_json.content  # listed as withheld
    assert client_for(dpo).get(reverse("web:request_download", args=[request.pk, "pdf"])).status_code == 403
    assert client.get(reverse("web:request_download", args=[request.pk, "exe"])).status_code == 404

    assert client.get(reverse("web:request_respond", args=[request.pk])).status_code == 200
    sent = client.post(reverse("web:request_respond", args=[request.pk]))
    assert sent.status_code == 302
    response = SubjectRequest.objects.get(pk=request.pk).response
    as_sent = client_for(dpo).get(reverse("web:request_download", args=[request.pk, "pdf"]))
    assert as_sent.status_code == 200
    assert hashlib.sha256(as_sent.content).hexdigest() == response.sha256["pdf"]
    assert _last(Verb.REQUEST_CONSULTED).detail["as_sent"] is True
    detail = client.get(reverse("web:request", args=[request.pk])).content.decode()
    assert response.sha256["pdf"] in detail


# Rectification, erasure, restriction, closing --------------------------------------------------------------


def test_the_rectification_pages(iru: User, spoc_a: User, person: Person, client_for: ClientFor) -> None:
    disclose(spoc_a, person, ["Hackney Council"])
    request = receive(iru, person, Kind.RECTIFICATION)
    client = client_for(iru)
    form = client.get(reverse("web:request_rectify", args=[request.pk])).content.decode()
    assert "Jordan Example" in form
    response = client.post(
        reverse("web:request_rectify", args=[request.pk]),
        {"field": "full_name", "value": "Jordon Exampel", "reasons": "Misspelt when first recorded."},
    )
    assert response.status_code == 302
    page = client.get(reverse("web:request", args=[request.pk])).content.decode()
    assert "Hackney Council" in page
    assert "Mark as told" in page
    notice = request.rectifications.get().notices.get()
    sent = client.post(reverse("web:request_notice_sent", args=[request.pk, notice.pk]))
    assert sent.status_code == 302
    assert _last(Verb.RECTIFICATION_NOTIFIED).recipients == ["Hackney Council"]
    again = client.post(reverse("web:request_notice_sent", args=[request.pk, notice.pk]), follow=True)
    assert "already been notified" in again.content.decode()
    closed = client.post(
        reverse("web:request_close", args=[request.pk]),
        {"outcome": "responded", "reasons": "Corrected as you asked."},
    )
    assert closed.status_code == 302
    assert SubjectRequest.objects.get(pk=request.pk).status == SubjectRequest.Status.RESPONDED


def test_a_date_of_birth_correction_through_the_form(iru: User, person: Person, client_for: ClientFor) -> None:
    request = receive(iru, person, Kind.RECTIFICATION)
    response = client_for(iru).post(
        reverse("web:request_rectify", args=[request.pk]),
        {"field": "date_of_birth", **_date("date_of_birth", dt.date(2001, 7, 5)), "reasons": "Day and month swapped."},
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).date_of_birth == dt.date(2001, 7, 5)


def test_the_erasure_and_restriction_pages(iru: User, officer_a: User, client_for: ClientFor) -> None:
    from custos.register.tests.factories import a_person

    client = client_for(iru)
    erase = receive(iru, a_person(officer_a, full_name="Erin Erase"), Kind.ERASURE)
    assert client.get(reverse("web:request_erasure", args=[erase.pk])).status_code == 200
    assert client.post(reverse("web:request_erasure", args=[erase.pk])).status_code == 302
    assert SubjectRequest.objects.get(pk=erase.pk).review is not None
    restrict = receive(iru, a_person(officer_a, full_name="Rory Restrict"), Kind.RESTRICTION)
    assert client.get(reverse("web:request_restriction", args=[restrict.pk])).status_code == 200
    response = client.post(
        reverse("web:request_restriction", args=[restrict.pk]), {"reasons": "The subject contests the items."}
    )
    assert response.status_code == 302
    assert SubjectRequest.objects.get(pk=restrict.pk).restriction is not None


def test_the_wrong_kind_of_action_is_shown_as_an_error(iru: User, person: Person, client_for: ClientFor) -> None:
    request = receive(iru, person)
    response = client_for(iru).post(reverse("web:request_erasure", args=[request.pk]))
    assert response.status_code == 200
    assert "Only an erasure request can open an erasure review." in response.content.decode()
    assert SubjectRequest.objects.get(pk=request.pk).review is None
