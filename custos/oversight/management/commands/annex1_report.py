"""custos annex1_report: the monthly progress report against Annex 1 of the notice, as HTML and PDF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from custos.accounts.models import User
from custos.audit.services import Actor
from custos.oversight.annex1 import selectors, services
from custos.sharing.management.commands.isa import acting_user, refusal

SYSTEM = Actor.system("annex1_report")
FORMATS = ("html", "pdf", "both")


class Command(BaseCommand):
    """Generate and keep the Annex 1 report for a month, and write it out (docs/annex1.md).

    Policy: central governance or the DPO (``--as-user``); the monthly timer
    runs it as system:annex1_report. Each term's status is computed from live
    data as of the month's last day (or today for the current month); the
    whole audit log is verified. Audited as ``annex1.reported``. Safe to
    re-run: each run is a new report and overwrites the files it writes.
    """

    help = (
        "Generate the monthly progress report against the 16 terms of Annex 1 (notice paragraph 70) and write "
        "annex1-YYYY-MM.html and/or annex1-YYYY-MM.pdf to --out (default: the current folder)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, metavar="YYYY-MM", help="the month reported on")
        parser.add_argument("--out", metavar="DIR", default=".", help="where to write the files (default: here)")
        parser.add_argument("--format", choices=FORMATS, default="both", help="html, pdf or both (default)")
        parser.add_argument("--as-user", metavar="USERNAME", help="central governance or the DPO (else the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        month = str(options["month"]).strip()
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise CommandError("--month must be YYYY-MM, e.g. 2026-03")
        if month > timezone.localdate().strftime("%Y-%m"):
            raise CommandError(f"--month {month} is in the future")
        out = Path(options["out"])
        if not out.is_dir():
            raise CommandError(f"{out}: no such folder")
        actor: User | Actor = acting_user(options["as_user"]) if options["as_user"] else SYSTEM
        try:
            report = services.annex1_report_generate(actor=actor, month=month)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(refusal(exc)) from exc
        self.stdout.write(f"Annex 1 report {report.short_ref} for {report.month} as of {report.as_of.isoformat()}")
        for row in selectors.report_rows(report):
            self.stdout.write(f"  {row.term.code} {row.term.title}: {row.status_label}. {row.reason}")
        fmt = options["format"]
        if fmt in ("html", "both"):
            path = out / selectors.report_file_name(report, "html")
            path.write_text(selectors.report_html(report), encoding="utf-8")
            self.stdout.write(f"HTML: {path}")
        if fmt in ("pdf", "both"):
            path = out / selectors.report_file_name(report, "pdf")
            path.write_bytes(selectors.report_pdf(report))
            self.stdout.write(f"PDF: {path}")
        self.stdout.write(f"SHA-256 of the report: {report.content_sha256}")
