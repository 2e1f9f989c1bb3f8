"""custos seed_demo: add synthetic, clearly fictional people for demonstrations and load tests."""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from custos.register.bulk import bcus_resolve
from custos.register.models import Person
from custos.register.seeding import SeedSummary, seed_demo
from custos.register.services import RuleBroken


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


class Command(BaseCommand):
    """Seed the register with synthetic people, under the register's rules.

    Policy: for demonstrations and tests only, never alongside real data.
    Every name, address and record is fictional (Faker en_GB; gangs marked
    "(demo)"; summaries marked "Synthetic record"). The data never breaks a
    rule: victims and witnesses are never nominated, nominations need an
    offender record and two independent sources that count, grade E and
    unverified social-media items count for nothing, scores come from the
    active rubric, and every band is a recorded decision with reasons. Every
    person, record, score, nomination and decision is in the audit log, as
    system:seed_demo, with a closing demo.seeded event.
    """

    help = (
        "Add N synthetic, clearly fictional people (Faker en_GB) with graded intelligence in every "
        "s.38(3) category, gangs per BCU, scores from the active rubric, and nominations only where "
        "the rules allow (no victim-only nominals; two independent sources; grade E and unverified "
        "social media count for nothing); bands only by recorded decision. Everything is audited as "
        "system:seed_demo. Decisions are recorded as made by demo_bcu_spoc in its own BCU, else by "
        "the inactive account seed_demo_system. The same --seed gives the same people. Batches of "
        "--batch-size people are each one transaction; running again adds more people. "
        "Demonstrations and tests only: never on a register holding real data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=_positive, required=True, help="how many people to add")
        parser.add_argument("--seed", type=int, help="random seed (default: a random one, printed)")
        parser.add_argument(
            "--bcu", nargs="+", default=[], metavar="CODE", help="only these BCUs (code or name; default all)"
        )
        parser.add_argument("--batch-size", type=_positive, default=1000, help="people per transaction (1000)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the register already holds people (so `make demo` can be run again)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Person.objects.exists():
            self.stdout.write("the register already holds people: nothing seeded (--if-empty)")
            return
        seed = options["seed"] if options["seed"] is not None else random.SystemRandom().randrange(1, 10**6)
        try:
            bcus = bcus_resolve(options["bcu"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        started = time.monotonic()
        bar = tqdm(
            total=options["people"],
            unit="people",
            file=sys.stderr,
            disable=options["no_progress"] or not sys.stderr.isatty(),
        )

        def advance(count: int) -> None:
            bar.update(count)

        try:
            summary = seed_demo(
                people=options["people"],
                seed=seed,
                bcus=bcus,
                batch_size=options["batch_size"],
                progress=advance,
            )
        except (RuleBroken, ValidationError, ValueError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        finally:
            bar.close()
        self._report(summary, time.monotonic() - started)

    def _report(self, summary: SeedSummary, elapsed: float) -> None:
        counts = summary.counts
        kinds = summary.kinds
        active = counts.nominations.get("active", 0)
        proposed = counts.nominations.get("proposed", 0)
        rate = summary.people / elapsed if elapsed else 0.0
        lines = [
            f"Seeded {summary.people:,} synthetic people in {len(summary.bcus)} BCU(s) in {elapsed:.1f} s "
            f"({rate:,.0f} people/s), seed {summary.seed}",
            f"  people: {kinds['offender'] + kinds['prolific_offender']:,} offenders "
            f"({kinds['prolific_offender']:,} prolific), {kinds['victim_and_suspect']:,} victim in one record "
            f"and suspect in another, {kinds['victim']:,} victims only, {kinds['witness']:,} witnesses only, "
            f"{kinds['other']:,} other, {kinds['weak_offender']:,} with only items that count for nothing",
            f"  intelligence items: {counts.items:,} ({summary.items_counting_for_nothing:,} count for nothing: "
            "victim/witness/other records, grade E, unverified or rejected social media)",
            f"  nominations: {active + proposed:,} ({active:,} active with a RAG decision, {proposed:,} proposed)",
            "  bands decided: " + ", ".join(f"{b} {counts.decisions.get(b, 0):,}" for b in ("red", "amber", "green")),
            f"  gangs: {summary.gangs_created} created, {summary.gangs_in_use} linked to records",
            f"  scores computed: {counts.scores:,}; audit events written: {counts.events + 1:,}",
            f"  decisions recorded as made by: {', '.join(summary.decided_by)}",
        ]
        self.stdout.write("\n".join(lines))
