"""Synthetic demonstration data for ``custos seed_demo``.

Everything here is fictional: names and addresses come from Faker (en_GB),
gangs are invented and marked "(demo)", and every intelligence summary
starts "Synthetic record". The same seed gives the same people and records
(dates are counted back from the day of the run).

The data is shaped to show the register's rules at work, and never breaks
them: people who are only victims or witnesses, people who are a victim in
one record and a suspect in another, grade E and unverified social-media
items that count for nothing, nominations only where an offender record and
two independent sources that count corroborate them, bands set only by a
recorded decision with reasons, scores computed by the real rubric.

Generation (``DemoGenerator``) is pure and deterministic; writing goes
through ``custos.register.bulk`` in batches, one transaction each, with the
audit events of every person and record.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from custos.accounts.models import Role, User
from custos.accounts.services import user_create
from custos.audit.models import Verb
from custos.audit.services import Actor, EventSpec, event_record, events_record
from custos.crypto.blind_index import normalise_name
from custos.crypto.envelope import data_key_new
from custos.crypto.keys import get_provider
from custos.crypto.tokens import random_secret
from custos.register import policies
from custos.register.bulk import BulkCounts, PersonBundle, bundles_write
from custos.register.guidance import Decision, versions_in_force
from custos.register.models import (
    BCU,
    Band,
    Category,
    Criterion,
    Gang,
    Gender,
    Handling,
    IntelGrade,
    Nature,
    Nomination,
    RagDecision,
    Rubric,
    SelfDefinedEthnicity,
    SourceGrade,
    SourceType,
    Verification,
)
from custos.register.scoring import ScoringInput, counts_for_nothing, score
from custos.register.services import RuleBroken, corroborating_sources, intelligence_build, person_build, rubric_active

SYSTEM = Actor.system("seed_demo")
PURPOSE = "synthetic demonstration data (seed_demo)"
#: The inactive account recorded as deciding where no demo SPOC may decide.
SEED_USERNAME = "seed_demo_system"
DEMO_SPOC_USERNAME = "demo_bcu_spoc"

_GANG_WORDS_A = (
    "Amber", "Ash", "Birch", "Cobalt", "Copper", "Ember", "Flint", "Granite", "Hazel", "Indigo",
    "Juniper", "Lantern", "Maple", "Onyx", "Quartz", "Rowan", "Slate", "Thistle", "Willow", "Yarrow",
)  # fmt: skip
_GANG_WORDS_B = (
    "Heron", "Kestrel", "Lynx", "Marten", "Otter", "Raven", "Stoat", "Swift", "Vole", "Wren",
    "Badger", "Falcon", "Hare", "Jackdaw", "Kite", "Magpie", "Newt", "Plover", "Sparrow", "Weasel",
)  # fmt: skip
_NICKNAMES = (
    "Ace", "Blaze", "Bugsy", "Chops", "Dizzy", "Flash", "Ghost", "Jinx", "Lefty", "Mouse", "Nitro",
    "Pepper", "Rocket", "Shadow", "Sketch", "Smudge", "Spider", "Tank", "Twister", "Whisper", "Zippy",
    "Biscuit", "Moose", "Pickle", "Sparks", "Tiny", "Echo", "Nugget", "Domino", "Pilot",
)  # fmt: skip
_STREET_TYPES = ("Road", "Street", "Lane", "Close", "Avenue", "Grove", "Way", "Place", "Gardens", "Terrace", "Row")
_POSTCODE_AREAS = ("E", "N", "NW", "SE", "SW", "W")
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_AGENCIES = ("YOS", "Children's Services", "Housing", "School liaison", "Probation", "Youth service")

#: Person archetypes and their weights: what kinds of people the demo register holds.
KINDS: tuple[tuple[str, int], ...] = (
    ("offender", 41),  # suspected or convicted offender records
    ("prolific_offender", 4),  # many recent, well-graded records of serious harm
    ("victim_and_suspect", 12),  # a victim in one record, a suspect in another
    ("victim", 18),  # only ever a victim
    ("witness", 10),  # only ever a witness
    ("other", 5),  # recorded in category "other"
    ("weak_offender", 10),  # offender records that count for nothing (grade E, unverified social media)
)
_OFFENDER_CRITERIA: tuple[tuple[str, int], ...] = (
    (Criterion.SERIOUS_VIOLENCE, 14),
    (Criterion.WEAPON_KNIFE, 14),
    (Criterion.WEAPON_FIREARM, 5),
    (Criterion.DRUG_SUPPLY, 22),
    (Criterion.ROBBERY, 12),
    (Criterion.EXPLOITATION, 6),
    (Criterion.GANG_ASSOCIATION, 20),
    (Criterion.OTHER, 7),
)
_SERIOUS_CRITERIA: tuple[tuple[str, int], ...] = (
    (Criterion.SERIOUS_VIOLENCE, 30),
    (Criterion.WEAPON_KNIFE, 25),
    (Criterion.WEAPON_FIREARM, 15),
    (Criterion.ROBBERY, 15),
    (Criterion.EXPLOITATION, 15),
)
_SUMMARIES: Mapping[str, tuple[str, ...]] = {
    Criterion.SERIOUS_VIOLENCE: (
        "suspected of taking part in an assault near {street}",
        "named by a witness as one of the group involved in a fight on {street}",
    ),
    Criterion.WEAPON_KNIFE: (
        "stopped near {street} with a bladed article",
        "reported carrying a knife outside a shop on {street}",
    ),
    Criterion.WEAPON_FIREARM: (
        "linked to the discharge of a firearm near {street}",
        "reported to have access to a firearm stored near {street}",
    ),
    Criterion.DRUG_SUPPLY: (
        "seen making apparent street-level drug deals on {street}",
        "linked to a drug line operating around {street}",
    ),
    Criterion.ROBBERY: ("suspected of a street robbery on {street}", "arrested after a phone snatch on {street}"),
    Criterion.EXPLOITATION: (
        "suspected of using younger children to carry drugs from {street}",
        "linked to the exploitation of a vulnerable adult's flat on {street}",
    ),
    Criterion.GANG_ASSOCIATION: (
        "seen repeatedly in the company of known group members on {street}",
        "appears in online content with known group members filmed on {street}",
    ),
    Criterion.OTHER: ("involved in anti-social behaviour on {street}", "found in a stolen vehicle on {street}"),
}
_VICTIM_SUMMARIES = (
    "reported as the injured party in a stabbing near {street}",
    "victim of a street robbery on {street}",
    "victim of an assault by a group near {street}",
    "reported being threatened by a group on {street}",
)
_WITNESS_SUMMARIES = (
    "gave a statement as a witness to an assault on {street}",
    "witnessed a robbery on {street} and gave a description",
)
_OTHER_SUMMARIES = (
    "present at an address on {street} when a warrant was executed",
    "named as a relative of a person recorded at an address on {street}",
)
_DEPARTURES = (
    "the most recent counted item is over a year old",
    "the partner agency reports sustained engagement with a diversion scheme",
    "the counted items concern a single incident",
    "further corroborated intelligence of weapon carrying is awaiting grading",
)


@dataclass(frozen=True)
class DemoArea:
    """A BCU as the generator sees it: codes and names only."""

    bcu: str
    boroughs: tuple[str, ...]
    gangs: tuple[str, ...]


@dataclass(frozen=True)
class DemoRecord:
    category: str
    criterion: str
    occurred_on: dt.date
    source_type: str
    source_reference: str
    source_grade: str
    intel_grade: str
    handling: str
    handling_conditions: str
    nature: str
    verification: str
    summary: str
    gang: str = ""


@dataclass(frozen=True)
class DemoNomination:
    status: str
    reasons: str
    gang: str = ""
    band: str = ""
    decision_reasons: str = ""


@dataclass(frozen=True)
class DemoPerson:
    kind: str
    bcu: str
    borough: str
    full_name: str
    aliases: tuple[str, ...]
    date_of_birth: dt.date
    addresses: tuple[str, ...]
    gender: str
    observed_ethnicity: str
    self_defined_ethnicity: str
    records: tuple[DemoRecord, ...]
    nomination: DemoNomination | None = None


def _input(item_id: str, record: DemoRecord) -> ScoringInput:
    return ScoringInput(
        item_id=item_id,
        category=record.category,
        criterion=record.criterion,
        occurred_on=record.occurred_on,
        source_type=record.source_type,
        source_grade=record.source_grade,
        intel_grade=record.intel_grade,
        verification=record.verification,
        nature=record.nature,
    )


def demo_gang_names(seed: int, bcus: Sequence[str], *, per_bcu: tuple[int, int] = (3, 6)) -> dict[str, tuple[str, ...]]:
    """Invented gang names per BCU code, the same for the same seed and BCUs."""
    rng = random.Random(f"gangs:{seed}")  # noqa: S311 - synthetic data, not security
    names: dict[str, tuple[str, ...]] = {}
    for code in bcus:
        count = rng.randint(*per_bcu)
        chosen: list[str] = []
        while len(chosen) < count:
            name = f"{rng.choice(_GANG_WORDS_A)} {rng.choice(_GANG_WORDS_B)} (demo)"
            if name not in chosen:
                chosen.append(name)
        names[code] = tuple(chosen)
    return names


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class DemoGenerator:
    """Deterministic synthetic people: the same seed gives the same sequence.

    Pure: reads no database. ``rubric`` is a rubric definition, used to
    recommend bands exactly as the stored score will.
    """

    def __init__(self, *, seed: int, areas: Sequence[DemoArea], rubric: Mapping[str, Any], today: dt.date) -> None:
        if not areas:
            raise ValueError("no BCUs to seed")
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.areas = list(areas)
        self.rubric = rubric
        self.today = today
        self.streets = [f"{self.fake.last_name()} {self.rng.choice(_STREET_TYPES)}" for _ in range(400)]

    def __iter__(self) -> Iterator[DemoPerson]:
        while True:
            yield self.person()

    # -- people -----------------------------------------------------------
    def person(self) -> DemoPerson:
        rng = self.rng
        area = rng.choice(self.areas)
        borough = rng.choice(area.boroughs)
        kind = _weighted(rng, KINDS)
        gender = _weighted(rng, ((Gender.MALE, 72), (Gender.FEMALE, 24), (Gender.OTHER, 2), (Gender.NOT_STATED, 2)))
        first = self.fake.first_name_female() if gender == Gender.FEMALE else self.fake.first_name_male()
        full_name = f"{first} {self.fake.last_name()}"
        aliases: list[str] = []
        for _ in range(int(_weighted(rng, (("0", 50), ("1", 40), ("2", 10))))):
            aliases.append(f"Lil {first}" if rng.random() < 0.3 else rng.choice(_NICKNAMES))
        addresses = [self._address(borough) for _ in range(1 if rng.random() < 0.9 else 2)]
        dob = self.today - dt.timedelta(days=rng.randint(14 * 365, 35 * 365))
        observed = _weighted(
            rng,
            (("IC1", 35), ("IC2", 4), ("IC3", 30), ("IC4", 12), ("IC5", 2), ("IC6", 5), ("IC9", 12)),
        )
        self_defined = SelfDefinedEthnicity.NS if rng.random() < 0.4 else rng.choice(SelfDefinedEthnicity.values)
        gang = ""
        if area.gangs and kind in ("offender", "prolific_offender", "victim_and_suspect") and rng.random() < 0.6:
            gang = rng.choice(area.gangs)
        records = self._records(kind, borough, gang)
        nomination = self._nomination(records, gang)
        return DemoPerson(
            kind=kind,
            bcu=area.bcu,
            borough=borough,
            full_name=full_name,
            aliases=tuple(aliases),
            date_of_birth=dob,
            addresses=tuple(addresses),
            gender=gender,
            observed_ethnicity=observed,
            self_defined_ethnicity=self_defined,
            records=tuple(records),
            nomination=nomination,
        )

    def _address(self, borough: str) -> str:
        rng = self.rng
        flat = f"Flat {rng.randint(1, 60)}, " if rng.random() < 0.3 else ""
        postcode = (
            f"{rng.choice(_POSTCODE_AREAS)}{rng.randint(1, 20)} "
            f"{rng.randint(1, 9)}{rng.choice(_POSTCODE_LETTERS)}{rng.choice(_POSTCODE_LETTERS)}"
        )
        return f"{flat}{rng.randint(1, 240)} {rng.choice(self.streets)}, {borough}, London {postcode}"

    # -- records ----------------------------------------------------------
    def _records(self, kind: str, borough: str, gang: str) -> list[DemoRecord]:
        rng = self.rng
        records: list[DemoRecord] = []
        if kind == "prolific_offender":
            records += [self._offender(borough, gang, prolific=True) for _ in range(rng.randint(5, 9))]
        elif kind == "offender":
            count = int(_weighted(rng, (("1", 25), ("2", 30), ("3", 20), ("4", 12), ("5", 7), ("6", 4), ("8", 2))))
            records += [self._offender(borough, gang) for _ in range(count)]
        elif kind == "victim_and_suspect":
            records += [self._victim(borough) for _ in range(rng.randint(1, 2))]
            records += [self._offender(borough, gang) for _ in range(rng.randint(1, 3))]
        elif kind == "victim":
            records += [self._victim(borough) for _ in range(rng.randint(1, 3))]
        elif kind == "witness":
            records += [self._witness(borough) for _ in range(rng.randint(1, 2))]
        elif kind == "other":
            records += [self._other(borough) for _ in range(rng.randint(1, 2))]
        else:  # weak_offender: offender records that may never count
            records += [self._offender(borough, gang, weak=True) for _ in range(rng.randint(2, 3))]
        return records

    def _source(self, borough: str, *, weak: bool = False, prolific: bool = False) -> tuple[str, str, str]:
        """(source type, reference, verification)."""
        rng = self.rng
        source_type: str
        if weak:
            source_type = rng.choice((SourceType.SOCIAL_MEDIA, SourceType.POLICE))
        elif prolific:
            source_type = _weighted(rng, ((SourceType.POLICE, 75), (SourceType.PARTNER, 25)))
        else:
            source_type = _weighted(
                rng,
                (
                    (SourceType.POLICE, 55),
                    (SourceType.PARTNER, 20),
                    (SourceType.SOCIAL_MEDIA, 15),
                    (SourceType.PUBLIC, 10),
                ),
            )
        year = self.today.year % 100
        if source_type == SourceType.POLICE:
            reference = rng.choice(
                (f"CAD {rng.randint(1000, 9999)}/{year:02d}", f"CRIS {rng.randint(100000, 999999)}/{year:02d}")
            )
        elif source_type == SourceType.PARTNER:
            reference = f"{rng.choice(_AGENCIES)} {borough}"
        elif source_type == SourceType.SOCIAL_MEDIA:
            reference = f"Open-source capture {rng.randint(100000, 999999)}"
        else:
            reference = f"Crimestoppers {rng.randint(100000, 999999)}"
        verification: str = Verification.NOT_REQUIRED
        if source_type == SourceType.SOCIAL_MEDIA:
            if weak:
                verification = Verification.UNVERIFIED
            else:
                verification = _weighted(
                    rng, ((Verification.UNVERIFIED, 55), (Verification.VERIFIED, 35), (Verification.REJECTED, 10))
                )
        return source_type, reference, verification

    def _record(
        self,
        *,
        category: str,
        criterion: str,
        template: str,
        borough: str,
        gang: str = "",
        weak: bool = False,
        prolific: bool = False,
    ) -> DemoRecord:
        rng = self.rng
        source_type, reference, verification = self._source(borough, weak=weak, prolific=prolific)
        source_grade = _weighted(
            rng,
            ((SourceGrade.RELIABLE, 55), (SourceGrade.UNTESTED, 35), (SourceGrade.NOT_RELIABLE, 10))
            if source_type == SourceType.POLICE or prolific
            else ((SourceGrade.RELIABLE, 20), (SourceGrade.UNTESTED, 55), (SourceGrade.NOT_RELIABLE, 25)),
        )
        intel_grade: str
        if weak and source_type != SourceType.SOCIAL_MEDIA:
            intel_grade = IntelGrade.E
        elif prolific:
            intel_grade = _weighted(rng, ((IntelGrade.A, 40), (IntelGrade.B, 45), (IntelGrade.C, 15)))
        else:
            intel_grade = _weighted(
                rng,
                ((IntelGrade.A, 15), (IntelGrade.B, 30), (IntelGrade.C, 35), (IntelGrade.D, 12), (IntelGrade.E, 8)),
            )
        handling = Handling.C if rng.random() < 0.2 else Handling.P
        conditions = "Share outside policing only with the BCU SPOC's approval." if handling == Handling.C else ""
        nature_weights = (
            ((Nature.FACT, 20), (Nature.ASSESSMENT, 80))
            if source_type in (SourceType.SOCIAL_MEDIA, SourceType.PUBLIC)
            else ((Nature.FACT, 60), (Nature.ASSESSMENT, 40))
        )
        nature = _weighted(rng, nature_weights)
        # Mostly recent, some old enough to fall outside the rubric's look-back windows.
        oldest = 500 if prolific else 1100
        occurred_on = self.today - dt.timedelta(days=int(rng.triangular(3, oldest, 30)))
        summary = "Synthetic record: " + template.format(street=rng.choice(self.streets)) + "."
        return DemoRecord(
            category=category,
            criterion=criterion,
            occurred_on=occurred_on,
            source_type=source_type,
            source_reference=reference,
            source_grade=source_grade,
            intel_grade=intel_grade,
            handling=handling,
            handling_conditions=conditions,
            nature=nature,
            verification=verification,
            summary=summary,
            gang=gang,
        )

    def _offender(self, borough: str, gang: str, *, weak: bool = False, prolific: bool = False) -> DemoRecord:
        rng = self.rng
        category = (
            Category.CONVICTED_OFFENDER if rng.random() < (0.5 if prolific else 0.25) else Category.SUSPECTED_OFFENDER
        )
        criterion = _weighted(rng, _SERIOUS_CRITERIA if prolific else _OFFENDER_CRITERIA)
        template = rng.choice(_SUMMARIES[criterion])
        linked = gang if gang and rng.random() < 0.7 else ""
        return self._record(
            category=category,
            criterion=criterion,
            template=template,
            borough=borough,
            gang=linked,
            weak=weak,
            prolific=prolific,
        )

    def _victim(self, borough: str) -> DemoRecord:
        rng = self.rng
        criterion = _weighted(
            rng, ((Criterion.VICTIMISATION, 70), (Criterion.SERIOUS_VIOLENCE, 20), (Criterion.ROBBERY, 10))
        )
        return self._record(
            category=Category.VICTIM, criterion=criterion, template=rng.choice(_VICTIM_SUMMARIES), borough=borough
        )

    def _witness(self, borough: str) -> DemoRecord:
        rng = self.rng
        criterion = rng.choice((Criterion.SERIOUS_VIOLENCE, Criterion.ROBBERY, Criterion.OTHER))
        return self._record(
            category=Category.WITNESS, criterion=criterion, template=rng.choice(_WITNESS_SUMMARIES), borough=borough
        )

    def _other(self, borough: str) -> DemoRecord:
        rng = self.rng
        criterion = rng.choice((Criterion.GANG_ASSOCIATION, Criterion.OTHER))
        return self._record(
            category=Category.OTHER, criterion=criterion, template=rng.choice(_OTHER_SUMMARIES), borough=borough
        )

    # -- nominations --------------------------------------------------------
    def _nomination(self, records: Sequence[DemoRecord], gang: str) -> DemoNomination | None:
        """A nomination only where the register's rules allow one; a band only by decision."""
        inputs = [_input(str(i), r) for i, r in enumerate(records)]
        if not any(r.category in (Category.SUSPECTED_OFFENDER, Category.CONVICTED_OFFENDER) for r in records):
            return None
        digests = {str(i): normalise_name(r.source_reference).encode() for i, r in enumerate(records)}
        chosen = corroborating_sources(inputs, digests)
        if len(chosen) < 2:
            return None
        rng = self.rng
        draw = rng.random()
        if draw < 0.3:
            return None
        result = score(inputs, self.rubric, today=self.today)
        reasons = f"Synthetic demo nomination: {len(chosen)} independent sources corroborate offender records" + (
            f" and association with {gang}." if gang else "."
        )
        if draw < 0.55 or not result.recommended_band:
            return DemoNomination(status=Nomination.Status.PROPOSED, reasons=reasons, gang=gang)
        band = result.recommended_band
        decision_reasons = (
            f"Synthetic demo decision: agrees with the recommended band ({band}) after reviewing "
            f"the {len(result.counted)} counted item(s)."
        )
        if rng.random() < 0.15:
            order = [Band.GREEN, Band.AMBER, Band.RED]
            index = order.index(Band(band))
            step = -1 if index == 2 or (index == 1 and rng.random() < 0.5) else 1
            decided = order[index + step]
            decision_reasons = (
                f"Synthetic demo decision: {decided} rather than the recommended {band} because "
                f"{rng.choice(_DEPARTURES)}."
            )
            band = decided
        return DemoNomination(
            status=Nomination.Status.ACTIVE, reasons=reasons, gang=gang, band=band, decision_reasons=decision_reasons
        )


