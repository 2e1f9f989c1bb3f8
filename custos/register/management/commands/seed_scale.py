"""custos seed_scale: a large synthetic register for benchmarks (a million people and more)."""

from __future__ import annotations

import random
import sys
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from custos.register.bulk import bcus_resolve
from custos.register.management.commands.seed_demo import _positive
from custos.register.models import Person
from custos.register.scale import seed_scale
from custos.register.services import RuleBroken


class Command(BaseCommand):
    """Seed a large synthetic register quickly, under the register's rules, for benchmarks.

    Policy: benchmarks and tests only, never alongside real data. The people
    are those of ``seed_demo`` (fictional, Faker en_GB names; summaries marked
    "Synthetic record"; nominations only where the rules allow; bands only by
    recorded decision) with a fixed number of intelligence items each. Every
    person has their own data key and every personal value is encrypted; every
    person, record, score, nomination and decision has its audit event, as
    system:seed_scale, in the same transaction as its batch; the run ends with
    one demo.seeded event. Progress (people and items per second) goes to
    standard error.
    """

    help = (
        "Add N synthetic, clearly fictional people with --items-per-person graded intelligence items each "
        "(default 5), for benchmarks: seed_demo's people and rules (no victim-only nominals, two independent "
        "sources, bands only by recorded decision), written in batches of --batch-size people, each one "
        "transaction with every record's audit event (system:seed_scale). The same --seed gives the same "
        "people. Running again adds more people. Benchmarks and tests only: never on a register holding real data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=_positive, required=True, help="how many people to add")
        parser.add_argument("--items-per-person", type=_positive, default=5, help="intelligence items per person (5)")
        parser.add_argument("--seed", type=int, help="random seed (default: a random one, printed)")
        parser.add_argument(
            "--bcu", nargs="+", default=[], metavar="CODE", help="only these BCUs (code or name; default all)"
        )
        parser.add_argument("--batch-size", type=_positive, default=2000, help="people per transaction (2000)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if the register already holds people")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Person.objects.exists():
            self.stdout.write("the register already holds people: nothing seeded (--if-empty)")
            return
        seed = options["seed"] if options["seed"] is not None else random.SystemRandom().randrange(1, 10**6)
        try:
            bcus = bcus_resolve(options["bcu"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        people, per_person = options["people"], options["items_per_person"]
        started = time.monotonic()
        quiet = options["no_progress"]
        bar = tqdm(total=people, unit="people", file=sys.stderr, disable=quiet or not sys.stderr.isatty())
        lines = not quiet and bar.disable
        state = {"done": 0, "said": started}

        def advance(count: int) -> None:
            bar.update(count)
            state["done"] += count
            now = time.monotonic()
            if lines and (now - state["said"] >= 10 or state["done"] == people):
                state["said"] = now
                rate = state["done"] / (now - started)
                self.stderr.write(
                    f"  {state['done']:,} of {people:,} people ({rate:,.0f} people/s, {rate * per_person:,.0f} items/s)"
                )
                self.stderr.flush()

        try:
            summary = seed_scale(
                people=people,
                seed=seed,
                bcus=bcus,
                items_per_person=per_person,
                batch_size=options["batch_size"],
                progress=advance,
            )
        except (RuleBroken, ValidationError, ValueError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        finally:
            bar.close()
        elapsed = time.monotonic() - started
        counts = summary.counts
        rate = summary.people / elapsed if elapsed else 0.0
        nominations = sum(counts.nominations.values())
        self.stdout.write(
            f"Seeded {summary.people:,} synthetic people in {len(summary.bcus)} BCU(s) in {elapsed:.1f} s "
            f"({rate:,.0f} people/s), seed {summary.seed}\n"
            f"  intelligence items: {counts.items:,}; nominations: {nominations:,} "
            f"({counts.nominations.get('active', 0):,} active); bands decided: "
            + ", ".join(f"{b} {counts.decisions.get(b, 0):,}" for b in ("red", "amber", "green"))
            + f"\n  audit events written: {counts.events + 1:,} "
            f"({(counts.events + 1) / elapsed if elapsed else 0.0:,.0f} /s)"
        )
