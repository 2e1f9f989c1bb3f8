"""custos dlp_index: bring the fingerprint index of the copy scanner up to date, or rebuild it."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from custos.audit.services import Actor
from custos.crypto.keys import KeyUnavailable
from custos.dlp.services import index_update
from custos.register.services import RuleBroken

SYSTEM = Actor.system("dlp_index")


class Command(BaseCommand):
    """Keep the index of keyed hashes the scanner matches against (docs/dlp.md, ADR 11).

    Policy: the index holds no plaintext, only keyed hashes (DLP key) of
    names, aliases, dates of birth, addresses and postcodes. The register
    keeps it up to date as it changes; this command indexes people recorded
    before it existed, drops erased people's fingerprints once their watch
    period (CUSTOS_DLP_ERASED_WATCH_DAYS) is over, and with --rebuild
    recomputes every person's fingerprints (after a new DLP key). Needs the
    KEK: run it on the Custos host. Safe to re-run. Audited as
    system:dlp_index (dlp.indexed).
    """

    help = (
        "Bring the copy scanner's fingerprint index up to date: index people who have no fingerprints yet and "
        "prune erased people whose watch period is over. --rebuild recomputes every person's fingerprints "
        "(after a new DLP key). The index holds keyed hashes only, never plaintext. Safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="recompute every person's fingerprints")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        bar = tqdm(unit="people", file=sys.stderr, disable=options["no_progress"] or not sys.stderr.isatty())

        def total(count: int) -> None:
            bar.reset(total=count)

        def advance(count: int) -> None:
            bar.update(count)

        try:
            report = index_update(actor=SYSTEM, rebuild=options["rebuild"], progress=advance, total=total)
        except (RuleBroken, KeyUnavailable) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        finally:
            bar.close()
        verb = "rebuilt" if report.rebuilt else "updated"
        self.stdout.write(
            f"fingerprint index {verb} in {time.monotonic() - started:.1f} s: {report.people_indexed:,} people "
            f"indexed ({report.fingerprints:,} fingerprints), {report.pruned:,} expired fingerprints of erased "
            "people pruned"
        )
