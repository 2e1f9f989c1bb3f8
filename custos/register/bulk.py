"""Bulk writes of whole people for the command line (``seed_demo``, ``import_matrix``).

The interactive services write one record at a time; a command that loads
thousands of people writes them in batches instead, but under the same rules
and with the same audit trail:

- every person gets their own data key (``data_key_new``), saved before the
  person, and every personal value is sealed with it by ``EncryptedField``
  during ``bulk_create``; blind-index entries are written as
  ``person_create`` writes them;
- every person, intelligence item, score, nomination and RAG decision has the
  event the interactive service would have recorded, appended to the s.62
  chain in the same transaction (so a batch is all written or not at all);
- scores are computed by the real scoring over the items being written;
- a nomination is refused (``RuleBroken``) unless the person has an offender
  record and intelligence from two independent sources that counts, exactly
  as ``nomination_propose`` decides; a band is set only with a decision.

Callers build unsaved objects with ``services.person_build`` and
``services.intelligence_build`` and pass them in ``PersonBundle``s.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from custos.audit.models import Verb
from custos.audit.services import Actor, EventSpec, events_record
from custos.crypto.models import DataKey
from custos.register.models import (
    BCU,
    OFFENDER_CATEGORIES,
    HarmScore,
    IntelligenceItem,
    Nomination,
    Person,
    PersonIndex,
    RagDecision,
    Rubric,
)
from custos.register.scoring import ScoringInput, score
from custos.register.services import (
    RuleBroken,
    _fields_given,
    _index_entries,
    corroborating_sources,
    scoring_inputs,
)
from custos.register.signals import person_changed


@dataclass
class PersonBundle:
    """One new person and the records written with them, all unsaved.

    ``decision`` (optional) needs an active ``nomination``; its score fields
    are filled in from the score computed here. ``event_detail`` is added to
    the ``person.created`` event (never personal data).
    """

    person: Person
    items: list[IntelligenceItem] = field(default_factory=list)
    nomination: Nomination | None = None
    decision: RagDecision | None = None
    event_detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class BulkCounts:
    """What a bulk write created (added up over batches)."""

    people: int = 0
    items: int = 0
    scores: int = 0
    nominations: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    events: int = 0

    def add(self, other: BulkCounts) -> None:
        self.people += other.people
        self.items += other.items
        self.scores += other.scores
        self.nominations.update(other.nominations)
        self.decisions.update(other.decisions)
        self.events += other.events


def nomination_corroboration(items: Sequence[IntelligenceItem]) -> list[str] | None:
    """The corroborating item ids if the rules allow a nomination on these items, else None.

    The rules of ``nomination_propose``: at least one suspected or convicted
    offender record, and items that count from two independent sources.
    """
    inputs = scoring_inputs(items)
    if not {i.category for i in inputs} & set(OFFENDER_CATEGORIES):
        return None
    digests = {str(item.pk): bytes(item.source_digest) for item in items}
    chosen = corroborating_sources(inputs, digests)
    return chosen if len(chosen) >= 2 else None


def _score_for(bundle: PersonBundle, rubric: Rubric, today: dt.date) -> HarmScore:
    inputs: list[ScoringInput] = scoring_inputs(bundle.items)
    result = score(inputs, rubric.definition, today=today)
    return HarmScore(
        person=bundle.person,
        rubric=rubric,
        total=result.total,
        recommended_band=result.recommended_band,
        explanation=result.explanation(rubric.version),
    )


def _check_nomination(bundle: PersonBundle) -> None:
    nomination = bundle.nomination
    if nomination is None:
        if bundle.decision is not None:
            raise RuleBroken("A RAG decision needs a nomination.")
        return
    chosen = nomination_corroboration(bundle.items)
    if chosen is None:
        raise RuleBroken(
            "A nomination needs an offender record and intelligence from two independent sources that counts."
        )
    nomination.corroborating_items = chosen
    if nomination.status != Nomination.Status.ACTIVE and (bundle.decision is not None or nomination.band):
        raise RuleBroken("Only an active nomination can be given a band.")
    if nomination.status == Nomination.Status.ACTIVE and nomination.band and bundle.decision is None:
        raise RuleBroken("A band is set only by a named person's decision.")


def bundles_write(
    *, actor: Actor, bundles: Sequence[PersonBundle], rubric: Rubric, today: dt.date, purpose: str
) -> BulkCounts:
    """Write a batch of new people with their records, scores and events, in one transaction.

    Raises ``RuleBroken`` (and writes nothing) if any nomination or band in
    the batch breaks a rule of the register.
    """
    counts = BulkCounts()
    if not bundles:
        return counts
    for bundle in bundles:
        _check_nomination(bundle)
    with transaction.atomic():
        # Keys from data_key_new() are unsaved; one person_build saved itself is left alone.
        keys: list[DataKey] = [bundle.person.data_key for bundle in bundles]
        DataKey.objects.bulk_create([key for key in keys if key._state.adding])
        people = [bundle.person for bundle in bundles]
        Person.objects.bulk_create(people)
        PersonIndex.objects.bulk_create([entry for person in people for entry in _index_entries(person)])
        person_changed.send(sender=Person, people=people, created=True)
        items = [item for bundle in bundles for item in bundle.items]
        IntelligenceItem.objects.bulk_create(items)
        scores = [_score_for(bundle, rubric, today) for bundle in bundles]
        HarmScore.objects.bulk_create(scores)
        nominations: list[Nomination] = []
        decisions: list[RagDecision] = []
        for bundle, harm_score in zip(bundles, scores, strict=True):
            if bundle.nomination is None:
                continue
            nominations.append(bundle.nomination)
            if bundle.decision is not None:
                decision = bundle.decision
                decision.nomination = bundle.nomination
                decision.previous_band = ""
                decision.score = harm_score
                decision.score_total = harm_score.total
                decision.recommended_band = harm_score.recommended_band
                decision.rubric_version = rubric.version
                bundle.nomination.band = decision.band
                decisions.append(decision)
        Nomination.objects.bulk_create(nominations)
        RagDecision.objects.bulk_create(decisions)
        specs = [spec for bundle, s in zip(bundles, scores, strict=True) for spec in _events(bundle, s, purpose)]
        events_record(actor=actor, specs=specs)
    counts.people = len(people)
    counts.items = len(items)
    counts.scores = len(scores)
    counts.nominations.update(str(n.status) for n in nominations)
    counts.decisions.update(str(d.band) for d in decisions)
    counts.events = len(specs)
    return counts


def _events(bundle: PersonBundle, harm_score: HarmScore, purpose: str) -> list[EventSpec]:
    """The events the interactive services record, in the order they would."""
    person = bundle.person
    specs = [
        EventSpec(
            verb=Verb.PERSON_CREATED,
            object_type="person",
            object_ref=person.ref,
            purpose=purpose,
            detail={"bcu": person.bcu.code, "fields": _fields_given(person), **bundle.event_detail},
        )
    ]
    specs.extend(
        EventSpec(
            verb=Verb.INTELLIGENCE_ADDED,
            object_type="intelligence",
            object_ref=item.ref,
            targets=[person.ref],
            purpose=purpose,
            detail={
                "category": item.category,
                "grade": item.grade,
                "source_type": item.source_type,
                "nature": item.nature,
                "verification": item.verification,
            },
        )
        for item in bundle.items
    )
    specs.append(
        EventSpec(
            verb=Verb.SCORE_COMPUTED,
            object_type="harm_score",
            object_ref=f"harm_score:{harm_score.pk}",
            targets=[person.ref],
            detail={
                "total": str(harm_score.total),
                "recommended_band": harm_score.recommended_band,
                "rubric": harm_score.rubric.version,
            },
        )
    )
    nomination = bundle.nomination
    if nomination is None:
        return specs
    specs.append(
        EventSpec(
            verb=Verb.NOMINATION_PROPOSED,
            object_type="nomination",
            object_ref=nomination.ref,
            targets=[person.ref, *(f"intelligence:{i}" for i in nomination.corroborating_items)],
            purpose=purpose,
        )
    )
    if nomination.status == Nomination.Status.ACTIVE:
        specs.append(
            EventSpec(
                verb=Verb.NOMINATION_ACTIVATED,
                object_type="nomination",
                object_ref=nomination.ref,
                targets=[person.ref],
                purpose=purpose,
                detail={"recorded_as": f"user:{nomination.activated_by_id}"} if nomination.activated_by_id else {},
            )
        )
    decision = bundle.decision
    if decision is not None:
        specs.append(
            EventSpec(
                verb=Verb.RAG_DECIDED,
                object_type="rag_decision",
                object_ref=f"rag_decision:{decision.pk}",
                targets=[nomination.ref, person.ref],
                purpose=purpose,
                detail={
                    "band": decision.band,
                    "previous_band": decision.previous_band,
                    "recommended_band": decision.recommended_band,
                    "score": str(decision.score_total) if decision.score_total is not None else None,
                    "recorded_as": f"user:{decision.decided_by_id}",
                },
            )
        )
    return specs


def bcus_resolve(wanted: Sequence[str]) -> list[BCU]:
    """BCUs by code or name, case-insensitively; all of them if none are named.

    Raises ``ValueError`` naming the first unknown one.
    """
    if not wanted:
        bcus = list(BCU.objects.prefetch_related("boroughs").order_by("code"))
        if not bcus:
            raise ValueError("no BCUs are recorded: run 'custos init' first")
        return bcus
    found: list[BCU] = []
    for value in wanted:
        bcu = BCU.objects.prefetch_related("boroughs").filter(Q(code__iexact=value) | Q(name__iexact=value)).first()
        if bcu is None:
            codes = ", ".join(BCU.objects.order_by("code").values_list("code", flat=True))
            raise ValueError(f"unknown BCU {value!r}: use a BCU name or code ({codes})")
        if bcu not in found:
            found.append(bcu)
    return found
