"""The register's web pages: who may see them, what they show, what they log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.accounts.tests.helpers import TEST_PURPOSE
from custos.audit.models import AuditEvent
from custos.register import services
from custos.register.models import BCU, Gang, IntelligenceItem, Nomination, Person, RagDecision
from custos.register.tests.factories import a_person, an_item

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
REASONS = "Two independent police sources report serious violence."


def a_nominee(officer: User, **kwargs: Any) -> tuple[Person, Nomination]:
    """A person with two independent sources and a proposed nomination."""
    person = a_person(officer, **kwargs)
    an_item(officer, person, source_reference="CAD 1")
    an_item(officer, person, source_reference="CRIS 2", criterion="weapon_knife")
    return person, services.nomination_propose(actor=officer, person=person, reasons=REASONS)


def an_active_nominee(officer: User, spoc: User, **kwargs: Any) -> tuple[Person, Nomination]:
    person, nomination = a_nominee(officer, **kwargs)
    services.nomination_activate(actor=spoc, nomination=nomination, reasons="Confirmed on the evidence.")
    return person, nomination


def a_social_media_item(officer: User, person: Person) -> IntelligenceItem:
    return an_item(
        officer, person, source_type="social_media", source_reference="post 77", criterion="gang_association"
    )


def _day_month_year(name: str, date: dt.date) -> dict[str, str]:
    return {f"{name}_0": str(date.day), f"{name}_1": str(date.month), f"{name}_2": str(date.year)}


# --- every page renders for a role that may use it -------------------------------------------


def test_pages_render_for_an_officer_of_the_bcu(officer_a: User, client_for: ClientFor) -> None:
    person, _ = a_nominee(officer_a)
    client = client_for(officer_a)
    for url in (
        reverse("web:matrix"),
        reverse("web:people"),
        reverse("web:person", args=[person.pk]),
        reverse("web:person_add"),
        reverse("web:intelligence_add", args=[person.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_officer_may_open_nominate_form_for_a_person_without_open_nomination(
    officer_a: User, client_for: ClientFor
) -> None:
    person = a_person(officer_a)
    assert client_for(officer_a).get(reverse("web:nominate", args=[person.pk])).status_code == 200


def test_spoc_pages_render(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    person, nomination = a_nominee(officer_a)
    item = a_social_media_item(officer_a, person)
    client = client_for(spoc_a)
    assert client.get(reverse("web:intelligence_verify", args=[item.pk])).status_code == 200
    assert client.get(reverse("web:nomination_activate", args=[nomination.pk])).status_code == 200
    services.nomination_activate(actor=spoc_a, nomination=nomination, reasons="Confirmed on the evidence.")
    response = client.get(reverse("web:rag_decide", args=[nomination.pk]))
    assert response.status_code == 200
    assert "The band is your decision" in response.content.decode()


# --- denials: 404 out of scope, 403 for roles without access ---------------------------------


def _bcu_a_urls(officer_a: User, spoc_a: User) -> list[str]:
    person, nomination = an_active_nominee(officer_a, spoc_a)
    item = a_social_media_item(officer_a, person)
    return [
        reverse("web:person", args=[person.pk]),
        reverse("web:intelligence_add", args=[person.pk]),
        reverse("web:nominate", args=[person.pk]),
        reverse("web:intelligence_verify", args=[item.pk]),
        reverse("web:nomination_activate", args=[nomination.pk]),
        reverse("web:rag_decide", args=[nomination.pk]),
    ]


def test_officer_of_another_bcu_gets_404_not_403(
    officer_a: User, officer_b: User, spoc_a: User, client_for: ClientFor
) -> None:
    client = client_for(officer_b)
    page, *forms = _bcu_a_urls(officer_a, spoc_a)
    assert client.get(page).status_code == 404
    for url in forms:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reasons": "x" * 20}).status_code == 404, url


def test_spoc_of_another_bcu_gets_404_on_nomination_forms(
    officer_a: User, spoc_a: User, make_user: Callable[..., User], bcu_b: BCU, client_for: ClientFor
) -> None:
    spoc_b = make_user("spoc_b", Role.BCU_SPOC, bcu_b)
    client = client_for(spoc_b)
    for url in _bcu_a_urls(officer_a, spoc_a)[3:]:
        assert client.get(url).status_code == 404, url


def test_unknown_ids_are_404(officer_a: User, client_for: ClientFor) -> None:
    client = client_for(officer_a)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/people/{unknown}/").status_code == 404
    assert client.get(f"/nominations/{unknown}/decide/").status_code == 404
    assert client.get("/people/not-a-uuid/").status_code == 404


@pytest.mark.parametrize("persona", ["auditor", "sysadmin"])
def test_roles_without_access_to_personal_data_get_403(
    persona: str, request: pytest.FixtureRequest, officer_a: User, client_for: ClientFor
) -> None:
    person = a_person(officer_a)
    client = client_for(request.getfixturevalue(persona))
    for url in (reverse("web:matrix"), reverse("web:people"), reverse("web:person", args=[person.pk])):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You do not have access" in response.content.decode()
    assert client.post(reverse("web:people"), {"name": "Jordan Example"}).status_code == 403
    assert client.get(reverse("web:person_add")).status_code == 403


def test_signed_out_user_is_sent_to_sign_in(client: Client, reference_data: None) -> None:
    response = client.get(reverse("web:matrix"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_officer_may_not_activate_or_decide(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    person, nomination = an_active_nominee(officer_a, spoc_a)
    client = client_for(officer_a)
    page = client.get(reverse("web:person", args=[person.pk])).content.decode()
    assert "Decide RAG band" not in page
    assert client.get(reverse("web:rag_decide", args=[nomination.pk])).status_code == 403
    assert (
        client.post(reverse("web:rag_decide", args=[nomination.pk]), {"band": "red", "reasons": REASONS}).status_code
        == 403
    )
    assert not RagDecision.objects.exists()


def test_central_governance_is_not_offered_add_person(central: User, client_for: ClientFor) -> None:
    client = client_for(central)
    assert "Add a person" not in client.get(reverse("web:people")).content.decode()
    assert client.get(reverse("web:person_add")).status_code == 403


def test_actions_offered_follow_the_role(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    person, nomination = a_nominee(officer_a)
    a_social_media_item(officer_a, person)
    url = reverse("web:person", args=[person.pk])
    officer_page = client_for(officer_a).get(url).content.decode()
    spoc_page = client_for(spoc_a).get(url).content.decode()
    assert "Add intelligence" in officer_page
    assert reverse("web:nomination_activate", args=[nomination.pk]) not in officer_page
    assert "/verify/" not in officer_page
    assert reverse("web:nomination_activate", args=[nomination.pk]) in spoc_page
    assert "/verify/" in spoc_page
    # An open nomination means no second one is offered.
    assert reverse("web:nominate", args=[person.pk]) not in officer_page


# --- what the pages show ----------------------------------------------------------------------


def test_person_page_shows_categories_score_grades_and_history(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person, nomination = an_active_nominee(officer_a, spoc_a)
    an_item(
        officer_a,
        person,
        source_reference="CAD 9",
        category="victim",
        criterion="victimisation",
        nature="assessment",
        handling="C",
        handling_conditions="Not outside the MPS",
    )
    services.rag_decide(actor=spoc_a, nomination=nomination, band="amber", reasons="Amber on the evidence seen.")
    page = client_for(spoc_a).get(reverse("web:person", args=[person.pk])).content.decode()
    assert person.short_ref in page
    assert "Suspected offender" in page
    assert ">Victim<" in page
    assert "recorded as a <strong>victim</strong>" in page
    assert "1BP" in page
    assert "1BC" in page
    assert "Not outside the MPS" in page
    assert ">Fact<" in page
    assert ">Assessment<" in page
    assert "Items that count towards the score" in page
    assert "victim in this record" in page.lower()
    assert "Amber on the evidence seen." in page
    assert "spoc_a" in page


def test_protected_characteristics_shown_only_to_roles_that_monitor_equality(
    officer_a: User, central: User, client_for: ClientFor
) -> None:
    person = a_person(officer_a, gender="female")
    url = reverse("web:person", args=[person.pk])
    assert "Equality monitoring" not in client_for(officer_a).get(url).content.decode()
    page = client_for(central).get(url).content.decode()
    assert "Equality monitoring" in page
    assert "Female" in page


def test_matrix_lists_and_filters_nominals(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    person, nomination = an_active_nominee(officer_a, spoc_a, full_name="Alex Amber")
    services.rag_decide(actor=spoc_a, nomination=nomination, band="amber", reasons="Amber on the evidence.")
    a_nominee(officer_a, full_name="Pat Proposed")
    client = client_for(spoc_a)
    page = client.get(reverse("web:matrix")).content.decode()
    assert "Alex Amber" in page
    assert "Pat Proposed" in page
    assert person.short_ref in page
    assert 'data-band="amber">1<' in page
    assert 'data-band="none">1<' in page
    amber = client.get(reverse("web:matrix"), {"band": "amber"}).content.decode()
    assert "Alex Amber" in amber
    assert "Pat Proposed" not in amber
    proposed = client.get(reverse("web:matrix"), {"status": "proposed", "bcu": "central-east"}).content.decode()
    assert "Pat Proposed" in proposed
    assert "Alex Amber" not in proposed
    victims = client.get(reverse("web:matrix"), {"category": "victim"}).content.decode()
    assert "No nominals match these filters" in victims
    # A value that is not a filter filters nothing, and is not an error.
    bogus = client.get(reverse("web:matrix"), {"band": "purple"})
    assert bogus.status_code == 200
    assert "Alex Amber" in bogus.content.decode()


def test_matrix_queries_do_not_grow_with_rows(
    officer_a: User, spoc_a: User, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    client = client_for(spoc_a)
    a_nominee(officer_a, full_name="First Nominee")
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("web:matrix"))
    for n in range(4):
        a_nominee(officer_a, full_name=f"Nominee {n}")
    with CaptureQueriesContext(connection) as five_rows:
        client.get(reverse("web:matrix"))
    assert len(five_rows) == len(one_row)
    with django_assert_max_num_queries(len(one_row)):
        assert client.get(reverse("web:matrix")).content.decode().count("Nominee") == 5


def test_matrix_paginates_keeping_the_filters(
    officer_a: User, spoc_a: User, client_for: ClientFor, settings: Any
) -> None:
    settings.CUSTOS_MATRIX_PAGE_SIZE = 1
    a_nominee(officer_a, full_name="First Nominee")
    a_nominee(officer_a, full_name="Second Nominee")
    client = client_for(spoc_a)
    first = client.get(reverse("web:matrix"), {"status": "proposed"}).content.decode()
    assert first.count("Nominee") == 1
    assert 'href="?status=proposed&amp;page=2"' in first
    second = client.get(reverse("web:matrix"), {"status": "proposed", "page": "2"}).content.decode()
    assert second.count("Nominee") == 1
    assert "First Nominee" in second


def test_people_list_paginates_and_links(officer_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    page = client_for(officer_a).get(reverse("web:people")).content.decode()
    assert reverse("web:person", args=[person.pk]) in page
    assert "Add a person" in page


# --- search is by POST and never puts a name in a URL ---------------------------------------


def test_search_is_posted_and_the_name_stays_out_of_urls_and_logs(officer_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a, full_name="Jordan Example", aliases=["Jojo"])
    a_person(officer_a, full_name="Someone Else")
    client = client_for(officer_a)
    response = client.post(reverse("web:people"), {"name": "jojo"})
    assert response.status_code == 200
    assert response.wsgi_request.get_full_path() == reverse("web:people")
    page = response.content.decode()
    assert reverse("web:person", args=[person.pk]) in page
    assert "Someone Else" not in page
    event = AuditEvent.objects.filter(verb="people.searched").get()
    assert event.targets == [person.ref]
    assert "jojo" not in str(event.detail).lower()
    assert "jordan" not in str(event.detail).lower()
    assert 'method="post" action="/people/"' in page


def test_search_by_date_of_birth(officer_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a, date_of_birth=dt.date(2001, 5, 17))
    response = client_for(officer_a).post(reverse("web:people"), _day_month_year("date_of_birth", dt.date(2001, 5, 17)))
    assert reverse("web:person", args=[person.pk]) in response.content.decode()


def test_empty_search_asks_for_a_term(officer_a: User, client_for: ClientFor) -> None:
    response = client_for(officer_a).post(reverse("web:people"), {"name": " "})
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Enter a name or alias, a date of birth, or both." in page
    assert not AuditEvent.objects.filter(verb="people.searched").exists()


# --- consultations are logged ---------------------------------------------------------------


def test_viewing_a_person_records_a_consultation_with_its_purpose(officer_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    client_for(officer_a).get(reverse("web:person", args=[person.pk]))
    event = AuditEvent.objects.filter(verb="person.consulted", object_ref=person.ref).get()
    assert event.purpose == TEST_PURPOSE.text == "OP-TEST: Testing the register's pages"
    assert event.actor_username == "officer_a"


def test_matrix_listing_is_logged(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    person, _ = a_nominee(officer_a)
    client_for(spoc_a).get(reverse("web:matrix"), {"band": "none"})
    event = AuditEvent.objects.filter(verb="matrix.listed").get()
    assert event.targets == [person.ref]
    assert event.purpose == TEST_PURPOSE.text


# --- forms: success, validation and the rules of the register -------------------------------


def test_add_person(officer_a: User, bcu_a: BCU, client_for: ClientFor) -> None:
    borough = bcu_a.boroughs.first()
    assert borough is not None
    data = {
        "bcu": str(bcu_a.pk),
        "borough": str(borough.pk),
        "full_name": "Casey Newperson",
        "aliases": "Cee\n\nCJ\n",
        "addresses": "1 High Street, London E1 1AA",
        "observed_ethnicity": "IC9",
        **_day_month_year("date_of_birth", dt.date(1999, 12, 31)),
    }
    response = client_for(officer_a).post(reverse("web:person_add"), data, follow=True)
    person = Person.objects.get()
    assert response.redirect_chain[-1][0] == reverse("web:person", args=[person.pk])
    assert "Casey" not in response.redirect_chain[-1][0]
    page = response.content.decode()
    assert f"Person {person.short_ref} recorded." in page
    assert person.full_name == "Casey Newperson"
    assert person.aliases == ["CJ", "Cee"]
    assert person.date_of_birth == dt.date(1999, 12, 31)
    assert person.borough == borough
    assert person.observed_ethnicity == "IC9"


def test_add_person_shows_errors(officer_a: User, bcu_a: BCU, client_for: ClientFor) -> None:
    data = {"bcu": str(bcu_a.pk), "full_name": "", "date_of_birth_0": "31", "date_of_birth_1": "2"}
    page = client_for(officer_a).post(reverse("web:person_add"), data).content.decode()
    assert "There is a problem" in page
    assert "Enter the person&#x27;s full name." in page
    assert "Date of birth must include a year." in page
    assert 'href="#id_date_of_birth_0"' in page
    assert 'href="#id_full_name"' in page
    assert "govuk-input--error" in page
    assert not Person.objects.exists()


def test_add_person_service_errors_land_on_their_field(officer_a: User, bcu_a: BCU, client_for: ClientFor) -> None:
    future = timezone.localdate() + dt.timedelta(days=3)
    data = {"bcu": str(bcu_a.pk), "full_name": "Someone", **_day_month_year("date_of_birth", future)}
    page = client_for(officer_a).post(reverse("web:person_add"), data).content.decode()
    assert "Date of birth must be a real date in the past." in page
    assert 'id="id_date_of_birth-error"' in page


def test_add_person_offers_only_the_users_bcu(officer_a: User, bcu_b: BCU, client_for: ClientFor) -> None:
    client = client_for(officer_a)
    page = client.get(reverse("web:person_add")).content.decode()
    assert "Central East" in page
    assert "North Area" not in page.split("Borough")[0]
    response = client.post(reverse("web:person_add"), {"bcu": str(bcu_b.pk), "full_name": "Someone"})
    assert "Choose one of the BCUs you work in." in response.content.decode()
    assert not Person.objects.exists()


def _item_data(**overrides: str) -> dict[str, str]:
    data = {
        "category": "suspected_offender",
        "criterion": "serious_violence",
        "summary": "Seen with a knife.",
        "nature": "fact",
        "source_type": "police",
        "source_reference": "CAD 42",
        "source_grade": "1",
        "intel_grade": "B",
        "handling": "P",
        **_day_month_year("occurred_on", timezone.localdate() - dt.timedelta(days=10)),
    }
    data.update(overrides)
    return data


def test_add_intelligence(officer_a: User, bcu_a: BCU, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    gang = Gang.objects.create(
        name="Example Crew", bcu=bcu_a, evidence_basis="Evidence.", review_date=dt.date(2030, 1, 1)
    )
    response = client_for(officer_a).post(
        reverse("web:intelligence_add", args=[person.pk]), _item_data(gang=str(gang.pk)), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:person", args=[person.pk])
    item = IntelligenceItem.objects.get()
    assert item.grade == "1BP"
    assert item.gang == gang
    assert item.summary == "Seen with a knife."
    assert "Intelligence item added (1BP)." in response.content.decode()


def test_add_intelligence_shows_service_errors(officer_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    page = (
        client_for(officer_a)
        .post(reverse("web:intelligence_add", args=[person.pk]), _item_data(handling="C", category="", nature=""))
        .content.decode()
    )
    assert "Choose the person&#x27;s category in this record." in page
    assert 'href="#id_category_0"' in page
    page = (
        client_for(officer_a)
        .post(reverse("web:intelligence_add", args=[person.pk]), _item_data(handling="C"))
        .content.decode()
    )
    assert "Handling code C needs its conditions." in page
    assert 'href="#id_handling_conditions"' in page
    assert not IntelligenceItem.objects.exists()


def test_verify_social_media_item(officer_a: User, analyst_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    item = a_social_media_item(officer_a, person)
    url = reverse("web:intelligence_verify", args=[item.pk])
    client = client_for(analyst_a)
    assert "Give reasons (at least" in client.post(url, {"outcome": "verified", "reasons": "short"}).content.decode()
    response = client.post(url, {"outcome": "verified", "reasons": "Checked against the account history."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.verification == "verified"
    again = client.post(url, {"outcome": "rejected", "reasons": "Checked against the account history."})
    assert "already been verified or rejected" in again.content.decode()


def test_officer_may_not_open_verify_form(officer_a: User, client_for: ClientFor) -> None:
    item = a_social_media_item(officer_a, a_person(officer_a))
    assert client_for(officer_a).get(reverse("web:intelligence_verify", args=[item.pk])).status_code == 403


def test_victim_cannot_be_nominated_and_the_reason_is_shown(officer_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    an_item(officer_a, person, category="victim", criterion="victimisation", source_reference="CAD 1")
    an_item(officer_a, person, category="victim", criterion="victimisation", source_reference="CAD 2")
    page = client_for(officer_a).post(reverse("web:nominate", args=[person.pk]), {"reasons": REASONS}).content.decode()
    assert "There is a problem" in page
    assert "A victim cannot be nominated" in page
    assert not Nomination.objects.exists()


def test_nomination_journey_through_the_forms(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1")
    an_item(officer_a, person, source_reference="CRIS 2")
    officer, spoc = client_for(officer_a), client_for(spoc_a)
    response = officer.post(reverse("web:nominate", args=[person.pk]), {"reasons": REASONS})
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    activate = reverse("web:nomination_activate", args=[nomination.pk])
    assert "Give reasons (at least" in spoc.post(activate, {"reasons": "no"}).content.decode()
    assert (
        spoc.post(
            activate, {"reasons": "Confirmed on the evidence.", **_day_month_year("review_due", dt.date(2030, 1, 1))}
        ).status_code
        == 302
    )
    nomination.refresh_from_db()
    assert nomination.status == "active"
    assert nomination.review_due == dt.date(2030, 1, 1)
    decide = reverse("web:rag_decide", args=[nomination.pk])
    page = spoc.get(decide).content.decode()
    assert "Recommended band" in page
    assert "Current harm score" in page
    assert "Choose red, amber or green." in spoc.post(decide, {"reasons": REASONS}).content.decode()
    response = spoc.post(decide, {"band": "red", "reasons": "Red despite the recommendation."}, follow=True)
    assert "You decided band red" in response.content.decode()
    decision = RagDecision.objects.get()
    assert decision.band == "red"
    assert decision.decided_by == spoc_a


def test_proposer_cannot_confirm_their_own_nomination(spoc_a: User, client_for: ClientFor) -> None:
    person, nomination = a_nominee(spoc_a)
    page = (
        client_for(spoc_a)
        .post(reverse("web:nomination_activate", args=[nomination.pk]), {"reasons": "Confirmed on the evidence."})
        .content.decode()
    )
    assert "confirmed by someone other than its proposer" in page
    nomination.refresh_from_db()
    assert nomination.status == "proposed"


def test_the_matrix_counts_each_nomination_once_when_filtered_by_category(officer_a: User, spoc_a: User) -> None:
    """The category filter joins intelligence items, several to a nomination: the counts (one grouped query) and
    the total count nominations, not items."""
    from custos.register.selectors import MatrixFilters, matrix_for

    person, _ = an_active_nominee(officer_a, spoc_a)
    an_item(officer_a, person, source_reference="CAD 12", category="suspected_offender")
    assert IntelligenceItem.objects.filter(person=person, category="suspected_offender").count() >= 2
    page = matrix_for(
        viewer=spoc_a, filters=MatrixFilters(category="suspected_offender"), purpose="OP-TEST testing", page_number=1
    )
    assert page.total == 1
    assert sum(page.by_band.values()) == 1
    assert sum(page.by_status.values()) == 1
    assert len(page.page.object_list) == 1
