"""custos sharing_review: the sharing review (Annex 1 term 5) as text, JSON or PDF."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.models import User
from custos.sharing.models import RecipientKind
from custos.sharing.review import UNKNOWN_KIND, ReviewFilters, review_for, review_lines, review_pdf


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (use YYYY-MM-DD)") from None


class Command(BaseCommand):
    """Print the sharing review: every disclosure and legacy share counted, and what would now fail the rules.

    Policy: the IRU, central governance, the DPO or an auditor (--as-user).
    Counts, codes and references only, never personal data. Records
    sharing.reviewed with the filters, the format and the totals. Writes
    nothing else; safe to re-run.
    """

    help = (
        "Print the sharing review (disclosures and legacy shares by recipient, agreement, legal basis, kind of "
        "recipient, band, category and month, and the flags: agreements since revoked or expired, shares the "
        "guidance would now refuse, packages not destroyed, legacy shares without an agreement). --json for JSON; "
        "--pdf FILE also writes the PDF. IRU, central governance, DPO or auditor only (--as-user)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="shares on or after this day")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="shares on or before this day")
        parser.add_argument(
            "--kind",
            choices=[*RecipientKind.values, UNKNOWN_KIND],
            default="",
            help="only recipients of this kind (unknown: legacy shares whose log does not say)",
        )
        parser.add_argument("--json", action="store_true", help="print the review as JSON")
        parser.add_argument("--pdf", metavar="FILE", help="also write the review as a PDF to FILE")
        parser.add_argument(
            "--as-user", metavar="USERNAME", required=True, help="the IRU, central governance, DPO or auditor user"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['as_user']!r}")
        filters = ReviewFilters(
            date_from=_date(options["date_from"]) if options["date_from"] else None,
            date_to=_date(options["date_to"]) if options["date_to"] else None,
            recipient_kind=options["kind"] or "",
        )
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            raise CommandError("--to must be the same as or after --from")
        fmt = "json" if options["json"] else "text"
        if options["pdf"]:
            fmt += "+pdf"
        try:
            review = review_for(viewer=user, filters=filters, fmt=fmt)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        if options["pdf"]:
            path = Path(options["pdf"])
            try:
                path.write_bytes(review_pdf(review))
            except OSError as exc:
                raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(review.as_json(), indent=2))
        else:
            self.stdout.write("\n".join(review_lines(review)))
        if options["pdf"]:
            self.stderr.write(f"PDF written to {options['pdf']}")
