"""custos import_hr: apply HR's movers and leavers to accounts, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.hr import HrFileError, hr_apply, hr_check, hr_read
from custos.audit.services import Actor
from custos.register.models import BCU

SYSTEM = Actor.system("import_hr")


class Command(BaseCommand):
    """Apply a movers-and-leavers CSV from HR (Annex 1 term 11: access removed from who no longer needs it).

    Policy: every row is checked first and nothing is written unless the
    whole file is valid (one transaction). Leavers are suspended at once
    (whatever the effective date) and their API tokens revoked; movers are
    re-scoped to their new BCU at once and must be attested again by its
    SPOC. Re-running a file changes nothing. Audited as system:import_hr:
    ``user.suspended`` (reason leaver), ``api_token.revoked`` and
    ``user.moved``, one event per account.
    """

    help = (
        "Apply HR's movers-and-leavers list (.csv, UTF-8) to accounts. Columns: username, event (leaver "
        "or mover), effective_date (YYYY-MM-DD or DD/MM/YYYY), new_bcu (code or name; movers only); see "
        "docs/import-hr.md. Every row is checked first; errors are listed by row and NOTHING is written "
        "unless the whole file is valid. Leavers are suspended at once and their API tokens revoked; "
        "movers are re-scoped to the new BCU at once and their attestation starts again. Safe to re-run. "
        "Use --dry-run to check only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the movers-and-leavers list: a .csv file in UTF-8")
        parser.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        bcus: dict[str, str] = {}
        for code, name in BCU.objects.values_list("code", "name"):
            bcus[code.lower()] = code
            bcus[name.lower()] = code
        try:
            report = hr_check(hr_read(path), bcus=bcus)
        except HrFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        if not report.valid:
            self.stdout.write("\n".join(report.errors))
            raise CommandError(f"{path.name}: {len(report.errors)} error(s) found; nothing applied")
        leavers = [r for r in report.rows if r.event == "leaver"]
        movers = [r for r in report.rows if r.event == "mover"]
        if options["dry_run"]:
            self.stdout.write(f"{path.name}: {len(report.rows)} row(s) valid; dry run: nothing written")
            for row in leavers:
                self.stdout.write(f"  row {row.row}: would suspend leaver {row.user.username}")
            for row in movers:
                self.stdout.write(f"  row {row.row}: would move {row.user.username} to {row.bcu_code}")
            return
        outcome = hr_apply(actor=SYSTEM, report=report)
        self.stdout.write(f"{path.name}: {len(report.rows)} row(s) applied")
        self.stdout.write(f"  leavers suspended: {len(outcome.suspended)}" + _names(outcome.suspended))
        self.stdout.write(
            f"  leavers already suspended: {len(outcome.already_suspended)}" + _names(outcome.already_suspended)
        )
        self.stdout.write(f"  movers re-scoped: {len(outcome.moved)}" + _names(outcome.moved))
        self.stdout.write(
            f"  movers already in their new BCU: {len(outcome.already_moved)}" + _names(outcome.already_moved)
        )


def _names(usernames: list[str]) -> str:
    return f" ({', '.join(usernames)})" if usernames else ""