# -- writing ---------------------------------------------------------------


@dataclass
class SeedSummary:
    """What ``seed_demo`` created."""

    seed: int
    bcus: list[str]
    people: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    gangs_created: int = 0
    gangs_in_use: int = 0
    counts: BulkCounts = field(default_factory=BulkCounts)
    items_counting_for_nothing: int = 0
    decided_by: list[str] = field(default_factory=list)


def _gangs_ensure(
    bcus: Sequence[BCU], names: Mapping[str, tuple[str, ...]], today: dt.date
) -> tuple[dict[tuple[str, str], Gang], int]:
    """The seed's gangs, created where missing (re-runs reuse them); audited."""
    with transaction.atomic():
        existing = {(g.bcu.code, g.name): g for g in Gang.objects.filter(bcu__in=bcus).select_related("bcu")}
        new: list[Gang] = []
        for bcu in bcus:
            for name in names[bcu.code]:
                if (bcu.code, name) not in existing:
                    gang = Gang(
                        bcu=bcu,
                        name=name,
                        evidence_basis=(
                            "Synthetic demonstration gang created by seed_demo; it is not a real group. "
                            "Evidence basis for the demonstration: corroborated police and partner "
                            "intelligence of joint offending by its members."
                        ),
                        review_date=today + dt.timedelta(days=180),
                        guidance=versions_in_force(Decision.GANG_RECORDED, today),
                    )
                    new.append(gang)
                    existing[(bcu.code, name)] = gang
        Gang.objects.bulk_create(new)
        events_record(
            actor=SYSTEM,
            specs=[
                EventSpec(verb=Verb.GANG_CREATED, object_type="gang", object_ref=f"gang:{g.pk}", purpose=PURPOSE)
                for g in new
            ],
        )
    return existing, len(new)


