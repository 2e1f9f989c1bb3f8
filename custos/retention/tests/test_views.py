"""The review pages: who may see them, what they show, what they log, and decisions through the web."""

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
from django.utils.formats import date_format

from custos.accounts.models import Notification, Role, User
from custos.accounts.tests.helpers import TEST_PURPOSE, with_purpose
from custos.audit.models import AuditEvent
from custos.audit.services import Actor
from custos.register import services as register_services
from custos.register.models import BCU, Nomination, Person
from custos.register.tests.factories import a_person, an_item
from custos.retention import services
from custos.retention.models import Restriction, Review, Tombstone, Trigger

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
REASONS = "Two independent police sources report serious violence."
DECISION_REASONS = "No gang-related activity for a year; the exit is confirmed by the YOS."


# --- set-up -----------------------------------------------------------------------------------------------------


@pytest.fixture
def client_for(client_for: ClientFor) -> ClientFor:
    """The project's ``client_for`` with a purpose declared in the session."""

    def make(user: User) -> Client:
        return with_purpose(client_for(user))

    return make


@pytest.fixture
def spoc_b(make_user: Callable[..., User], bcu_b: BCU) -> User:
    return make_user("spoc_b", Role.BCU_SPOC, bcu_b)


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)


@pytest.fixture
def untrained(make_user: Callable[..., User], bcu_a: BCU) -> User:
    return make_user("untrained_spoc", Role.BCU_SPOC, bcu_a, trained=False)


def a_nominal(officer: User, spoc: User, *, full_name: str = "Jordan Example", band: str = "amber") -> Person:
    """A person on the matrix with an active nomination and a band decided."""
    person = a_person(officer, full_name=full_name)
    an_item(officer, person, source_reference="CAD 1")
    an_item(officer, person, source_reference="CRIS 2", criterion="weapon_knife")
    nomination = register_services.nomination_propose(actor=officer, person=person, reasons=REASONS)
    register_services.nomination_activate(actor=spoc, nomination=nomination, reasons="Confirmed on the evidence.")
    register_services.rag_decide(actor=spoc, nomination=nomination, band=band, reasons="Recent violence with a knife.")
    return person


def a_review(person: Person, **changes: Any) -> Review:
    """A review opened by hand (by the system), with any fields changed afterwards (``due_on`` …)."""
    review = services.review_open(actor=Actor.system("test"), person=person)
    if changes:
        Review.objects.filter(pk=review.pk).update(**changes)
        review.refresh_from_db()
    return review


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def _verbs_since(seq: int) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values_list("verb", flat=True))


def _date(name: str, when: dt.date) -> dict[str, str]:
    return {f"{name}_0": str(when.day), f"{name}_1": str(when.month), f"{name}_2": str(when.year)}


def review_url(review: Review, action: str = "") -> str:
    if action:
        return reverse(f"web:review_{action}", args=[review.pk])
    return reverse("web:review", args=[review.pk])


# --- the queue --------------------------------------------------------------------------------------------------


