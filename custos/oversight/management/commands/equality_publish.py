"""custos equality_publish: freeze a quarter's equality figures for the public transparency page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.models import User
from custos.oversight.equality.services import equality_publish


class Command(BaseCommand):
    """Publish the quarter's aggregate equality breakdown (docs/equality.md).

    Policy: central governance or the DPO only (--as-user). Every cell under
    10 is shown as "fewer than 10" and secondary suppression stops it being
    worked out from totals; nobody is named. One publication per quarter: a
    second run for the same quarter is refused. Audited (equality.published).
    """

    help = (
        "Freeze a quarter's aggregate equality breakdown (matrix by BCU, band, age band, ethnic group and gender; "
        "actions and removals in the quarter) with small-number suppression, for the public transparency page. "
        "Central governance or the DPO (--as-user). One publication per quarter."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quarter", required=True, help="the quarter, like 2026-Q3")
        parser.add_argument("--as-user", required=True, metavar="USERNAME", help="central governance or DPO user")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['as_user']!r}")
        try:
            made = equality_publish(actor=user, quarter=options["quarter"])
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Published the equality figures for {made.quarter} ({len(made.data['tables'])} tables).")
