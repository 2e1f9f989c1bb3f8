"""Synthetic demo data: reproducible, fictional, audited, and never breaking a rule of the register."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from custos.accounts.models import Role, User
from custos.audit.models import AuditEvent, Verb
from custos.audit.verify import chain_verify
from custos.crypto.blind_index import name_digest
from custos.register.bulk import PersonBundle, bcus_resolve, bundles_write
from custos.register.models import (
    BCU,
    OFFENDER_CATEGORIES,
    Category,
    Gang,
    HarmScore,
    IntelligenceItem,
    Nomination,
    Person,
    PersonIndex,
    RagDecision,
    SourceType,
    Verification,
)
from custos.register.scoring import score
from custos.register.seeding import SEED_USERNAME, SYSTEM, DemoArea, DemoGenerator, seed_demo
from custos.register.services import (
    RuleBroken,
    _corroborating_items,
    _items_for_scoring,
    intelligence_build,
    person_build,
    rubric_active,
)

RUBRIC = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "rubric-default-v1.json").read_text(encoding="utf-8")
)
TODAY = dt.date(2026, 3, 1)
AREAS = [DemoArea("central-east", ("Hackney", "Tower Hamlets"), ("Ash Heron (demo)",))]


def generate(seed: int, n: int) -> list:  # type: ignore[type-arg]
    generator = iter(DemoGenerator(seed=seed, areas=AREAS, rubric=RUBRIC, today=TODAY))
    return [next(generator) for _ in range(n)]


# -- generation (pure) ----------------------------------------------------------------------


def test_the_same_seed_gives_the_same_people_and_records():
    assert generate(7, 200) == generate(7, 200)
    assert [p.full_name for p in generate(7, 50)] != [p.full_name for p in generate(8, 50)]


def test_generated_people_cover_every_category_and_the_awkward_cases():
    people = generate(1, 2000)
    kinds = Counter(p.kind for p in people)
    assert set(kinds) == {
        "offender",
        "prolific_offender",
        "victim_and_suspect",
        "victim",
        "witness",
        "other",
        "weak_offender",
    }
    records = [r for p in people for r in p.records]
    assert {r.category for r in records} == set(Category.values)
    assert any(r.intel_grade == "E" for r in records)
    assert any(r.source_type == SourceType.SOCIAL_MEDIA and r.verification == Verification.UNVERIFIED for r in records)
    assert any(r.source_type == SourceType.SOCIAL_MEDIA and r.verification == Verification.VERIFIED for r in records)
    assert {r.nature for r in records} == {"fact", "assessment"}
    assert {r.source_type for r in records} == set(SourceType.values)
    both = [p for p in people if {r.category for r in p.records} >= {Category.VICTIM, Category.SUSPECTED_OFFENDER}]
    assert both
    assert all(r.summary.startswith("Synthetic record") for r in records)


def test_generated_nominations_follow_the_rules():
    people = generate(3, 3000)
    statuses = Counter(p.nomination.status for p in people if p.nomination)
    assert statuses["active"]
    assert statuses["proposed"]
    for person in people:
        offender = any(r.category in OFFENDER_CATEGORIES for r in person.records)
        if person.kind in ("victim", "witness", "other", "weak_offender"):
            assert person.nomination is None, person.kind
        if person.nomination is None:
            continue
        assert offender
        assert len({r.source_reference.casefold() for r in person.records if r.category in OFFENDER_CATEGORIES}) >= 2
        if person.nomination.status == "active":
            assert person.nomination.band in ("red", "amber", "green")
            assert len(person.nomination.decision_reasons) >= 10
        else:
            assert person.nomination.band == ""
    bands = Counter(p.nomination.band for p in people if p.nomination and p.nomination.band)
    assert set(bands) == {"red", "amber", "green"}


# -- writing -------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_bcus(reference_data: None) -> list[BCU]:
    return bcus_resolve(["central-east", "North Area"])


def test_seed_demo_writes_encrypted_indexed_scored_people(two_bcus):
    summary = seed_demo(people=120, seed=11, bcus=two_bcus, batch_size=50)
    assert summary.people == Person.objects.count() == 120
    assert set(Person.objects.values_list("bcu__code", flat=True)) == {"central-east", "north-area"}
    person = Person.objects.select_related("borough").first()
    assert person is not None
    assert person.full_name
    assert person.addresses
    assert person.borough is not None
    assert person.borough.bcu_id == person.bcu_id
    assert PersonIndex.objects.filter(person=person, digest=name_digest(person.full_name)).exists()
    assert IntelligenceItem.objects.count() == summary.counts.items
    # Every stored score is what the real rubric gives for the stored items.
    rubric = rubric_active()
    inputs = _items_for_scoring(list(Person.objects.values_list("pk", flat=True)))
    for current in HarmScore.objects.filter(is_current=True):
        expected = score(inputs[current.person_id], rubric.definition, today=timezone.localdate())
        assert current.total == expected.total
        assert current.explanation["rubric_version"] == rubric.version
    assert HarmScore.objects.filter(is_current=True).count() == 120


def test_seeded_nominations_never_break_the_rules(two_bcus):
    seed_demo(people=300, seed=5, bcus=two_bcus)
    nominations = list(Nomination.objects.select_related("person"))
    assert nominations
    for nomination in nominations:
        chosen, categories = _corroborating_items(nomination.person)
        assert categories & set(OFFENDER_CATEGORIES), "a victim-only person was nominated"
        assert len(chosen) >= 2
        assert set(nomination.corroborating_items) <= {
            str(i) for i in nomination.person.intelligence.values_list("pk", flat=True)
        }
        if nomination.band:
            decision = RagDecision.objects.get(nomination=nomination)
            assert nomination.status == Nomination.Status.ACTIVE
            assert decision.band == nomination.band
            assert len(decision.reasons) >= 10
            assert decision.score is not None
            assert decision.rubric_version == rubric_active().version
    victim_only = Person.objects.exclude(intelligence__category__in=OFFENDER_CATEGORIES)
    assert victim_only.exists()
    assert not Nomination.objects.filter(person__in=victim_only).exists()


def test_every_seeded_record_is_audited(two_bcus):
    seed_demo(people=80, seed=2, bcus=two_bcus)
    events = AuditEvent.objects.all()

    def refs(verb: str) -> set[str]:
        return set(events.filter(verb=verb).values_list("object_ref", flat=True))

    assert refs(Verb.PERSON_CREATED) == {p.ref for p in Person.objects.all()}
    assert refs(Verb.INTELLIGENCE_ADDED) == {i.ref for i in IntelligenceItem.objects.all()}
    assert refs(Verb.NOMINATION_PROPOSED) == {n.ref for n in Nomination.objects.all()}
    assert refs(Verb.NOMINATION_ACTIVATED) == {n.ref for n in Nomination.objects.filter(status="active")}
    assert refs(Verb.RAG_DECIDED) == {f"rag_decision:{d.pk}" for d in RagDecision.objects.all()}
    assert refs(Verb.GANG_CREATED) == {f"gang:{g.pk}" for g in Gang.objects.all()}
    assert events.filter(verb=Verb.DEMO_SEEDED).get().detail["people"] == 80
    assert set(events.filter(verb=Verb.PERSON_CREATED).values_list("actor_username", flat=True)) == {"system:seed_demo"}
    names = [p.full_name for p in Person.objects.all()]
    dumped = json.dumps(list(events.values_list("detail", "targets", "object_ref", "purpose")))
    assert not any(name in dumped for name in names)
    assert chain_verify().ok


def test_decisions_are_recorded_as_the_demo_spoc_in_their_bcu_else_an_inactive_account(two_bcus, spoc_a):
    spoc_a.username = "demo_bcu_spoc"
    spoc_a.save()
    summary = seed_demo(people=400, seed=9, bcus=two_bcus)
    assert summary.decided_by == ["demo_bcu_spoc", SEED_USERNAME]
    deciders = dict(RagDecision.objects.values_list("nomination__bcu__code", "decided_by__username").distinct())
    assert deciders == {"central-east": "demo_bcu_spoc", "north-area": SEED_USERNAME}
    fallback = User.objects.get(username=SEED_USERNAME)
    assert not fallback.is_active
    assert not fallback.has_usable_password()
    assert fallback.role == Role.CENTRAL_GOVERNANCE


def test_running_again_adds_people_and_reuses_the_seeds_gangs(two_bcus):
    seed_demo(people=20, seed=4, bcus=two_bcus)
    gangs = Gang.objects.count()
    first = sorted(p.full_name for p in Person.objects.all())
    again = seed_demo(people=20, seed=4, bcus=two_bcus)
    assert again.gangs_created == 0
    assert Gang.objects.count() == gangs
    assert Counter(p.full_name for p in Person.objects.all()) == Counter(first * 2)


def test_bulk_write_refuses_a_nomination_the_rules_forbid(two_bcus):
    from custos.crypto.envelope import data_key_new

    bcu = two_bcus[0]
    person = person_build(bcu=bcu, full_name="Victim Only", data_key=data_key_new())
    items = [
        intelligence_build(
            person=person,
            category="victim",
            occurred_on=timezone.localdate(),
            source_type="police",
            source_reference=f"CAD {n}",
            source_grade="1",
            intel_grade="A",
            handling="P",
            nature="fact",
            criterion="victimisation",
            summary="Victim of two stabbings",
        )
        for n in (1, 2)
    ]
    nomination = Nomination(data_key_id=person.data_key_id, person=person, bcu=bcu, reasons="Victim of two crimes")
    bundle = PersonBundle(person=person, items=items, nomination=nomination)
    with pytest.raises(RuleBroken, match="two independent sources"):
        bundles_write(
            actor=SYSTEM, bundles=[bundle], rubric=rubric_active(), today=timezone.localdate(), purpose="test"
        )
    assert not Person.objects.exists()


# -- the command ------------------------------------------------------------------------------------


def test_command_prints_a_summary(reference_data):
    out = StringIO()
    call_command("seed_demo", "--people", "30", "--seed", "3", "--bcu", "central-east", "--no-progress", stdout=out)
    text = out.getvalue()
    assert text.startswith("Seeded 30 synthetic people in 1 BCU(s) in ")
    assert "seed 3" in text
    assert "nominations:" in text
    assert "audit events written:" in text
    assert Person.objects.count() == 30


def test_command_refuses_an_unknown_bcu(reference_data):
    with pytest.raises(CommandError, match="unknown BCU 'atlantis'"):
        call_command("seed_demo", "--people", "3", "--bcu", "atlantis")
    assert not Person.objects.exists()