def seed_deciders(bcus: Sequence[BCU]) -> dict[str, User]:
    """Who is recorded as activating nominations and deciding bands, per BCU.

    The demo BCU SPOC (``demo_bcu_spoc``, from ``custos demo_users``) in the
    BCU where the policies let them decide; elsewhere an inactive account
    ``seed_demo_system`` that cannot sign in, created once (audited) and
    named in every decision it stands for, so no real-looking person is
    credited with a decision nobody made.
    """
    spoc = User.objects.filter(username=DEMO_SPOC_USERNAME).first()
    deciders: dict[str, User] = {}
    fallback: User | None = None
    for bcu in bcus:
        if spoc is not None and policies.may_decide_rag(spoc, bcu.code):
            deciders[bcu.code] = spoc
            continue
        if fallback is None:
            fallback = _seed_user()
        deciders[bcu.code] = fallback
    return deciders


def _seed_user() -> User:
    user = User.objects.filter(username=SEED_USERNAME).first()
    if user is not None:
        return user
    with transaction.atomic():
        user = user_create(
            actor=SYSTEM,
            username=SEED_USERNAME,
            password=random_secret(),
            role=Role.CENTRAL_GOVERNANCE,
            first_name="Synthetic",
            last_name="decisions (seed_demo)",
            check_password=False,
        )
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
    return user


