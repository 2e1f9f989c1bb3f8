"""custos retention_sweep: queue the reviews the retention schedule calls for; carry out decided erasures."""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from custos.audit.services import Actor
from custos.register.models import Person
from custos.register.services import RuleBroken
from custos.retention.ledger import LedgerError
from custos.retention.models import Trigger
from custos.retention.services import retention_sweep
from custos.retention.tasks import retention_sweep_task

SYSTEM = Actor.system("retention-sweep")


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today {value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    """Run the retention schedule over the register.

    Policy: the sweep never removes anyone on its own (s.50A-50D). It opens
    a review for each person the schedule says is due (review date reached,
    a removal rule met, victims' and witnesses' shorter schedule), tells
    each BCU's SPOC, escalates reviews overdue beyond the schedule's hard
    limit to central governance, and carries out erasures that a named
    person already decided once their grace period has ended.
    ``--background`` queues the same sweep for ``custos worker``
    (``custos.retention.tasks``) and returns at once.
    """

    help = (
        "Open reviews the retention schedule calls for (overdue review dates, removal rules, the victim "
        "schedule), notify each BCU's SPOC, escalate reviews overdue beyond the hard limit to central "
        "governance, and erase people whose removal a reviewer decided once the grace period has ended. "
        "Never removes anyone on its own. Safe to re-run. --dry-run reports and changes nothing. --background "
        "queues the sweep for `custos worker`, prints the task's id and returns; `custos tasks` shows it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; change nothing")
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="run as of this date (default: today)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--background", action="store_true", help="queue the sweep for `custos worker` and return at once"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = _day(options["today"]) if options["today"] else None
        if options["background"]:
            if options["dry_run"]:
                raise CommandError("--dry-run prints its report here: run it without --background")
            result = retention_sweep_task.enqueue(today=today.isoformat() if today else None)
            self.stdout.write(f"queued the retention sweep as task {result.id}")
            self.stdout.write("`custos worker` runs it; `custos tasks` shows its progress.")
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
            report = retention_sweep(actor=SYSTEM, dry_run=options["dry_run"], today=today, progress=advance)
        except (RuleBroken, LedgerError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        finally:
            bar.close()
        elapsed = time.monotonic() - started
        would = "would " if report.dry_run else ""
        self.stdout.write(
            f"{'DRY RUN: ' if report.dry_run else ''}checked {report.people_checked:,} people against retention "
            f"schedule v{report.schedule_version} as of {report.today.isoformat()} in {elapsed:.1f} s"
        )
        self.stdout.write(f"{would}erase {report.erased:,} people whose removal was decided and whose grace ended")
        self.stdout.write(f"{would}open {report.opened_total:,} reviews")
        for trigger in Trigger:
            if report.opened[trigger]:
                self.stdout.write(f"  {report.opened[trigger]:>8,}  {trigger.label}")
        for bcu, count in sorted(report.opened_by_bcu.items()):
            self.stdout.write(f"  {count:>8,}  in {bcu}")
        self.stdout.write(f"{would}escalate {report.escalated:,} reviews to central governance")
        self.stdout.write(f"{report.overdue:,} open reviews are overdue")
        if not report.dry_run:
            self.stdout.write(self.style.SUCCESS("sweep complete; nobody was removed without a reviewer's decision"))
