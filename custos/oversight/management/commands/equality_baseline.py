"""custos equality_baseline: load a baseline (population by age band, offender, victim) for the equality monitor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.models import User
from custos.oversight.equality.models import Baseline
from custos.oversight.equality.services import baseline_load


class Command(BaseCommand):
    """Load a comparison baseline from CSV (docs/equality.md).

    Columns: ``group`` (Asian, Black, Mixed, White, Other), optional
    ``age_band`` (under16, 16-17, 18-24, 25+), and ``count`` or ``percent``.
    Policy: central governance or the DPO (--as-user). Loading a name again
    replaces its figures. Figures about populations only, no personal data.
    Audited (equality.baseline_loaded). Safe to re-run.
    """

    help = (
        "Load an equality baseline from CSV (group, optional age_band, count or percent) under a name and kind "
        "(population, offender or victim). Central governance or the DPO (--as-user). Re-loading a name replaces it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--load", required=True, metavar="FILE.csv", help="the CSV file")
        parser.add_argument("--name", required=True, help="the baseline's name")
        parser.add_argument("--kind", choices=Baseline.Kind.values, default=Baseline.Kind.POPULATION)
        parser.add_argument("--source", default="", help="where the figures come from (publisher, table, date)")
        parser.add_argument("--as-user", required=True, metavar="USERNAME", help="central governance or DPO user")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['as_user']!r}")
        path = Path(options["load"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"cannot read {path.name}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"cannot read {path.name}: not UTF-8 text (save it as 'CSV UTF-8')") from exc
        try:
            baseline = baseline_load(
                actor=user, name=options["name"], kind=options["kind"], source=options["source"], text=text
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        banded = "by age band" if baseline.age_banded else "all ages"
        self.stdout.write(f"Loaded {baseline.kind} baseline {baseline.name!r}: {len(baseline.rows)} rows, {banded}.")
