"""custos access_sweep: suspend dormant accounts and accounts not re-attested in time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from custos.accounts.models import Suspension
from custos.accounts.services import access_sweep
from custos.audit.services import Actor

SYSTEM = Actor.system("access_sweep")


class Command(BaseCommand):
    help = (
        "Suspend every active account not used (no sign-in, no API token use) for CUSTOS_DORMANCY_DAYS, "
        "and every account whose access was not re-attested by a SPOC within CUSTOS_RECERTIFICATION_DAYS "
        "plus CUSTOS_RECERTIFICATION_GRACE_DAYS (Annex 1 term 11). A suspended account cannot sign in or "
        "use its API tokens until a system administrator or its SPOC reinstates it. Each suspension is "
        "recorded as user.suspended, with the reason, by the system actor 'system:access_sweep'. Safe to "
        "schedule daily and to re-run; --dry-run lists what it would suspend and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what would be suspended; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        findings = access_sweep(actor=SYSTEM, dry_run=dry_run)
        verb = "would suspend" if dry_run else "suspended"
        for finding in findings:
            since = timezone.localtime(finding.since).strftime("%d/%m/%Y")
            why = Suspension(finding.reason).label.lower()
            self.stdout.write(f"{verb} {finding.user.username}: {why} (due {since})")
        self.stdout.write(
            f"access sweep: {len(findings)} account(s) {verb}" + (" (dry run: nothing written)" if dry_run else "")
        )