def demo_bundle(
    demo: DemoPerson,
    *,
    bcu: BCU,
    boroughs: Mapping[str, Any],
    gangs: Mapping[tuple[str, str], Gang],
    decider: User,
    seed: int,
    today: dt.date,
    guided: Mapping[str, dict[str, int]] | None = None,
) -> PersonBundle:
    """Unsaved model objects for one synthetic person, built by the services' own builders.

    ``guided`` is the guidance in force for each decision (``guidance.Decision``): the demo's decisions record
    it as the services' decisions do.
    """
    guided = guided or {}
    person = person_build(
        bcu=bcu,
        full_name=demo.full_name,
        date_of_birth=demo.date_of_birth,
        aliases=demo.aliases,
        addresses=demo.addresses,
        borough=boroughs[demo.borough],
        observed_ethnicity=demo.observed_ethnicity,
        self_defined_ethnicity=demo.self_defined_ethnicity,
        gender=demo.gender,
        today=today,
        data_key=data_key_new(),
    )
    items = []
    for record in demo.records:
        item = intelligence_build(
            person=person,
            category=record.category,
            occurred_on=record.occurred_on,
            source_type=record.source_type,
            source_reference=record.source_reference,
            source_grade=record.source_grade,
            intel_grade=record.intel_grade,
            handling=record.handling,
            handling_conditions=record.handling_conditions,
            nature=record.nature,
            criterion=record.criterion,
            summary=record.summary,
            gang=gangs[(bcu.code, record.gang)] if record.gang else None,
            today=today,
        )
        item.verification = record.verification
        item.guidance = guided.get(Decision.INTELLIGENCE_RECORDED, {})
        if record.verification in (Verification.VERIFIED, Verification.REJECTED):
            item.verified_at = timezone.now()
            item.verification_guidance = guided.get(Decision.INTELLIGENCE_VERIFIED, {})
        items.append(item)
    bundle = PersonBundle(person=person, items=items, event_detail={"synthetic": True, "seed": seed})
    plan = demo.nomination
    if plan is None:
        return bundle
    active = plan.status == Nomination.Status.ACTIVE
    bundle.nomination = Nomination(
        data_key_id=person.data_key_id,
        person=person,
        bcu_id=bcu.pk,
        gang=gangs[(bcu.code, plan.gang)] if plan.gang else None,
        status=plan.status,
        reasons=plan.reasons,
        activated_at=timezone.now() if active else None,
        activated_by=decider if active else None,
        activation_reasons="Synthetic demo data: confirmed on review of the corroborating items." if active else None,
        review_due=_demo_review_due(plan.band, person.pk.int, today) if active else None,
        guidance=guided.get(Decision.NOMINATION_PROPOSED, {}),
        activation_guidance=guided.get(Decision.NOMINATION_ACTIVATED, {}) if active else {},
    )
    if active and plan.band:
        bundle.decision = RagDecision(
            data_key_id=person.data_key_id,
            band=plan.band,
            reasons=plan.decision_reasons,
            decided_by=decider,
            guidance=guided.get(Decision.BAND_DECIDED, {}),
        )
    return bundle