def test_a_spoc_sees_their_bcus_queue_and_the_listing_is_logged(
    officer_a: User, officer_b: User, spoc_a: User, client_for: ClientFor
) -> None:
    mine = a_review(a_person(officer_a, full_name="Alex Mine"))
    theirs = a_review(a_person(officer_b, full_name="Blake Theirs"))
    before = _last_seq()
    response = client_for(spoc_a).get(reverse("web:reviews"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Alex Mine" in page
    assert mine.short_ref in page
    assert "Blake Theirs" not in page
    assert theirs.short_ref not in page
    event = AuditEvent.objects.get(seq__gt=before)
    assert event.verb == "review.listed"
    assert event.targets == [mine.person_ref]
    assert event.purpose == TEST_PURPOSE.text
    assert event.detail["bcu"] == "central-east"


def test_central_governance_sees_every_bcu_and_filters_by_bcu_code(
    officer_a: User, officer_b: User, central: User, client_for: ClientFor
) -> None:
    mine = a_review(a_person(officer_a, full_name="Alex Mine"))
    theirs = a_review(a_person(officer_b, full_name="Blake Theirs"))
    client = client_for(central)
    everyone = client.get(reverse("web:reviews")).content.decode()
    assert mine.short_ref in everyone
    assert theirs.short_ref in everyone
    north = client.get(reverse("web:reviews"), {"bcu": "north-area"}).content.decode()
    assert theirs.short_ref in north
    assert mine.short_ref not in north
    assert AuditEvent.objects.filter(verb="review.listed").last().detail["filters"] == {"bcu": "north-area"}  # type: ignore[union-attr]
    # An unknown code filters nothing (and is not logged as a filter).
    unknown = client.get(reverse("web:reviews"), {"bcu": "nowhere"}).content.decode()
    assert mine.short_ref in unknown
    assert theirs.short_ref in unknown


def test_a_spoc_cannot_widen_their_queue_with_another_bcus_code(
    officer_b: User, spoc_a: User, client_for: ClientFor
) -> None:
    theirs = a_review(a_person(officer_b, full_name="Blake Theirs"))
    page = client_for(spoc_a).get(reverse("web:reviews"), {"bcu": "north-area"}).content.decode()
    assert theirs.short_ref not in page


def test_the_queue_filters_by_status_and_trigger(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    today = timezone.localdate()
    due = a_review(a_person(officer_a, full_name="Due Later"))
    late = a_review(a_person(officer_a, full_name="Late Person"), due_on=today - dt.timedelta(days=40))
    escalated = a_review(
        a_person(officer_a, full_name="Escalated Person"),
        due_on=today - dt.timedelta(days=60),
        escalated_at=timezone.now(),
    )
    rule = a_review(a_person(officer_a, full_name="Rule Person"), trigger=Trigger.NO_ATTENTION)
    scheduled = a_review(a_person(officer_a, full_name="Scheduled Person"))
    services.review_decide(actor=spoc_a, review=scheduled, decision="remove", reasons=DECISION_REASONS)
    client = client_for(spoc_a)

    def shown(**query: str) -> set[str]:
        page = client.get(reverse("web:reviews"), query).content.decode()
        return {r.short_ref for r in (due, late, escalated, rule, scheduled) if r.short_ref in page}

    assert shown() == {due.short_ref, late.short_ref, escalated.short_ref, rule.short_ref, scheduled.short_ref}
    assert shown(status="open") == {due.short_ref, late.short_ref, escalated.short_ref, rule.short_ref}
    assert shown(status="overdue") == {late.short_ref, escalated.short_ref}
    assert shown(status="escalated") == {escalated.short_ref}
    assert shown(status="scheduled") == {scheduled.short_ref}
    assert shown(trigger="no_attention") == {rule.short_ref}
    page = client.get(reverse("web:reviews")).content.decode()
    assert "40 days overdue" in page
    assert 'data-count="overdue">2<' in page
    assert 'data-count="scheduled">1<' in page


def test_the_queue_reads_the_same_number_of_rows_for_one_review_or_five(
    officer_a: User, spoc_a: User, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    a_review(a_person(officer_a, full_name="Person 0"))
    client = client_for(spoc_a)
    client.get(reverse("web:reviews"))  # warm the session
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("web:reviews"))
    for n in range(1, 5):
        a_review(a_person(officer_a, full_name=f"Person {n}"))
    with django_assert_max_num_queries(len(one_row)):
        client.get(reverse("web:reviews"))


# --- who may: 403 for a role that never reviews, 404 outside reach ----------------------------------------------


def test_pages_of_personal_data_need_a_declared_purpose(officer_a: User, spoc_a: User) -> None:
    from tests.mfa import verify_session

    review = a_review(a_person(officer_a))
    client = Client()
    client.force_login(spoc_a)
    verify_session(client, spoc_a)  # signed in, past the second factor, no purpose declared
    for url in (reverse("web:reviews"), review_url(review), reverse("web:restrictions")):
        response = client.get(url)
        if url == reverse("web:restrictions"):
            assert response.status_code == 403  # a SPOC never sees the restriction list, purpose or not
            continue
        assert response.status_code == 302, url
        assert response["Location"].startswith("/purpose/"), url
    # The dashboard and the schedule hold no personal data: no purpose asked.
    assert client.get(reverse("web:reviews_overdue")).status_code == 200
    assert client.get(reverse("web:retention_schedule")).status_code == 200


def _review_pages(review: Review) -> list[str]:
    return [review_url(review), review_url(review, "cancel")]


@pytest.mark.parametrize("persona", ["officer_a", "analyst_a", "auditor", "sysadmin", "untrained"])
def test_roles_that_never_review_get_403_with_the_reason(
    persona: str, officer_a: User, spoc_a: User, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    review = a_review(a_person(officer_a))
    client = client_for(request.getfixturevalue(persona))
    for url in [
        reverse("web:reviews"),
        reverse("web:reviews_overdue"),
        *_review_pages(review),
        review_url(review, "erase_now"),
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        posted = client.post(url, {"decision": "remove", "reasons": DECISION_REASONS})
        assert posted.status_code in ({403} if url.startswith(f"/reviews/{review.pk}") else {405}), url
    assert Review.objects.get(pk=review.pk).status == Review.Status.OPEN
    page = client.get(reverse("web:reviews")).content.decode()
    if persona == "untrained":
        assert "training" in page.lower()
    elif persona in ("officer_a", "analyst_a"):
        assert "Reviews are for BCU single points of contact" in page


def test_a_spoc_of_another_bcu_gets_404_not_403(officer_a: User, spoc_b: User, client_for: ClientFor) -> None:
    review = a_review(a_person(officer_a))
    client = client_for(spoc_b)
    for url in _review_pages(review):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"decision": "remove", "reasons": DECISION_REASONS}).status_code == 404, url
    assert Review.objects.get(pk=review.pk).status == Review.Status.OPEN


def test_unknown_reviews_are_404(spoc_a: User, client_for: ClientFor) -> None:
    client = client_for(spoc_a)
    assert client.get("/reviews/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.get("/reviews/not-a-uuid/").status_code == 404


@pytest.mark.parametrize("persona", ["spoc_a", "central", "dpo"])
def test_the_review_page_opens_for_reviewers(
    persona: str, officer_a: User, spoc_a: User, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    review = a_review(a_person(officer_a))
    before = _last_seq()
    response = client_for(request.getfixturevalue(persona)).get(review_url(review))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(seq__gt=before)
    assert (event.verb, event.object_ref, event.targets) == ("review.consulted", review.ref, [review.person_ref])
    assert event.purpose == TEST_PURPOSE.text
    assert event.detail == {"bcu": "central-east"}
    page = response.content.decode()
    if persona == "dpo":
        assert 'id="decision-form"' not in page
        assert "decided by the BCU's single point of contact or by central governance" in page
    else:
        assert 'id="decision-form"' in page


def test_the_dpo_cannot_decide(officer_a: User, dpo: User, client_for: ClientFor) -> None:
    review = a_review(a_person(officer_a))
    before = _last_seq()
    response = client_for(dpo).post(review_url(review), {"decision": "remove", "reasons": DECISION_REASONS})
    assert response.status_code == 403
    assert Review.objects.get(pk=review.pk).status == Review.Status.OPEN
    assert "review.decided" not in _verbs_since(before)


# --- what a reviewer sees ---------------------------------------------------------------------------------------


def test_the_review_page_shows_what_a_reviewer_needs(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    person = a_nominal(officer_a, spoc_a, full_name="Casey Reviewed", band="amber")
    earlier = a_review(person)
    services.review_decide(
        actor=spoc_a,
        review=earlier,
        decision="keep",
        reasons="Still active; reviewed with the YOS.",
        next_review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    review = a_review(person, trigger=Trigger.NO_ATTENTION, due_on=timezone.localdate() - dt.timedelta(days=3))
    page = client_for(spoc_a).get(review_url(review)).content.decode()
    assert "Casey Reviewed" in page
    assert "17 May 2001" in page  # date of birth
    assert "Suspected offender" in page  # category tags
    assert 'id="score"' in page
    assert "which recommends" in page
    assert "Recent violence with a knife." in page  # the latest band decision, with reasons
    assert "1BP" in page  # intelligence grades
    assert "no gang-related police attention for 183 days" in page  # the trigger in words
    assert "Removal rule: no gang-related police attention for 183 days (retention schedule version 1)" in page
    assert "3 days overdue" in page
    assert "Still active; reviewed with the YOS." in page  # the earlier review, in the history
    assert "erased on" in page
    assert "grace period of 14 days" in page


# --- decisions through the web ----------------------------------------------------------------------------------


def test_keep_sets_the_next_review_and_the_listings_review_date(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person = a_nominal(officer_a, spoc_a)
    review = a_review(person)
    when = timezone.localdate() + dt.timedelta(days=100)
    before = _last_seq()
    response = client_for(spoc_a).post(
        review_url(review), {"decision": "keep", "reasons": DECISION_REASONS, **_date("next_review_on", when)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:reviews")
    review.refresh_from_db()
    assert (review.status, review.decision, review.next_review_on) == ("kept", "keep", when)
    assert review.decided_by == spoc_a
    assert review.reasons == DECISION_REASONS
    assert Nomination.objects.get(person=person).review_due == when
    assert _verbs_since(before) == ["review.consulted", "review.decided"]
    decided = AuditEvent.objects.get(verb="review.decided")
    assert decided.detail["next_review_on"] == when.isoformat()
    assert "Jordan" not in str(decided.detail)


def test_keep_without_a_date_takes_the_schedules_interval_for_the_band(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person = a_nominal(officer_a, spoc_a, band="red")
    review = a_review(person)
    client_for(spoc_a).post(review_url(review), {"decision": "keep", "reasons": DECISION_REASONS})
    review.refresh_from_db()
    assert review.next_review_on == timezone.localdate() + dt.timedelta(days=91)


def test_remove_schedules_erasure_and_takes_the_person_off_the_matrix(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person = a_nominal(officer_a, spoc_a, full_name="Dana Removed")
    review = a_review(person)
    client = client_for(spoc_a)
    before = _last_seq()
    response = client.post(review_url(review), {"decision": "remove", "reasons": DECISION_REASONS}, follow=True)
    assert "will be erased on" in response.content.decode()
    review.refresh_from_db()
    assert review.status == Review.Status.REMOVAL_SCHEDULED
    assert review.erasure_due_at is not None
    assert review.decided_at is not None
    assert review.erasure_due_at - review.decided_at == dt.timedelta(days=14)
    assert Nomination.objects.get(person=person).status == Nomination.Status.REMOVED
    assert "Dana Removed" not in client.get(reverse("web:matrix")).content.decode()
    assert _verbs_since(before)[:2] == ["review.consulted", "review.decided"]
    assert Person.objects.filter(pk=person.pk).exists()  # erased only when the grace period ends
    dashboard = client.get(reverse("web:reviews_overdue")).content.decode()
    assert review.short_ref in dashboard
    assert date_format(timezone.localtime(review.erasure_due_at), "j M Y H:i") in dashboard


def test_restrict_hides_the_person_from_an_officer_but_not_from_the_dpo(
    officer_a: User, spoc_a: User, dpo: User, client_for: ClientFor
) -> None:
    person = a_nominal(officer_a, spoc_a, full_name="Evan Restricted")
    review = a_review(person)
    before = _last_seq()
    response = client_for(spoc_a).post(
        review_url(review),
        {"decision": "restrict", "reasons": DECISION_REASONS, "ground": "evidence", "roles": ["dpo", "iru"]},
    )
    assert response.status_code == 302
    assert _verbs_since(before) == ["review.consulted", "person.restricted", "review.decided"]
    review.refresh_from_db()
    assert review.status == Review.Status.RESTRICTED
    restriction = Restriction.objects.get(person=person)
    assert (restriction.ground, restriction.roles) == ("evidence", ["dpo", "iru"])
    person_page = reverse("web:person", args=[person.pk])
    assert client_for(officer_a).get(person_page).status_code == 404
    assert client_for(spoc_a).get(person_page).status_code == 404
    assert client_for(dpo).get(person_page).status_code == 200
    assert "Evan Restricted" in client_for(dpo).get(reverse("web:restrictions")).content.decode()


BAD_INPUTS = {
    "no decision": ({"reasons": DECISION_REASONS}, "Choose keep, remove or restrict."),
    "short reasons": ({"decision": "remove", "reasons": "too short"}, "at least 10 characters"),
    "no reasons": ({"decision": "remove", "reasons": ""}, "Give reasons."),
    "next review in the past": (
        {"decision": "keep", "reasons": DECISION_REASONS, **_date("next_review_on", dt.date(2020, 1, 1))},
        "The next review must be after today.",
    ),
    "next review over a year ahead": (
        {
            "decision": "keep",
            "reasons": DECISION_REASONS,
            **_date("next_review_on", dt.date.today() + dt.timedelta(days=400)),
        },
        "The next review must be within a year.",
    ),
    "next review not a date": (
        {
            "decision": "keep",
            "reasons": DECISION_REASONS,
            **_date("next_review_on", dt.date(2030, 1, 1)),
            "next_review_on_1": "13",
        },
        "must be a real date",
    ),
    "restrict without a ground": (
        {"decision": "restrict", "reasons": DECISION_REASONS, "roles": ["dpo"]},
        "Choose why processing is restricted.",
    ),
    "restrict for a role that may not be named": (
        {"decision": "restrict", "reasons": DECISION_REASONS, "ground": "evidence", "roles": ["officer"]},
        "Choose from the roles listed.",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_decisions_show_errors_and_change_nothing(
    case: str, officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    data, message = BAD_INPUTS[case]
    person = a_nominal(officer_a, spoc_a)
    review = a_review(person)
    due = Nomination.objects.get(person=person).review_due
    before = _last_seq()
    response = client_for(spoc_a).post(review_url(review), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert message in page
    assert page.count("<title>Error: ") == 1
    review.refresh_from_db()
    assert (review.status, review.decision, review.decided_at) == ("open", "", None)
    assert Nomination.objects.get(person=person).status == Nomination.Status.ACTIVE
    assert Nomination.objects.get(person=person).review_due == due
    assert not Restriction.objects.filter(person=person).exists()
    assert _verbs_since(before) == ["review.consulted"]


def test_a_decided_review_cannot_be_decided_again(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    review = a_review(a_person(officer_a))
    client = client_for(spoc_a)
    client.post(review_url(review), {"decision": "keep", "reasons": DECISION_REASONS})
    response = client.post(review_url(review), {"decision": "remove", "reasons": DECISION_REASONS})
    assert response.status_code == 200  # no form is offered; a forged post is refused with the rule
    assert "already been decided" in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == Review.Status.KEPT


# --- cancelling and erasing -------------------------------------------------------------------------------------


def _scheduled(officer: User, spoc: User, **kwargs: Any) -> Review:
    review = a_review(a_nominal(officer, spoc, **kwargs))
    return services.review_decide(actor=spoc, review=review, decision="remove", reasons=DECISION_REASONS)


def test_cancel_stops_a_scheduled_erasure(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    review = _scheduled(officer_a, spoc_a)
    client = client_for(spoc_a)
    assert "Cancel the erasure" in client.get(review_url(review)).content.decode()
    page = client.get(review_url(review, "cancel")).content.decode()
    assert "Cancel the erasure" in page
    before = _last_seq()
    short = client.post(review_url(review, "cancel"), {"reasons": "no"})
    assert short.status_code == 200
    assert "at least 10 characters" in short.content.decode()
    assert Review.objects.get(pk=review.pk).status == Review.Status.REMOVAL_SCHEDULED
    assert _verbs_since(before) == ["review.consulted"]
    before = _last_seq()
    response = client.post(review_url(review, "cancel"), {"reasons": "New intelligence links him to a live case."})
    assert response.status_code == 302
    assert Review.objects.get(pk=review.pk).status == Review.Status.CANCELLED
    assert _verbs_since(before) == ["review.consulted", "removal.cancelled"]
    assert "nothing to cancel" in client.get(review_url(review, "cancel")).content.decode()
    services.retention_sweep(actor=Actor.system("test"), today=timezone.localdate() + dt.timedelta(days=30))
    assert Person.objects.filter(pk=review.person_id).exists()


def test_erase_now_is_for_central_governance_only(
    officer_a: User, spoc_a: User, central: User, dpo: User, client_for: ClientFor
) -> None:
    review = _scheduled(officer_a, spoc_a, full_name="Frankie Erased")
    for user in (spoc_a, dpo):
        assert client_for(user).get(review_url(review, "erase_now")).status_code == 403
        assert client_for(user).post(review_url(review, "erase_now"), {"reasons": DECISION_REASONS}).status_code == 403
    assert "Erase now" not in client_for(spoc_a).get(review_url(review)).content.decode()
    client = client_for(central)
    assert "Erase now" in client.get(review_url(review)).content.decode()
    before = _last_seq()
    short = client.post(review_url(review, "erase_now"), {"reasons": "now"})
    assert "at least 10 characters" in short.content.decode()
    assert Person.objects.filter(pk=review.person_id).exists()
    assert _verbs_since(before) == ["review.consulted"]
    person_id = review.person_id
    before = _last_seq()
    response = client.post(review_url(review, "erase_now"), {"reasons": "The subject's solicitor asked; DPO agreed."})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:reviews_overdue")
    assert _verbs_since(before) == ["review.consulted", "person.erased"]
    assert not Person.objects.filter(pk=person_id).exists()
    tombstone = Tombstone.objects.get(person_ref=f"person:{person_id}")
    assert tombstone.bcu_code == "central-east"
    assert tombstone.was_listed
    assert Review.objects.get(pk=review.pk).status == Review.Status.ERASED
    assert client.get(review_url(review)).status_code == 404  # nothing left to see


def test_erase_now_refuses_a_review_with_no_erasure_scheduled(
    officer_a: User, central: User, client_for: ClientFor
) -> None:
    review = a_review(a_person(officer_a))
    client = client_for(central)
    assert "No erasure is scheduled" in client.get(review_url(review, "erase_now")).content.decode()
    response = client.post(review_url(review, "erase_now"), {"reasons": DECISION_REASONS})
    assert "Only a scheduled erasure can be carried out." in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == Review.Status.OPEN


# --- the overdue dashboard --------------------------------------------------------------------------------------


def test_the_dashboard_counts_per_bcu_without_personal_data(
    officer_a: User, officer_b: User, spoc_a: User, central: User, client_for: ClientFor
) -> None:
    today = timezone.localdate()
    a_review(a_person(officer_a, full_name="Gale Open"))
    a_review(a_person(officer_a, full_name="Harper Late"), due_on=today - dt.timedelta(days=12))
    a_review(
        a_person(officer_a, full_name="Indy Escalated"),
        due_on=today - dt.timedelta(days=45),
        escalated_at=timezone.now(),
    )
    a_review(a_person(officer_b, full_name="Jules North"), due_on=today - dt.timedelta(days=5))
    scheduled = _scheduled(officer_a, spoc_a, full_name="Kit Scheduled")
    before = _last_seq()
    page = client_for(spoc_a).get(reverse("web:reviews_overdue")).content.decode()
    assert _verbs_since(before) == []
    assert 'data-bcu="central-east"' in page
    assert 'data-bcu="north-area"' not in page
    for name in ("Gale Open", "Harper Late", "Indy Escalated", "Kit Scheduled", "Jordan Example"):
        assert name not in page
    assert 'data-count="open">3<' in page
    assert 'data-count="escalated">1<' in page
    assert 'data-count="oldest">45<' in page
    assert 'data-count="scheduled">1<' in page
    assert scheduled.short_ref in page
    everyone = client_for(central).get(reverse("web:reviews_overdue")).content.decode()
    assert 'data-bcu="central-east"' in everyone
    assert 'data-bcu="north-area"' in everyone
    assert "Jules North" not in everyone


# --- the schedule page ------------------------------------------------------------------------------------------


def test_the_schedule_page_reads_the_schedule_in_words(officer_a: User, client_for: ClientFor) -> None:
    before = _last_seq()
    page = client_for(officer_a).get(reverse("web:retention_schedule")).content.decode()
    assert _verbs_since(before) == []
    assert "Version 1" in page
    assert "Reviewed every 91 days" in page
    assert "Reviewed every 182 days" in page
    assert "harm score is below 1 and who has evidence of exit" in page
    assert "no gang-related police attention for 183 days" in page
    assert "victim, witness or other are reviewed 91 days after the latest record" in page
    assert "14 days between a decision to remove and erasure" in page
    assert "more than 28 days overdue is escalated to central governance" in page


@pytest.mark.parametrize("persona", ["auditor", "sysadmin", "untrained"])
def test_the_schedule_page_is_for_those_who_see_people(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    assert client_for(request.getfixturevalue(persona)).get(reverse("web:retention_schedule")).status_code == 403


# --- opening a review by hand -----------------------------------------------------------------------------------


def test_a_spoc_opens_a_review_from_the_person_page(officer_a: User, spoc_a: User, client_for: ClientFor) -> None:
    person = a_person(officer_a)
    client = client_for(spoc_a)
    open_url = reverse("web:review_open", args=[person.pk])
    assert open_url in client.get(reverse("web:person", args=[person.pk])).content.decode()
    before = _last_seq()
    response = client.post(open_url)
    review = Review.objects.get(person=person)
    assert response.status_code == 302
    assert response["Location"] == review_url(review)
    assert (review.trigger, review.status, review.opened_by) == ("manual", "open", spoc_a)
    assert _verbs_since(before) == ["person.consulted", "review.opened", "notification.sent"]
    notice = Notification.objects.get(recipient=spoc_a)
    assert notice.link == review_url(review)
    assert "Jordan" not in notice.message
    # The person page now links to the review; a second one is refused.
    assert review_url(review) in client.get(reverse("web:person", args=[person.pk])).content.decode()
    again = client.post(open_url)
    assert "already has an open review" in again.content.decode()
    assert Review.objects.filter(person=person).count() == 1


def test_opening_a_review_is_refused_outside_reach_and_to_officers(
    officer_a: User, spoc_b: User, client_for: ClientFor
) -> None:
    person = a_person(officer_a)
    open_url = reverse("web:review_open", args=[person.pk])
    assert open_url not in client_for(officer_a).get(reverse("web:person", args=[person.pk])).content.decode()
    response = client_for(officer_a).post(open_url)
    assert response.status_code == 403
    assert "open reviews" in response.content.decode()
    assert client_for(spoc_b).get(open_url).status_code == 404
    assert client_for(spoc_b).post(open_url).status_code == 404
    assert not Review.objects.filter(person=person).exists()


# --- restrictions -----------------------------------------------------------------------------------------------


def test_restrictions_list_and_lift(
    officer_a: User, spoc_a: User, dpo: User, central: User, client_for: ClientFor
) -> None:
    person = a_person(officer_a, full_name="Lee Restricted")
    restriction = services.person_restrict(
        actor=dpo, person=person, ground="accuracy_contested", reasons="The subject disputes the CAD entry."
    )
    before = _last_seq()
    page = client_for(dpo).get(reverse("web:restrictions")).content.decode()
    assert "Lee Restricted" in page
    assert "Accuracy contested" in page
    event = AuditEvent.objects.get(seq__gt=before)
    assert (event.verb, event.targets, event.purpose) == ("people.listed", [person.ref], TEST_PURPOSE.text)
    # Central governance may lift but is not named on it: the person stays hidden from them.
    before = _last_seq()
    central_page = client_for(central).get(reverse("web:restrictions")).content.decode()
    assert "Lee Restricted" not in central_page
    assert person.short_ref in central_page
    assert _verbs_since(before) == []
    lift = reverse("web:restriction_lift", args=[restriction.pk])
    client = client_for(dpo)
    assert "The subject disputes the CAD entry." in client.get(lift).content.decode()
    short = client.post(lift, {"reasons": "ok"})
    assert "at least 10 characters" in short.content.decode()
    assert Person.objects.get(pk=person.pk).restricted_at is not None
    before = _last_seq()
    response = client.post(lift, {"reasons": "The CAD entry was corrected by the force."})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:restrictions")
    assert _verbs_since(before) == ["person.consulted", "person.unrestricted"]
    assert Person.objects.get(pk=person.pk).restricted_at is None
    assert client_for(officer_a).get(reverse("web:person", args=[person.pk])).status_code == 200
    assert client.get(lift).status_code == 404  # no longer in force


@pytest.mark.parametrize("persona", ["officer_a", "spoc_a", "auditor", "untrained"])
def test_restrictions_are_not_for_other_roles(
    persona: str, officer_a: User, dpo: User, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    person = a_person(officer_a)
    restriction = services.person_restrict(actor=dpo, person=person, ground="evidence", reasons=DECISION_REASONS)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("web:restrictions")).status_code == 403
    lift = reverse("web:restriction_lift", args=[restriction.pk])
    assert client.get(lift).status_code == 403
    assert client.post(lift, {"reasons": DECISION_REASONS}).status_code == 403
    assert Person.objects.get(pk=person.pk).restricted_at is not None


# --- navigation and the task list -------------------------------------------------------------------------------


def test_navigation_offers_reviews_to_reviewers_only(
    officer_a: User, spoc_a: User, dpo: User, client_for: ClientFor
) -> None:
    officer_nav = client_for(officer_a).get(reverse("web:retention_schedule")).content.decode()
    assert 'href="/reviews/"' not in officer_nav
    assert 'href="/restrictions/"' not in officer_nav
    spoc_nav = client_for(spoc_a).get(reverse("web:retention_schedule")).content.decode()
    assert 'href="/reviews/"' in spoc_nav
    assert 'href="/restrictions/"' not in spoc_nav
    dpo_nav = client_for(dpo).get(reverse("web:retention_schedule")).content.decode()
    assert 'href="/reviews/"' in dpo_nav
    assert 'href="/restrictions/"' in dpo_nav


def test_the_task_list_shows_open_notices_and_marks_them_done(
    officer_a: User, spoc_a: User, spoc_b: User, client_for: ClientFor
) -> None:
    review = a_review(a_person(officer_a))  # tells the SPOC of BCU A
    client = client_for(spoc_a)
    page = client.get(reverse("web:tasks")).content.decode()
    assert "Tasks (1)" in page
    assert review.short_ref in page
    assert review_url(review) in page
    notice = Notification.objects.get(recipient=spoc_a)
    assert client_for(spoc_b).post(reverse("web:task_done", args=[notice.pk])).status_code == 404
    assert Notification.objects.get(pk=notice.pk).done_at is None
    before = _last_seq()
    response = client.post(reverse("web:task_done", args=[notice.pk]))
    assert response.status_code == 302
    assert Notification.objects.get(pk=notice.pk).done_at is not None
    assert _verbs_since(before) == []
    page = client.get(reverse("web:tasks")).content.decode()
    assert "Tasks (1)" not in page
    assert "You have no open notices." in page


# --- the trigger in words ---------------------------------------------------------------------------------------

EXPLAINED = {
    Trigger.REVIEW_DUE: ("review date, 1 March 2026, was reached", "Review interval for a red listing: 91 days"),
    Trigger.PROPOSAL_STALE: ("neither confirmed nor withdrawn", "within 28 days"),
    Trigger.ZERO_SCORE: ("harm score (0.50) is below 1", "Removal rule: score below 1 with evidence of exit"),
    Trigger.NO_ATTENTION: ("the last was on 1 January 2025", "no gang-related police attention for 183 days"),
    Trigger.VICTIM_SCHEDULE: ("only as a victim, witness or other", "reviewed 91 days after the latest record"),
    Trigger.NOT_LISTED: ("not on the matrix", "reviewed 365 days after the latest record"),
    Trigger.SUBJECT_REQUEST: ("asked for their data to be erased", "decided by a named person"),
    Trigger.MANUAL: ("Opened by hand by spoc_a", "retention schedule version 1"),
}


@pytest.mark.parametrize("trigger", list(EXPLAINED))
def test_every_trigger_is_explained_in_words(trigger: str) -> None:
    from decimal import Decimal

    from custos.retention.schedule import schedule_default
    from custos.retention.selectors import trigger_explained

    review = Review(trigger=trigger, band="red", due_on=dt.date(2026, 3, 1))
    facts = {
        "score": Decimal("0.50"),
        "exit_evidence": True,
        "last_attention": dt.date(2025, 1, 1),
        "review_due": dt.date(2026, 3, 1),
        "opened_by": "spoc_a",
    }
    explained = trigger_explained(review=review, definition=schedule_default(), version=1, facts=facts)
    why, rule = EXPLAINED[trigger]
    assert why in explained.why
    assert rule in explained.rule


def test_a_review_the_sweep_opened_explains_the_listings_review_date(
    officer_a: User, spoc_a: User, client_for: ClientFor
) -> None:
    person = a_nominal(officer_a, spoc_a, band="green")
    today = timezone.localdate()
    Nomination.objects.filter(person=person).update(review_due=today - dt.timedelta(days=2))
    services.retention_sweep(actor=Actor.system("retention-sweep"), today=today)
    review = Review.objects.get(person=person)
    assert review.trigger == Trigger.REVIEW_DUE
    page = client_for(spoc_a).get(review_url(review)).content.decode()
    assert "review date" in page
    assert "Review interval for a green listing: 182 days (retention schedule version 1)" in page
    assert "2 days overdue" in page
    assert "by the retention sweep" in page
    queue = client_for(spoc_a).get(reverse("web:reviews"), {"bcu": "central-east"}).content.decode()
    assert review.short_ref in queue
