"""The rules of the register, each tried and refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from custos.audit.models import AuditEvent, Verb
from custos.register.models import Band, HarmScore, Nomination, Person
from custos.register.services import (
    RuleBroken,
    intelligence_verify,
    nomination_activate,
    nomination_propose,
    person_rescore,
    rag_decide,
)
from custos.register.tests.factories import a_person, an_item

pytestmark = pytest.mark.django_db


def _corroborated(actor, **person_kwargs):  # type: ignore[no-untyped-def]
    person = a_person(actor, **person_kwargs)
    an_item(actor, person, source_reference="CAD 1")
    an_item(actor, person, source_type="partner_agency", source_reference="YOS Hackney", criterion="weapon_knife")
    return person


def test_victim_cannot_be_nominated(officer_a):
    person = a_person(officer_a)
    an_item(officer_a, person, category="victim", criterion="victimisation", source_reference="CAD 1")
    an_item(officer_a, person, category="victim", criterion="victimisation", source_reference="CAD 2")
    with pytest.raises(RuleBroken, match="victim cannot be nominated"):
        nomination_propose(actor=officer_a, person=person, reasons="Victim of two stabbings")
    assert not Nomination.objects.exists()


def test_victimisation_never_adds_to_a_score(officer_a):
    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1")
    before = HarmScore.objects.get(person=person, is_current=True).total
    an_item(officer_a, person, category="victim", criterion="victimisation", source_reference="CAD 2")
    an_item(officer_a, person, category="victim", criterion="serious_violence", source_reference="CAD 3")
    after = HarmScore.objects.get(person=person, is_current=True)
    assert after.total == before
    excluded = {line["item"]: line["reason"] for line in after.explanation["excluded"]}
    assert len(excluded) == 2
    assert all("victim" in reason for reason in excluded.values())


def test_offender_records_cannot_use_victimisation_criterion(officer_a):
    person = a_person(officer_a)
    with pytest.raises(ValidationError):
        an_item(officer_a, person, category="suspected_offender", criterion="victimisation")


def test_nomination_needs_two_independent_sources(officer_a):
    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1")
    an_item(officer_a, person, source_reference="cad  1", criterion="weapon_knife")  # same source, re-spelt
    with pytest.raises(RuleBroken, match="two independent sources"):
        nomination_propose(actor=officer_a, person=person, reasons="Two items, one source")
    an_item(officer_a, person, source_type="partner_agency", source_reference="YOS Hackney")
    nomination = nomination_propose(actor=officer_a, person=person, reasons="Corroborated by YOS")
    assert len(nomination.corroborating_items) == 2


def test_grade_e_counts_for_nothing(officer_a):
    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1", intel_grade="E")
    an_item(officer_a, person, source_reference="CAD 2", intel_grade="E")
    assert HarmScore.objects.get(person=person, is_current=True).total == 0
    with pytest.raises(RuleBroken, match="two independent sources"):
        nomination_propose(actor=officer_a, person=person, reasons="Only grade E intelligence")


def test_unverified_social_media_counts_for_nothing_until_verified(officer_a, spoc_a):
    person = a_person(officer_a)
    an_item(officer_a, person, source_reference="CAD 1")
    post = an_item(
        officer_a, person, source_type="social_media", source_reference="drill video", criterion="weapon_knife"
    )
    score = HarmScore.objects.get(person=person, is_current=True)
    assert post.verification == "unverified"
    assert str(post.pk) in {line["item"] for line in score.explanation["excluded"]}
    with pytest.raises(RuleBroken):
        nomination_propose(actor=officer_a, person=person, reasons="One police item and one post")
    intelligence_verify(actor=spoc_a, item=post, verified=True, reasons="Verified under guidance G3 by analyst")
    rescored = HarmScore.objects.get(person=person, is_current=True)
    assert rescored.total > score.total
    assert nomination_propose(actor=officer_a, person=person, reasons="Post now verified")


def test_protected_characteristics_never_change_a_score(officer_a):
    person = _corroborated(officer_a, observed_ethnicity="IC3", self_defined_ethnicity="B1", gender="male")
    before = person_rescore(actor=officer_a, person=person)
    person.observed_ethnicity, person.self_defined_ethnicity, person.gender = "IC1", "W1", "female"
    person.save()
    after = person_rescore(actor=officer_a, person=person)
    assert (after.total, after.recommended_band) == (before.total, before.recommended_band)
    assert after.explanation == before.explanation


def test_score_only_recommends_band_changes_only_by_decision(officer_a, spoc_a):
    person = _corroborated(officer_a)
    nomination = nomination_propose(actor=officer_a, person=person, reasons="Two sources corroborate")
    nomination_activate(actor=spoc_a, nomination=nomination, reasons="Reviewed intelligence; meets criteria")
    for _ in range(4):
        an_item(officer_a, person, source_reference="CAD 9", criterion="weapon_firearm")
    nomination.refresh_from_db()
    assert HarmScore.objects.get(person=person, is_current=True).recommended_band == Band.RED
    assert nomination.band == ""
    decision = rag_decide(actor=spoc_a, nomination=nomination, band="amber", reasons="Recent diversion engagement")
    nomination.refresh_from_db()
    assert nomination.band == "amber"
    assert decision.recommended_band == "red"
    assert decision.reasons == "Recent diversion engagement"


def test_rag_decision_needs_reasons_and_an_active_nomination(officer_a, spoc_a):
    person = _corroborated(officer_a)
    nomination = nomination_propose(actor=officer_a, person=person, reasons="Two sources corroborate")
    with pytest.raises(RuleBroken, match="active"):
        rag_decide(actor=spoc_a, nomination=nomination, band="green", reasons="Long enough reasons")
    nomination_activate(actor=spoc_a, nomination=nomination, reasons="Confirmed on review")
    with pytest.raises(ValidationError):
        rag_decide(actor=spoc_a, nomination=nomination, band="green", reasons="")


def test_officer_cannot_decide_band_or_activate(officer_a, spoc_a):
    person = _corroborated(officer_a)
    nomination = nomination_propose(actor=officer_a, person=person, reasons="Two sources corroborate")
    with pytest.raises(PermissionDenied):
        nomination_activate(actor=officer_a, nomination=nomination, reasons="Self-activation attempt")


def test_proposer_cannot_activate_own_nomination(spoc_a):
    person = _corroborated(spoc_a)
    nomination = nomination_propose(actor=spoc_a, person=person, reasons="Two sources corroborate")
    with pytest.raises(RuleBroken, match="other than its proposer"):
        nomination_activate(actor=spoc_a, nomination=nomination, reasons="Activating my own proposal")


def test_officer_cannot_write_in_another_bcu(officer_a, bcu_b):
    with pytest.raises(PermissionDenied):
        a_person(officer_a, bcu=bcu_b)
    assert not Person.objects.exists()


def test_every_write_emits_its_audit_event(officer_a, spoc_a):
    start = AuditEvent.objects.count()
    person = _corroborated(officer_a)
    nomination = nomination_propose(actor=officer_a, person=person, reasons="Two sources corroborate")
    nomination_activate(actor=spoc_a, nomination=nomination, reasons="Confirmed on review")
    rag_decide(actor=spoc_a, nomination=nomination, band="green", reasons="Low harm, recent")
    verbs = list(AuditEvent.objects.filter(seq__gt=start).values_list("verb", flat=True))
    assert verbs == [
        Verb.PERSON_CREATED,
        Verb.INTELLIGENCE_ADDED,
        Verb.SCORE_COMPUTED,
        Verb.INTELLIGENCE_ADDED,
        Verb.SCORE_COMPUTED,
        Verb.NOMINATION_PROPOSED,
        Verb.NOMINATION_ACTIVATED,
        Verb.RAG_DECIDED,
    ]
    assert AuditEvent.objects.filter(seq__gt=start, object_ref=person.ref).count() == 1


def test_future_dates_are_refused(officer_a):
    with pytest.raises(ValidationError):
        a_person(officer_a, date_of_birth=dt.date.today() + dt.timedelta(days=2))


def test_handling_code_c_carries_its_conditions(officer_a):
    person = a_person(officer_a)
    with pytest.raises(ValidationError, match="conditions"):
        an_item(officer_a, person, handling="C")
    item = an_item(officer_a, person, handling="C", handling_conditions="Not to be shared with housing")
    assert item.handling_conditions == "Not to be shared with housing"
