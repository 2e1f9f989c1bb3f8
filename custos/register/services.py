"""Writes to the register.

Each service authorises the actor (``policies``), validates, writes and
records its audit event in one transaction; if the event cannot be written
nothing is changed. Rules of the register enforced here, whatever the
interface (web, API, command line):

- a victim is never a nominal, and victimisation never adds to a score;
- a nomination needs intelligence from two independent sources;
- unverified social-media items and grade E intelligence count for nothing;
- protected characteristics are never read by scoring;
- a score only recommends a band: the band changes only by a named
  person's decision with reasons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.blind_index import date_digest, name_digest, reference_digest
from custos.crypto.envelope import data_key_create
from custos.crypto.models import DataKey
from custos.register import guidance, policies
from custos.register.models import (
    BCU,
    OFFENDER_CATEGORIES,
    Band,
    Borough,
    Category,
    Criterion,
    Gang,
    Gender,
    Handling,
    HarmScore,
    IntelGrade,
    IntelligenceItem,
    Nature,
    Nomination,
    ObservedEthnicity,
    Person,
    PersonIndex,
    RagDecision,
    Rubric,
    SelfDefinedEthnicity,
    SourceGrade,
    SourceType,
    Verification,
)
from custos.register.scoring import RubricError, ScoringInput, counts_for_nothing, rubric_validate, score
from custos.register.signals import person_changed

MIN_REASONS = 10


class RuleBroken(ValidationError):
    """A rule of the register refused the change; the message says which and why."""


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def not_restricted(person: Person) -> None:
    """Refuse any change to a person whose processing is restricted (s.47)."""
    if person.restricted_at is not None:
        raise RuleBroken(
            "This person's records are restricted (DPA 2018 s.47): nothing about them may change "
            "while the restriction stands."
        )


def _choice(value: str, choices: type[Any], label: str, *, blank: bool = False) -> str:
    if blank and not value:
        return ""
    if value not in choices.values:
        raise ValidationError({label: f"{label.replace('_', ' ').capitalize()} is not one of the allowed values."})
    return value


def _reasons(text: str, field: str = "reasons") -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASONS:
        raise ValidationError({field: f"Give reasons (at least {MIN_REASONS} characters)."})
    return text


def _index_entries(person: Person) -> list[PersonIndex]:
    entries = [PersonIndex(person=person, kind=PersonIndex.Kind.NAME, digest=name_digest(person.full_name))]
    for alias in person.aliases or []:
        entries.append(PersonIndex(person=person, kind=PersonIndex.Kind.ALIAS, digest=name_digest(alias)))
    if person.date_of_birth:
        entries.append(PersonIndex(person=person, kind=PersonIndex.Kind.DOB, digest=date_digest(person.date_of_birth)))
    return entries


def person_build(
    *,
    bcu: BCU,
    full_name: str,
    date_of_birth: dt.date | None = None,
    aliases: Sequence[str] = (),
    addresses: Sequence[str] = (),
    borough: Borough | None = None,
    observed_ethnicity: str = "",
    self_defined_ethnicity: str = "",
    gender: str = "",
    created_by: User | None = None,
    today: dt.date | None = None,
    data_key: DataKey | None = None,
) -> Person:
    """Validate and build an unsaved person with a new data key (saved).

    Bulk writers (``seed_demo``, ``import_matrix``) pass ``data_key``: an
    unsaved key from ``data_key_new()`` that they save with ``bulk_create``
    before the person; no key is then created here.
    """
    errors: dict[str, str] = {}
    full_name = " ".join((full_name or "").split())
    if not full_name:
        errors["full_name"] = "Enter the person's full name."
    elif len(full_name) > 200:
        errors["full_name"] = "Full name must be 200 characters or fewer."
    today = today or timezone.localdate()
    if date_of_birth is not None and (date_of_birth > today or date_of_birth.year < 1900):
        errors["date_of_birth"] = "Date of birth must be a real date in the past."
    if borough is not None and borough.bcu_id != bcu.pk:
        errors["borough"] = "The borough is not in this BCU."
    if errors:
        raise ValidationError(errors)
    clean_aliases = sorted({" ".join(a.split()) for a in aliases if a and a.strip()})
    clean_addresses = [" ".join(a.split()) for a in addresses if a and a.strip()]
    return Person(
        data_key=data_key if data_key is not None else data_key_create(),
        bcu=bcu,
        borough=borough,
        full_name=full_name,
        aliases=clean_aliases,
        date_of_birth=date_of_birth,
        addresses=clean_addresses,
        observed_ethnicity=_choice(observed_ethnicity, ObservedEthnicity, "observed_ethnicity", blank=True) or None,
        self_defined_ethnicity=_choice(
            self_defined_ethnicity, SelfDefinedEthnicity, "self_defined_ethnicity", blank=True
        )
        or None,
        gender=_choice(gender, Gender, "gender", blank=True) or None,
        created_by=created_by,
    )


@transaction.atomic
def person_create(
    *,
    actor: User,
    bcu: BCU,
    full_name: str,
    purpose: str,
    date_of_birth: dt.date | None = None,
    aliases: Sequence[str] = (),
    addresses: Sequence[str] = (),
    borough: Borough | None = None,
    observed_ethnicity: str = "",
    self_defined_ethnicity: str = "",
    gender: str = "",
) -> Person:
    """Record a data subject in a BCU (s.62 collection).

    Authorises ``may_add_person`` in that BCU; creates the person's data key,
    encrypts every personal value with it, writes blind-index entries for
    name, aliases and date of birth, and records ``person.created``.
    """
    _require(policies.may_add_person(actor, bcu.code), "You may not record people in this BCU.")
    person = person_build(
        bcu=bcu,
        full_name=full_name,
        date_of_birth=date_of_birth,
        aliases=aliases,
        addresses=addresses,
        borough=borough,
        observed_ethnicity=observed_ethnicity,
        self_defined_ethnicity=self_defined_ethnicity,
        gender=gender,
        created_by=actor,
    )
    person.save(force_insert=True)
    PersonIndex.objects.bulk_create(_index_entries(person))
    person_changed.send(sender=Person, people=[person], created=True)
    event_record(
        actor=actor,
        verb=Verb.PERSON_CREATED,
        object_type="person",
        object_ref=person.ref,
        purpose=purpose,
        detail={"bcu": bcu.code, "fields": _fields_given(person)},
    )
    return person


def _fields_given(person: Person) -> list[str]:
    names = ["full_name", "aliases", "date_of_birth", "addresses", "observed_ethnicity", "self_defined_ethnicity"]
    return [name for name in [*names, "gender"] if getattr(person, name)]


def intelligence_build(
    *,
    person: Person,
    category: str,
    occurred_on: dt.date,
    source_type: str,
    source_reference: str,
    source_grade: str,
    intel_grade: str,
    handling: str,
    nature: str,
    criterion: str,
    summary: str,
    handling_conditions: str = "",
    gang: Gang | None = None,
    offence_code: str = "",
    created_by: User | None = None,
    today: dt.date | None = None,
) -> IntelligenceItem:
    """Validate and build an unsaved intelligence item about ``person``."""
    errors: dict[str, str] = {}
    for label, value, choices in (
        ("category", category, Category),
        ("source_type", source_type, SourceType),
        ("source_grade", source_grade, SourceGrade),
        ("intel_grade", intel_grade, IntelGrade),
        ("handling", handling, Handling),
        ("nature", nature, Nature),
        ("criterion", criterion, Criterion),
    ):
        if value not in choices.values:
            errors[label] = f"{label.replace('_', ' ').capitalize()} is not one of the allowed values."
    today = today or timezone.localdate()
    if occurred_on > today:
        errors["occurred_on"] = "The date cannot be in the future."
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = "Enter what the intelligence says."
    source_reference = (source_reference or "").strip()
    if not source_reference:
        errors["source_reference"] = "Enter the source reference, so independent sources can be told apart."
    handling_conditions = (handling_conditions or "").strip()
    if handling == Handling.C and not handling_conditions:
        errors["handling_conditions"] = "Handling code C needs its conditions."
    if handling == Handling.P:
        handling_conditions = ""
    if criterion == Criterion.VICTIMISATION and category in OFFENDER_CATEGORIES:
        errors["criterion"] = "Victimisation is recorded with the person as a victim, not as an offender."
    if gang is not None and gang.bcu_id != person.bcu_id:
        errors["gang"] = "The gang is not in this person's BCU."
    if errors:
        raise ValidationError(errors)
    return IntelligenceItem(
        data_key_id=person.data_key_id,
        person=person,
        bcu_id=person.bcu_id,
        category=category,
        gang=gang,
        occurred_on=occurred_on,
        source_type=source_type,
        source_digest=reference_digest(source_reference),
        source_grade=source_grade,
        intel_grade=intel_grade,
        handling=handling,
        handling_conditions=handling_conditions,
        nature=nature,
        verification=Verification.UNVERIFIED if source_type == SourceType.SOCIAL_MEDIA else Verification.NOT_REQUIRED,
        criterion=criterion,
        offence_code=(offence_code or "").strip()[:20],
        summary=summary,
        created_by=created_by,
    )


@transaction.atomic
def intelligence_add(
    *,
    actor: User,
    person: Person,
    purpose: str,
    category: str,
    occurred_on: dt.date,
    source_type: str,
    source_reference: str,
    source_grade: str,
    intel_grade: str,
    handling: str,
    nature: str,
    criterion: str,
    summary: str,
    handling_conditions: str = "",
    gang: Gang | None = None,
    offence_code: str = "",
) -> IntelligenceItem:
    """Add a graded intelligence item about a person, then re-score them.

    Authorises ``may_add_intelligence`` in the person's BCU. A social-media
    item starts unverified and counts for nothing until verified. Records
    ``intelligence.added`` and the new score's ``score.computed``.
    """
    _require(policies.may_add_intelligence(actor, person.bcu.code), "You may not add intelligence in this BCU.")
    not_restricted(person)
    item = intelligence_build(
        person=person,
        category=category,
        occurred_on=occurred_on,
        source_type=source_type,
        source_reference=source_reference,
        source_grade=source_grade,
        intel_grade=intel_grade,
        handling=handling,
        nature=nature,
        criterion=criterion,
        summary=summary,
        handling_conditions=handling_conditions,
        gang=gang,
        offence_code=offence_code,
        created_by=actor,
    )
    item.guidance = guidance.versions_in_force(guidance.Decision.INTELLIGENCE_RECORDED)
    item.save(force_insert=True)
    event_record(
        actor=actor,
        verb=Verb.INTELLIGENCE_ADDED,
        object_type="intelligence",
        object_ref=item.ref,
        targets=[person.ref],
        purpose=purpose,
        detail={
            "category": category,
            "grade": item.grade,
            "source_type": source_type,
            "nature": nature,
            "guidance": item.guidance,
        },
    )
    person_rescore(actor=actor, person=person)
    return item


@transaction.atomic
def intelligence_verify(*, actor: User, item: IntelligenceItem, verified: bool, reasons: str) -> IntelligenceItem:
    """Record the verification of a social-media item under the written guidance.

    Only unverified social-media items can be verified or rejected. Re-scores
    the person. Records ``intelligence.verified``.
    """
    _require(policies.may_verify_intelligence(actor, item.bcu.code), "You may not verify intelligence in this BCU.")
    not_restricted(item.person)
    if item.source_type != SourceType.SOCIAL_MEDIA:
        raise RuleBroken("Only open-source / social-media items need verification.")
    if item.verification != Verification.UNVERIFIED:
        raise RuleBroken("This item has already been verified or rejected.")
    reasons = _reasons(reasons)
    item.verification = Verification.VERIFIED if verified else Verification.REJECTED
    item.verified_at = timezone.now()
    item.verification_guidance = guidance.versions_in_force(guidance.Decision.INTELLIGENCE_VERIFIED)
    item.save(update_fields=["verification", "verified_at", "verification_guidance"])
    event_record(
        actor=actor,
        verb=Verb.INTELLIGENCE_VERIFIED,
        object_type="intelligence",
        object_ref=item.ref,
        targets=[item.person.ref],
        detail={"verification": item.verification, "guidance": item.verification_guidance},
    )
    person_rescore(actor=actor, person=item.person)
    return item


@transaction.atomic
def gang_create(*, actor: User, bcu: BCU, name: str, evidence_basis: str, review_date: dt.date) -> Gang:
    """Record a gang with the evidence for treating it as one, and a review date."""
    _require(policies.may_activate_nomination(actor, bcu.code), "You may not record gangs in this BCU.")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Enter the gang's name."})
    evidence_basis = _reasons(evidence_basis, "evidence_basis")
    if Gang.objects.filter(bcu=bcu, name__iexact=name).exists():
        raise ValidationError({"name": "A gang with this name is already recorded in this BCU."})
    gang = Gang.objects.create(
        bcu=bcu,
        name=name,
        evidence_basis=evidence_basis,
        review_date=review_date,
        created_by=actor,
        guidance=guidance.versions_in_force(guidance.Decision.GANG_RECORDED),
    )
    event_record(
        actor=actor,
        verb=Verb.GANG_CREATED,
        object_type="gang",
        object_ref=f"gang:{gang.pk}",
        detail={"guidance": gang.guidance},
    )
    return gang


def scoring_inputs(items: Iterable[IntelligenceItem]) -> list[ScoringInput]:
    """What scoring may see: record metadata only, no person fields at all."""
    return [
        ScoringInput(
            item_id=str(item.pk),
            category=item.category,
            criterion=item.criterion,
            occurred_on=item.occurred_on,
            source_type=item.source_type,
            source_grade=item.source_grade,
            intel_grade=item.intel_grade,
            verification=item.verification,
            nature=item.nature,
            offence_code=item.offence_code,
        )
        for item in items
    ]


_SCORING_COLUMNS = (
    "id",
    "person_id",
    "category",
    "criterion",
    "occurred_on",
    "source_type",
    "source_grade",
    "intel_grade",
    "verification",
    "nature",
    "offence_code",
)


def _items_for_scoring(person_ids: Sequence[Any]) -> dict[Any, list[ScoringInput]]:
    by_person: dict[Any, list[ScoringInput]] = {pid: [] for pid in person_ids}
    rows = IntelligenceItem.objects.filter(person_id__in=person_ids).values_list(*_SCORING_COLUMNS)
    for row in rows:
        values = dict(zip(_SCORING_COLUMNS, row, strict=True))
        by_person[values.pop("person_id")].append(ScoringInput(item_id=str(values.pop("id")), **values))
    return by_person


def rubric_active() -> Rubric:
    rubric = Rubric.objects.filter(is_active=True).order_by("-version").first()
    if rubric is None:
        raise RuleBroken("No harm-score rubric is loaded: run 'custos init'.")
    return rubric


@transaction.atomic
def person_rescore(
    *, actor: User | Actor, person: Person, rubric: Rubric | None = None, today: dt.date | None = None
) -> HarmScore:
    """Compute a person's score under the active rubric and make it current.

    Advisory only: never changes a band. Records ``score.computed``.
    """
    not_restricted(person)
    rubric = rubric or rubric_active()
    inputs = _items_for_scoring([person.pk])[person.pk]
    result = score(inputs, rubric.definition, today=today or timezone.localdate())
    HarmScore.objects.filter(person=person, is_current=True).update(is_current=False)
    harm_score = HarmScore.objects.create(
        person=person,
        rubric=rubric,
        total=result.total,
        recommended_band=result.recommended_band,
        explanation=result.explanation(rubric.version),
    )
    event_record(
        actor=actor,
        verb=Verb.SCORE_COMPUTED,
        object_type="harm_score",
        object_ref=f"harm_score:{harm_score.pk}",
        targets=[person.ref],
        detail={"total": str(result.total), "recommended_band": result.recommended_band, "rubric": rubric.version},
    )
    return harm_score


def rescore_all(
    *,
    actor: Actor,
    rubric: Rubric | None = None,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
) -> int:
    """Re-score every person under a rubric, in batches; safe to re-run.

    Each batch is one transaction with its own audit events, so an
    interrupted run leaves whole batches done and can simply be run again.
    Returns the number of people scored.
    """
    # Restricted people are frozen (s.47): their last score stands.
    ids = list(Person.objects.filter(restricted_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    return rescore_people(
        actor=actor,
        person_ids=ids,
        rubric=rubric or rubric_active(),
        batch_size=batch_size,
        progress=progress,
        today=today,
    )


def rescore_people(
    *,
    actor: User | Actor,
    person_ids: Sequence[Any],
    rubric: Rubric,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
    run_started: dt.datetime | None = None,
) -> int:
    """Re-score these people under ``rubric``, in batches of ``batch_size``; returns how many were scored.

    One chunk of a re-score (``rescore_all`` passes everyone; a background
    re-score passes each task its chunk, ``custos.register.tasks``). Each
    batch is one transaction with its ``score.computed`` events: it locks
    its people's rows, skips anyone restricted (s.47) or erased since the
    ids were listed, and, when ``run_started`` names the run, anyone whose
    current score is already under this rubric and computed since the run
    started. So a chunk run again after its worker died, or by two workers
    at once, scores nobody twice in one run.
    """
    today = today or timezone.localdate()
    done = 0
    for start in range(0, len(person_ids), batch_size):
        batch = person_ids[start : start + batch_size]
        done += _rescore_batch(actor=actor, batch=batch, rubric=rubric, today=today, run_started=run_started)
        if progress:
            progress(len(batch))
    return done


@transaction.atomic
def _rescore_batch(
    *, actor: User | Actor, batch: Sequence[Any], rubric: Rubric, today: dt.date, run_started: dt.datetime | None
) -> int:
    from custos.audit.services import EventSpec, events_record

    # The row locks make a second worker on the same batch wait, then see this one's scores (PostgreSQL; SQLite
    # runs one writer at a time anyway).
    ids = list(
        Person.objects.select_for_update()
        .filter(pk__in=batch, restricted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if run_started is not None:
        scored = set(
            HarmScore.objects.filter(
                person_id__in=ids, is_current=True, rubric=rubric, computed_at__gte=run_started
            ).values_list("person_id", flat=True)
        )
        ids = [pid for pid in ids if pid not in scored]
    if not ids:
        return 0
    inputs = _items_for_scoring(ids)
    HarmScore.objects.filter(person_id__in=ids, is_current=True).update(is_current=False)
    scores = []
    for pid in ids:
        result = score(inputs[pid], rubric.definition, today=today)
        scores.append(
            HarmScore(
                person_id=pid,
                rubric=rubric,
                total=result.total,
                recommended_band=result.recommended_band,
                explanation=result.explanation(rubric.version),
            )
        )
    HarmScore.objects.bulk_create(scores)
    events_record(
        actor=actor,
        specs=[
            EventSpec(
                verb=Verb.SCORE_COMPUTED,
                object_type="harm_score",
                object_ref=f"harm_score:{s.pk}",
                targets=[f"person:{s.person_id}"],
                detail={
                    "total": str(s.total),
                    "recommended_band": s.recommended_band,
                    "rubric": rubric.version,
                },
            )
            for s in scores
        ],
    )
    return len(scores)


@transaction.atomic
def rubric_load(*, actor: User | Actor, definition: Mapping[str, Any], name: str = "") -> Rubric:
    """Load a new rubric version (never edits an old one). Records ``rubric.loaded``."""
    try:
        rubric_validate(definition)
    except RubricError as exc:
        raise ValidationError(str(exc)) from exc
    version = (Rubric.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    Rubric.objects.filter(is_active=True).update(is_active=False)
    rubric = Rubric.objects.create(
        version=version, name=name or str(definition.get("name") or f"rubric v{version}"), definition=dict(definition)
    )
    event_record(actor=actor, verb=Verb.RUBRIC_LOADED, object_type="rubric", object_ref=f"rubric:{version}")
    return rubric


def corroborating_sources(inputs: Iterable[ScoringInput], digests: Mapping[str, bytes]) -> list[str]:
    """The ids of items that corroborate a nomination, one per independent source.

    An item corroborates only if it could count at all (offender category,
    not grade E, not unverified social media, not victimisation); two items
    from the same source (equal source digests) are one source.
    """
    chosen: dict[bytes, str] = {}
    for item in inputs:
        if counts_for_nothing(item):
            continue
        chosen.setdefault(digests[item.item_id], item.item_id)
    return list(chosen.values())


def _corroborating_items(person: Person) -> tuple[list[str], set[str]]:
    rows = IntelligenceItem.objects.filter(person=person).values_list(*_SCORING_COLUMNS, "source_digest")
    inputs, digests = [], {}
    for row in rows:
        values = dict(zip([*_SCORING_COLUMNS, "source_digest"], row, strict=True))
        values.pop("person_id")
        item_id = str(values.pop("id"))
        digests[item_id] = bytes(values.pop("source_digest"))
        inputs.append(ScoringInput(item_id=item_id, **values))
    return corroborating_sources(inputs, digests), {i.category for i in inputs}


@transaction.atomic
def nomination_propose(*, actor: User, person: Person, reasons: str, gang: Gang | None = None) -> Nomination:
    """Propose a person for the BCU's matrix.

    Refused for a person with no offender record (a victim is never a
    nominal), and unless intelligence from two independent sources that
    counts corroborates it. Records ``nomination.proposed``.
    """
    _require(policies.may_propose_nomination(actor, person.bcu.code), "You may not nominate in this BCU.")
    not_restricted(person)
    reasons = _reasons(reasons)
    if Nomination.objects.filter(person=person, status__in=Nomination.OPEN_STATUSES).exists():
        raise RuleBroken("This person already has an open nomination.")
    chosen, categories = _corroborating_items(person)
    if not categories & set(OFFENDER_CATEGORIES):
        if Category.VICTIM in categories:
            raise RuleBroken("A victim cannot be nominated: this person is recorded only as a victim or witness.")
        raise RuleBroken("This person has no record as a suspected or convicted offender.")
    if len(chosen) < 2:
        raise RuleBroken(
            "A nomination needs intelligence from two independent sources. Victim records, grade E "
            "intelligence and unverified social-media items do not count."
        )
    if gang is not None and gang.bcu_id != person.bcu_id:
        raise ValidationError({"gang": "The gang is not in this person's BCU."})
    nomination = Nomination.objects.create(
        data_key_id=person.data_key_id,
        person=person,
        bcu_id=person.bcu_id,
        gang=gang,
        reasons=reasons,
        corroborating_items=chosen,
        proposed_by=actor,
        guidance=guidance.versions_in_force(guidance.Decision.NOMINATION_PROPOSED),
    )
    event_record(
        actor=actor,
        verb=Verb.NOMINATION_PROPOSED,
        object_type="nomination",
        object_ref=nomination.ref,
        targets=[person.ref, *(f"intelligence:{i}" for i in chosen)],
        detail={"guidance": nomination.guidance},
    )
    return nomination


@transaction.atomic
def nomination_activate(
    *, actor: User, nomination: Nomination, reasons: str, review_due: dt.date | None = None
) -> Nomination:
    """Put a proposed nomination on the matrix: a second person confirms it.

    The activator must not be the proposer; corroboration is checked again.
    Records ``nomination.activated``.
    """
    _require(policies.may_activate_nomination(actor, nomination.bcu.code), "You may not activate nominations here.")
    not_restricted(nomination.person)
    if nomination.status != Nomination.Status.PROPOSED:
        raise RuleBroken("Only a proposed nomination can be activated.")
    if nomination.proposed_by_id == actor.pk:
        raise RuleBroken("A nomination must be confirmed by someone other than its proposer.")
    reasons = _reasons(reasons)
    chosen, _ = _corroborating_items(nomination.person)
    if len(chosen) < 2:
        raise RuleBroken("The corroborating intelligence no longer comes from two independent sources.")
    nomination.status = Nomination.Status.ACTIVE
    nomination.activated_at = timezone.now()
    nomination.activated_by = actor
    nomination.activation_reasons = reasons
    nomination.corroborating_items = chosen
    nomination.review_due = review_due
    nomination.activation_guidance = guidance.versions_in_force(guidance.Decision.NOMINATION_ACTIVATED)
    nomination.save(
        update_fields=[
            "status",
            "activated_at",
            "activated_by",
            "activation_reasons",
            "corroborating_items",
            "review_due",
            "activation_guidance",
        ]
    )
    event_record(
        actor=actor,
        verb=Verb.NOMINATION_ACTIVATED,
        object_type="nomination",
        object_ref=nomination.ref,
        targets=[nomination.person.ref],
        detail={"guidance": nomination.activation_guidance},
    )
    return nomination


@transaction.atomic
def rag_decide(*, actor: User, nomination: Nomination, band: str, reasons: str) -> RagDecision:
    """A named person decides a nominal's RAG band, with reasons.

    The current score and its recommendation are stored with the decision;
    the decision may differ from the recommendation. Only an active
    nomination has a band. Records ``rag.decided``.
    """
    _require(policies.may_decide_rag(actor, nomination.bcu.code), "You may not decide bands in this BCU.")
    not_restricted(nomination.person)
    if band not in Band.values:
        raise ValidationError({"band": "Choose red, amber or green."})
    if nomination.status != Nomination.Status.ACTIVE:
        raise RuleBroken("Only an active nomination can be given a band.")
    reasons = _reasons(reasons)
    current = HarmScore.objects.filter(person_id=nomination.person_id, is_current=True).select_related("rubric").first()
    decision = RagDecision.objects.create(
        data_key_id=nomination.data_key_id,
        nomination=nomination,
        band=band,
        previous_band=nomination.band,
        reasons=reasons,
        score=current,
        score_total=current.total if current else None,
        recommended_band=current.recommended_band if current else "",
        rubric_version=current.rubric.version if current else None,
        decided_by=actor,
        guidance=guidance.versions_in_force(guidance.Decision.BAND_DECIDED),
    )
    nomination.band = band
    nomination.save(update_fields=["band"])
    event_record(
        actor=actor,
        verb=Verb.RAG_DECIDED,
        object_type="rag_decision",
        object_ref=f"rag_decision:{decision.pk}",
        targets=[nomination.ref, nomination.person.ref],
        detail={
            "band": band,
            "previous_band": decision.previous_band,
            "recommended_band": decision.recommended_band,
            "score": str(decision.score_total) if decision.score_total is not None else None,
            "guidance": decision.guidance,
        },
    )
    return decision


# --- Rectification (DPA 2018 s.46), called by custos.rights ------------------------------------------------

#: The personal fields of a person a rectification may correct.
RECTIFIABLE_FIELDS = ("full_name", "aliases", "date_of_birth", "addresses")


class Rectified:
    """What a rectification changed: the field and its old and new values (JSON-ready)."""

    def __init__(self, *, field: str, old: Any, new: Any) -> None:
        self.field, self.old, self.new = field, old, new


def may_rectify(actor: User) -> bool:
    """The Information Rights Unit corrects personal data for data-subject requests (London-wide)."""
    from custos.accounts.models import Role

    if not policies.has(actor, policies.Capability.VIEW_PEOPLE):
        return False
    return actor.role == Role.IRU


def _jsonable(field: str, value: Any) -> Any:
    if field == "date_of_birth":
        return value.isoformat() if value else None
    if field in ("aliases", "addresses"):
        return list(value or [])
    return value


def _rectified_value(field: str, value: Any, *, today: dt.date) -> Any:
    """The new value of ``field``, cleaned as ``person_build`` cleans it; ``ValidationError`` otherwise."""
    if field == "full_name":
        name = " ".join(str(value or "").split())
        if not name:
            raise ValidationError({"value": "Enter the person's full name."})
        if len(name) > 200:
            raise ValidationError({"value": "Full name must be 200 characters or fewer."})
        return name
    if field == "date_of_birth":
        if value is not None and not isinstance(value, dt.date):
            raise ValidationError({"value": "Enter the date of birth as a date."})
        if value is not None and (value > today or value.year < 1900):
            raise ValidationError({"value": "Date of birth must be a real date in the past."})
        return value
    if isinstance(value, str):
        value = value.splitlines()
    lines = [" ".join(str(v).split()) for v in value or [] if str(v).strip()]
    return sorted(set(lines)) if field == "aliases" else lines


@transaction.atomic
def person_rectify(
    *, actor: User, person: Person, field: str, value: Any, reasons: str, purpose: str = ""
) -> Rectified:
    """Correct one personal field of a person (s.46): full name, aliases, date of birth or addresses.

    Authorises ``may_rectify`` (the Information Rights Unit); refused for a
    restricted person (s.47) and for a value that is no change. The new value
    is cleaned as when the person was recorded, sealed with the person's key,
    and the blind index (name, aliases, date of birth) is rebuilt so search
    finds the corrected values and no longer the old ones. Records
    ``person.rectified`` naming the field, never the values. Returns the old
    and new values so the caller can keep them (sealed) with its request.
    """
    _require(may_rectify(actor), "Only the Information Rights Unit may rectify personal data.")
    if field not in RECTIFIABLE_FIELDS:
        raise ValidationError({"field": "Choose full name, aliases, date of birth or addresses."})
    person = Person.objects.select_for_update().select_related("bcu").get(pk=person.pk)
    not_restricted(person)
    reasons = _reasons(reasons)
    new = _rectified_value(field, value, today=timezone.localdate())
    old = getattr(person, field)
    if _jsonable(field, old) == _jsonable(field, new):
        raise RuleBroken("The new value is the same as the one recorded: nothing to rectify.")
    setattr(person, field, new)
    person.save(update_fields=[field])
    PersonIndex.objects.filter(person=person).delete()
    PersonIndex.objects.bulk_create(_index_entries(person))
    person_changed.send(sender=Person, people=[person], created=False)
    event_record(
        actor=actor,
        verb=Verb.PERSON_RECTIFIED,
        object_type="person",
        object_ref=person.ref,
        purpose=purpose,
        detail={"field": field, "bcu": person.bcu.code},
    )
    return Rectified(field=field, old=_jsonable(field, old), new=_jsonable(field, new))


@transaction.atomic
def intelligence_supplement(
    *, actor: User, item: IntelligenceItem, statement: str, reasons: str, purpose: str = ""
) -> Rectified:
    """Complete an intelligence item with a supplementary statement (s.46(2)-(3)).

    The item's record is not rewritten: the statement is appended to what it
    says, dated, so readers see both. Authorises ``may_rectify``; refused for
    a restricted person. Records ``person.rectified`` on the item, naming the
    person, never the statement.
    """
    _require(may_rectify(actor), "Only the Information Rights Unit may rectify personal data.")
    item = IntelligenceItem.objects.select_for_update().select_related("person", "person__bcu").get(pk=item.pk)
    not_restricted(item.person)
    reasons = _reasons(reasons)
    statement = " ".join((statement or "").split())
    if not statement:
        raise ValidationError({"value": "Enter the supplementary statement."})
    old = item.summary
    new = f"{old}\n\nSupplementary statement ({timezone.localdate():%d %B %Y}, DPA 2018 s.46): {statement}"
    item.summary = new
    item.save(update_fields=["summary"])
    event_record(
        actor=actor,
        verb=Verb.PERSON_RECTIFIED,
        object_type="intelligence",
        object_ref=item.ref,
        targets=[item.person.ref],
        purpose=purpose,
        detail={"field": "summary", "supplement": True, "bcu": item.person.bcu.code},
    )
    return Rectified(field="intelligence_summary", old=old, new=new)
