"""custos retention_schedule: show the active retention schedule, or load a new version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.audit.services import Actor
from custos.register.definitions import DefinitionFileError, definition_from_file
from custos.register.services import RuleBroken
from custos.retention.schedule import ScheduleError
from custos.retention.services import schedule_active, schedule_load

SYSTEM = Actor.system("retention-schedule")


def schedule_from_file(path: Path) -> dict[str, Any]:
    try:
        return definition_from_file(path, "a retention schedule")
    except DefinitionFileError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = (
        "Print the active retention schedule as JSON; --load FILE.json loads and activates a new version "
        "(validated, refused with the reason if unusable; earlier versions are kept). The shipped default "
        "is custos/retention/data/retention-schedule-v1.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--load", type=Path, metavar="FILE.json", help="load this schedule version")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["load"] is not None:
                schedule = schedule_load(actor=SYSTEM, definition=schedule_from_file(options["load"]))
                self.stdout.write(self.style.SUCCESS(f"loaded retention schedule v{schedule.version}"))
                return
            schedule = schedule_active()
        except ScheduleError as exc:
            raise CommandError(f"invalid retention schedule: {exc}") from exc
        except RuleBroken as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        loaded = f"{schedule.created_at:%Y-%m-%d}"
        self.stdout.write(f"retention schedule v{schedule.version} ({schedule.name}), loaded {loaded}")
        self.stdout.write(json.dumps(schedule.definition, indent=2, sort_keys=True))