def _demo_review_due(band: str, draw: int, today: dt.date) -> dt.date:
    """Review dates spread over the band's interval; about one listing in eight already overdue."""
    interval = {"red": 91, "amber": 182}.get(band, 182)
    spread = draw % (interval + interval // 7)
    return today + dt.timedelta(days=interval - spread)


def _counts_for_nothing(demo: DemoPerson) -> int:
    return sum(1 for record in demo.records if counts_for_nothing(_input("", record)))


@contextmanager
def _sqlite_cache(kib: int) -> Iterator[None]:
    """A larger SQLite page cache for this connection while seeding (random-key index inserts)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={previous}")


@dataclass
class SeedRun:
    """What a seeding run writes against: the day, the active rubric, and each BCU's boroughs, gangs and decider."""

    today: dt.date
    rubric: Rubric
    codes: list[str]
    areas: list[DemoArea]
    gangs: dict[tuple[str, str], Gang]
    gangs_created: int
    deciders: dict[str, User]
    by_code: dict[str, BCU]
    boroughs: dict[str, dict[str, Any]]
    guided: dict[str, dict[str, int]]

    def write(self, demos: Sequence[DemoPerson], *, actor: Actor, seed: int, purpose: str) -> BulkCounts:
        """One batch of synthetic people, built by the services' builders and written in one transaction."""
        bundles = [
            demo_bundle(
                demo,
                bcu=self.by_code[demo.bcu],
                boroughs=self.boroughs[demo.bcu],
                gangs=self.gangs,
                decider=self.deciders[demo.bcu],
                seed=seed,
                today=self.today,
                guided=self.guided,
            )
            for demo in demos
        ]
        return bundles_write(actor=actor, bundles=bundles, rubric=self.rubric, today=self.today, purpose=purpose)


def seed_run_prepare(
    *, people: int, batch_size: int, bcus: Sequence[BCU], gang_seed: int, today: dt.date | None
) -> SeedRun:
    """Check the run's numbers and the key provider, then ensure the gangs (``gang_seed``'s) and the deciders.

    No key, no run: ``KeyUnavailable`` before the first write (gangs, deciders), not after.
    """
    if people < 1:
        raise ValueError("the number of people must be 1 or more")
    if batch_size < 1:
        raise ValueError("the batch size must be 1 or more")
    get_provider()
    day = today or timezone.localdate()
    codes = [bcu.code for bcu in bcus]
    gang_names = demo_gang_names(gang_seed, codes)
    gangs, created = _gangs_ensure(bcus, gang_names, day)
    boroughs = {bcu.code: {b.name: b for b in bcu.boroughs.all()} for bcu in bcus}
    areas = [
        DemoArea(bcu=bcu.code, boroughs=tuple(sorted(boroughs[bcu.code])), gangs=gang_names[bcu.code]) for bcu in bcus
    ]
    for area in areas:
        if not area.boroughs:
            raise RuleBroken(f"BCU {area.bcu} has no boroughs: run 'custos init'.")
    return SeedRun(
        today=day,
        rubric=rubric_active(),
        codes=codes,
        areas=areas,
        gangs=gangs,
        gangs_created=created,
        deciders=seed_deciders(bcus),
        by_code={bcu.code: bcu for bcu in bcus},
        boroughs=boroughs,
        guided={decision: versions_in_force(decision, day) for decision in Decision.values},
    )


def seed_demo(
    *,
    people: int,
    seed: int,
    bcus: Sequence[BCU],
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
) -> SeedSummary:
    """Add ``people`` synthetic people to the register, in batches; audited.

    Each batch is one transaction holding its people, records, scores,
    nominations, decisions and their events, so an interrupted run leaves
    whole batches. Running again adds more people (re-using the seed's
    gangs). Ends with one ``demo.seeded`` event summarising the run.
    """
    run = seed_run_prepare(people=people, batch_size=batch_size, bcus=bcus, gang_seed=seed, today=today)
    today, codes = run.today, run.codes
    summary = SeedSummary(seed=seed, bcus=codes, gangs_created=run.gangs_created)
    summary.decided_by = sorted({u.username for u in run.deciders.values()})
    generator = iter(DemoGenerator(seed=seed, areas=run.areas, rubric=run.rubric.definition, today=today))
    used_gangs: set[str] = set()
    remaining = people
    with _sqlite_cache(256 * 1024):
        while remaining:
            demos = [next(generator) for _ in range(min(batch_size, remaining))]
            written = run.write(demos, actor=SYSTEM, seed=seed, purpose=PURPOSE)
            summary.counts.add(written)
            summary.kinds.update(demo.kind for demo in demos)
            summary.items_counting_for_nothing += sum(_counts_for_nothing(d) for d in demos)
            used_gangs.update(f"{d.bcu}:{r.gang}" for d in demos for r in d.records if r.gang)
            summary.people += len(demos)
            remaining -= len(demos)
            if progress:
                progress(len(demos))
    summary.gangs_in_use = len(used_gangs)
    with transaction.atomic():
        event_record(
            actor=SYSTEM,
            verb=Verb.DEMO_SEEDED,
            object_type="register",
            purpose=PURPOSE,
            detail={
                "seed": seed,
                "bcus": codes,
                "people": summary.people,
                "kinds": dict(summary.kinds),
                "items": summary.counts.items,
                "nominations": dict(summary.counts.nominations),
                "decisions": dict(summary.counts.decisions),
                "gangs_created": run.gangs_created,
            },
        )
    return summary
