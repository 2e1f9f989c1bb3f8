"""custos import_matrix: bring a legacy borough matrix into the register without its judgements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.audit.services import Actor
from custos.register.bulk import bcus_resolve
from custos.register.importer import (
    AlreadyImported,
    MatrixFileError,
    matrix_check,
    matrix_import,
    read_table,
    report_lines,
)
from custos.register.services import RuleBroken

SYSTEM = Actor.system("import_matrix")


class Command(BaseCommand):
    """Import a legacy matrix spreadsheet (CSV or XLSX) into one BCU, all or nothing.

    Policy: every row is checked first and nothing is written unless the
    whole file is valid (one transaction). Victims are imported with their
    records as victim and are never nominals; rows without both police and
    partner intelligence, or scored zero, are imported as people but not
    nominated; every other row becomes a *proposed* nomination. The legacy
    rank is never applied as a band (s.50A-50D): a named person decides.
    Legacy intelligence is graded conservatively (2/C/P, assessment). The
    report names rows by number and never prints personal data. Audited as
    system:import_matrix, with one matrix.imported event. Safe to re-run: a
    file already imported into the BCU (same SHA-256) is not imported again.
    """

    help = (
        "Import a legacy borough matrix (.csv in UTF-8, or .xlsx, first sheet) into one BCU. Columns "
        "(case and spaces ignored): full name, date of birth, borough, rank, score, police intelligence, "
        "partner intelligence, victim; optional: nickname, home address, identity code, prolific "
        "firearms offender, knife carrier (see docs/import-matrix.md). Every row is checked first; "
        "errors are listed by row and column and NOTHING is written unless the whole file is valid. "
        "Victims are imported as victims and never nominated; uncorroborated (not both police and "
        "partner intelligence) and zero-score rows are imported as people but not nominated; the rest "
        "become proposed nominations. The legacy rank is never applied: a named person decides the "
        "band (s.50A-50D). Reports show row numbers, never personal data. Safe to re-run: a file already "
        "imported into the BCU is not imported again. Use --dry-run to check only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the legacy matrix: a .csv (UTF-8) or .xlsx file")
        parser.add_argument("--bcu", required=True, help="the BCU to import into (code or name, any case)")
        parser.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            bcu = bcus_resolve([options["bcu"]])[0]
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            table = read_table(path)
            report = matrix_check(table, boroughs=[b.name for b in bcu.boroughs.all()], bcu_name=bcu.name)
        except MatrixFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        dry_run = bool(options["dry_run"])
        if not report.valid or dry_run:
            self.stdout.write("\n".join(report_lines(report, bcu_name=bcu.name, dry_run=dry_run, imported=False)))
            if not report.valid:
                raise CommandError(f"{path.name}: {len(report.errors)} error(s) found; nothing imported")
            return
        try:
            matrix_import(actor=SYSTEM, bcu=bcu, report=report)
        except AlreadyImported as exc:
            self.stdout.write(
                f"{path.name} was already imported into {bcu.name} (audit event #{exc.seq}): nothing written"
            )
            return
        except RuleBroken as exc:
            raise CommandError(f"{path.name}: {' '.join(exc.messages)} Nothing imported.") from exc
        except ValueError as exc:
            raise CommandError(f"{path.name}: {exc}; nothing imported") from exc
        self.stdout.write("\n".join(report_lines(report, bcu_name=bcu.name, dry_run=False, imported=True)))
