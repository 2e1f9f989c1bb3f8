"""custos erasure_ledger: check the erasure ledger and re-apply it to the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.audit.services import Actor
from custos.retention import ledger
from custos.retention.services import ledger_reapply


class Command(BaseCommand):
    help = (
        "Verify the erasure ledger's hash chain (kept with the key material, ADR 10) and say how many "
        "erasures it holds; --reapply erases again anyone it names who is back in the database (the "
        "server and 'custos restore' do this by themselves)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reapply", action="store_true", help="erase again anyone the ledger names")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            entries = ledger.read()
            self.stdout.write(f"erasure ledger {ledger.ledger_path()}: {len(entries):,} entries, chain intact")
            if options["reapply"]:
                report = ledger_reapply(actor=Actor.system("erasure-ledger"))
                self.stdout.write(f"re-applied to {len(report.reapplied):,} record(s) back in the database")
        except ledger.LedgerError as exc:
            raise CommandError(str(exc)) from exc
