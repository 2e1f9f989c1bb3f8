"""custos bcu_audit: audit one BCU or every BCU, on demand or on schedule, and optionally write PDFs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.models import User
from custos.audit.services import Actor
from custos.oversight.audits import metrics, selectors, services
from custos.oversight.audits.models import BcuAudit
from custos.sharing.management.commands.isa import acting_user, refusal

SYSTEM = Actor.system("bcu_audit")


class Command(BaseCommand):
    """Audit BCUs from live data (docs/bcu-audits.md).

    Policy: on demand, central governance runs it (``--as-user``); the monthly
    systemd timer runs ``custos bcu_audit --all`` as system:bcu_audit. Each
    audit keeps counts only and is compared with the BCU's audit before.
    Audited as ``bcu_audit.run`` per BCU. Safe to re-run: each run is a new audit.
    """

    help = (
        "Audit one BCU (--bcu CODE) or every BCU (--all): overdue reviews, zero-score people kept, victims on "
        "the matrix, unverified social media, uncorroborated nominations, disclosures outside policy, users "
        "untrained, unrecertified or dormant, overdue exports, open scan findings. --pdf DIR writes one PDF per BCU."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--bcu", metavar="CODE", help="the BCU's code")
        which.add_argument("--all", action="store_true", help="every BCU")
        parser.add_argument("--as-user", metavar="USERNAME", help="central governance, on demand (else the system)")
        parser.add_argument("--pdf", metavar="DIR", help="write custos-bcu-audit-<BCU>-<date>.pdf here")

    def handle(self, *args: Any, **options: Any) -> None:
        actor: User | Actor = acting_user(options["as_user"]) if options["as_user"] else SYSTEM
        trigger = BcuAudit.Trigger.ON_DEMAND if options["as_user"] else BcuAudit.Trigger.SCHEDULED
        out = Path(options["pdf"]) if options["pdf"] else None
        if out is not None and not out.is_dir():
            raise CommandError(f"{out}: no such folder")
        try:
            if options["all"]:
                audits = services.bcu_audits_run_all(actor=actor, trigger=trigger)
            else:
                audits = [services.bcu_audit_run(actor=actor, bcu_code=options["bcu"], trigger=trigger)]
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(refusal(exc)) from exc
        for audit in audits:
            self.stdout.write(f"{audit.bcu_code}: audit {audit.short_ref} as of {audit.as_of.isoformat()}")
            for row in selectors.audit_rows(audit):
                trend = "" if row.change is None else f" ({row.change:+d}, {row.trend})"
                self.stdout.write(f"  {row.metric.label}: {row.value}{trend}")
            if out is not None:
                path = out / f"custos-bcu-audit-{audit.bcu_code}-{audit.as_of.isoformat()}.pdf"
                path.write_bytes(selectors.audit_pdf(audit))
                self.stdout.write(f"  PDF: {path}")
        self.stdout.write(f"{len(audits)} BCU audit(s) run; {len(metrics.METRICS)} measures each.")
