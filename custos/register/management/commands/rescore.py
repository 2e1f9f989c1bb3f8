"""custos rescore: recompute every person's advisory harm score under the active rubric."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from custos.audit.services import Actor
from custos.register.definitions import definition_from_file
from custos.register.models import Person, Rubric
from custos.register.services import RuleBroken, rescore_all, rubric_active, rubric_load
from custos.register.tasks import CHUNK_SIZE, rescore_enqueue

SYSTEM = Actor.system("rescore")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


def rubric_from_file(path: Path) -> dict[str, Any]:
    """A rubric definition read from a JSON file; ``ValueError`` naming the problem."""
    return definition_from_file(path, "a rubric")


class Command(BaseCommand):
    """Re-score everyone; optionally load a new rubric version first.

    Policy: a score is advisory. Re-scoring makes a new current score for
    each person and never changes a nomination's band: bands change only by
    a named person's decision with reasons (s.50A-50D). The rubric is data:
    ``--rubric`` loads a new version (validated; old versions are kept, never
    edited). Each batch is one transaction with its ``score.computed``
    events, as system:rescore, so an interrupted run can simply be run again.
    ``--background`` queues the re-score as tasks of ``--chunk-size`` people
    for ``custos worker`` processes to share (``custos.register.tasks``).
    """

    help = (
        "Re-score every person under the active harm-score rubric, in batches (each one transaction, "
        "audited as system:rescore; safe to re-run). Scores only recommend: no band changes without a "
        "named person's decision. --rubric FILE.json first loads and activates a new rubric version "
        "(validated; refused with the reason if invalid; earlier versions are kept). --background queues the "
        "re-score as tasks of --chunk-size people for `custos worker` processes to share, prints their ids and "
        "returns; `custos tasks` shows their progress."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=_positive, default=500, help="people per transaction (500)")
        parser.add_argument("--rubric", type=Path, metavar="FILE.json", help="load this rubric version first")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--background", action="store_true", help="queue the re-score for `custos worker` and return at once"
        )
        parser.add_argument(
            "--chunk-size",
            type=_positive,
            default=CHUNK_SIZE,
            help=f"with --background: people per task ({CHUNK_SIZE:,})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["rubric"] is not None:
                definition = rubric_from_file(options["rubric"])
                rubric = rubric_load(actor=SYSTEM, definition=definition)
                self.stdout.write(f"loaded harm-score rubric v{rubric.version} ({rubric.name})")
            else:
                rubric = rubric_active()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except RuleBroken as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except ValidationError as exc:
            raise CommandError("invalid rubric: " + " ".join(exc.messages)) from exc
        if options["background"]:
            self._enqueue(rubric, chunk_size=options["chunk_size"], batch_size=options["batch_size"])
            return
        started = time.monotonic()
        bar = tqdm(
            total=Person.objects.count(),
            unit="people",
            file=sys.stderr,
            disable=options["no_progress"] or not sys.stderr.isatty(),
        )

        def advance(count: int) -> None:
            bar.update(count)

        try:
            done = rescore_all(actor=SYSTEM, rubric=rubric, batch_size=options["batch_size"], progress=advance)
        finally:
            bar.close()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"re-scored {done:,} people under rubric v{rubric.version} in {elapsed:.1f} s; "
            "no band was changed (bands are decided by a named person)"
        )

    def _enqueue(self, rubric: Rubric, *, chunk_size: int, batch_size: int) -> None:
        tasks = rescore_enqueue(rubric=rubric, chunk_size=chunk_size, batch_size=batch_size)
        people = Person.objects.filter(restricted_at__isnull=True).count()
        self.stdout.write(
            f"queued a re-score of about {people:,} people under rubric v{rubric.version} as {len(tasks):,} "
            f"task(s) of up to {chunk_size:,} people:"
        )
        for result in tasks:
            self.stdout.write(f"  {result.id}")
        self.stdout.write(
            "`custos worker` runs them (start one or more; `custos worker --once` exits when the queue is empty); "
            "`custos tasks` shows their progress."
        )
