"""custos import_sharing_log: bring a legacy log of shares into the sharing review, counts and references only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.models import User
from custos.sharing import policies
from custos.sharing.importer import LogFileError, log_check, log_import, report_lines


class Command(BaseCommand):
    """Import a legacy sharing log (CSV or XLSX), all or nothing, so the sharing review covers past shares.

    Policy: only the Information Rights Unit or central governance may
    import (--as-user). Every line is checked first and nothing is written
    unless the whole file is valid (one transaction); the same file (by
    SHA-256) is never imported twice. A column of names, or any column not
    listed, is refused: the log brings counts, codes and Custos references
    into Custos, never personal data. Person references (P-XXXXXXXX) are
    stored only when they match someone in the register; the others are
    counted and dropped. Records one sharing_log.imported event with the
    counts. The sharing review flags every share without an agreement.
    """

    help = (
        "Import a legacy log of shares made before Custos (.csv in UTF-8, or .xlsx, first sheet) so the sharing "
        "review covers them. Columns (case, spaces, '_' and '-' ignored): date (required; YYYY-MM-DD or "
        "DD/MM/YYYY), recipient (required), recipient_kind (statutory, non_statutory or blank), legal_basis, "
        "purpose, isa (the agreement's code; blank if none), people, red, amber, green, unbanded (counts), "
        "categories ('suspected_offender:3; victim:1'), fields ('full_name; date_of_birth; intelligence'), "
        "person_refs (P-XXXXXXXX separated by ';'). Any other column, names above all, is refused. Errors are "
        "listed by line and column and NOTHING is written unless the whole file is valid; a file is imported "
        "once. IRU or central governance only (--as-user). See docs/sharing-review.md. Use --dry-run to check only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the legacy log: a .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--as-user", metavar="USERNAME", required=True, help="the IRU or central governance user importing it"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        user = User.objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['as_user']!r}")
        if not policies.may_import_sharing_log(user):
            raise CommandError("only the Information Rights Unit or central governance may import a sharing log")
        try:
            report = log_check(path)
        except LogFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        dry_run = bool(options["dry_run"])
        if not report.valid or dry_run:
            self.stdout.write("\n".join(report_lines(report, dry_run=dry_run, imported=False)))
            if not report.valid:
                raise CommandError(f"{path.name}: {len(report.errors)} error(s) found; nothing imported")
            return
        try:
            log_import(actor=user, report=report)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except LogFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        self.stdout.write("\n".join(report_lines(report, dry_run=False, imported=True)))
