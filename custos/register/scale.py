"""Synthetic people at scale for benchmarks (``custos seed_scale``).

``seed_demo`` shapes a demonstration register; this writes a large one fast
enough to measure the register at a million people, under the same rules
and with the same audit trail:

- people, records, nominations and decisions come from ``DemoGenerator``
  (so they never break a rule: no victim-only nominals, two independent
  sources that count, bands only by recorded decision), with a fixed number
  of intelligence items per person and names drawn from pools taken from
  Faker once (calling Faker for every person costs more than writing them);
- they are built by ``seeding.demo_bundle`` (the services' own builders: a
  new data key per person from ``data_key_new``, every personal value sealed
  by ``EncryptedField``, blind-index entries as ``person_create`` writes
  them) and written by ``bulk.bundles_write``, one transaction per batch
  with every record's audit event (as the interactive services would write
  them), as ``system:seed_scale``; the run ends with one ``demo.seeded``
  event whose detail says ``"scale": true``.

The gangs and the inactive deciding account are the ones ``seed_demo``
creates (``seeding``'s helpers, audited as ``system:seed_demo``); the gangs
are the same whatever the seed (those of ``GANG_SEED``), so once one run has
created them, several ``seed_scale`` processes can write side by side
(PostgreSQL: the audit chain's head lock orders their batches).
Benchmarks and tests only: never on a register holding real data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from faker import Faker

from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.register.bulk import BulkCounts
from custos.register.models import BCU
from custos.register.seeding import (
    DemoGenerator,
    DemoRecord,
    SeedSummary,
    _sqlite_cache,
    seed_run_prepare,
)

SYSTEM = Actor.system("seed_scale")
PURPOSE = "synthetic benchmark data (seed_scale)"
#: Gang names come from this seed, not the people's, so parallel runs with different seeds share them.
GANG_SEED = 0
_POOL = 2000


class _NamePool:
    """The three Faker calls ``DemoGenerator.person`` makes, answered from pools drawn once."""

    def __init__(self, fake: Faker, rng: random.Random) -> None:
        self._rng = rng
        self._female = [fake.first_name_female() for _ in range(_POOL // 4)]
        self._male = [fake.first_name_male() for _ in range(_POOL // 4)]
        self._last = [fake.last_name() for _ in range(_POOL)]

    def first_name_female(self) -> str:
        return self._rng.choice(self._female)

    def first_name_male(self) -> str:
        return self._rng.choice(self._male)

    def last_name(self) -> str:
        return self._rng.choice(self._last)


class ScaleGenerator(DemoGenerator):
    """``DemoGenerator`` with pooled names and exactly ``items_per_person`` records per person.

    Each kind of person keeps its shape: offenders have offender records,
    victims victim records, a person who is a victim in one record and a
    suspect in another has both (one victim record, two if there are four
    or more records, the rest as suspect; with one record, a suspect record).
    """

    def __init__(self, *, items_per_person: int, **kwargs: Any) -> None:
        if items_per_person < 1:
            raise ValueError("the number of items per person must be 1 or more")
        super().__init__(**kwargs)
        self.items_per_person = items_per_person
        self.fake = _NamePool(self.fake, self.rng)  # type: ignore[assignment]

    def _records(self, kind: str, borough: str, gang: str) -> list[DemoRecord]:
        count = self.items_per_person
        makers: dict[str, Callable[[], DemoRecord]] = {
            "prolific_offender": lambda: self._offender(borough, gang, prolific=True),
            "offender": lambda: self._offender(borough, gang),
            "weak_offender": lambda: self._offender(borough, gang, weak=True),
            "victim": lambda: self._victim(borough),
            "witness": lambda: self._witness(borough),
            "other": lambda: self._other(borough),
        }
        if kind == "victim_and_suspect":
            victims = 0 if count == 1 else (1 if count < 4 else 2)
            return [self._victim(borough) for _ in range(victims)] + [
                self._offender(borough, gang) for _ in range(count - victims)
            ]
        return [makers[kind]() for _ in range(count)]


def seed_scale(
    *,
    people: int,
    seed: int,
    bcus: Sequence[BCU],
    items_per_person: int = 5,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
) -> SeedSummary:
    """Add ``people`` synthetic people with ``items_per_person`` records each, in batches; audited.

    Each batch is one transaction holding its data keys, people, blind-index
    entries, records, scores, nominations, decisions and every one of their
    events, so an interrupted run leaves whole batches and can be run again
    (it adds more people). Ends with one ``demo.seeded`` event.
    """
    run = seed_run_prepare(people=people, batch_size=batch_size, bcus=bcus, gang_seed=GANG_SEED, today=today)
    generator = ScaleGenerator(
        items_per_person=items_per_person, seed=seed, areas=run.areas, rubric=run.rubric.definition, today=run.today
    )
    summary = SeedSummary(seed=seed, bcus=run.codes, gangs_created=run.gangs_created, counts=BulkCounts())
    summary.decided_by = sorted({u.username for u in run.deciders.values()})
    remaining = people
    with _sqlite_cache(256 * 1024):
        while remaining:
            demos = [generator.person() for _ in range(min(batch_size, remaining))]
            written = run.write(demos, actor=SYSTEM, seed=seed, purpose=PURPOSE)
            summary.counts.add(written)
            summary.kinds.update(demo.kind for demo in demos)
            summary.people += len(demos)
            remaining -= len(demos)
            if progress:
                progress(len(demos))
    with transaction.atomic():
        event_record(
            actor=SYSTEM,
            verb=Verb.DEMO_SEEDED,
            object_type="register",
            purpose=PURPOSE,
            detail={
                "scale": True,
                "seed": seed,
                "bcus": run.codes,
                "people": summary.people,
                "items_per_person": items_per_person,
                "items": summary.counts.items,
                "nominations": dict(summary.counts.nominations),
                "decisions": dict(summary.counts.decisions),
            },
        )
    return summary
