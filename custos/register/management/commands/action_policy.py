"""custos action_policy: show the active action policy, or load new action kinds or a new policy version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.audit.services import Actor
from custos.register.actions import action_kinds_load, action_policy_active, action_policy_load
from custos.register.definitions import DefinitionFileError, definition_from_file

SYSTEM = Actor.system("action-policy")


def json_from_file(path: Path, what: str) -> dict[str, Any]:
    try:
        return definition_from_file(path, what)
    except DefinitionFileError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = (
        "Print the active action policy (which kinds of action each RAG band and category allows) as JSON. "
        "--kinds FILE.json adds or updates action kinds (a kind's class never changes); --load FILE.json "
        "loads and activates a new policy version, validated and refused with the reason if unusable "
        "(victims and people not on the matrix may be given safeguarding actions only). Earlier versions "
        "are kept, and every action records the version it was allowed under. The shipped defaults are "
        "custos/register/data/action-kinds.json and action-policy-v1.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kinds", type=Path, metavar="FILE.json", help="add or update these action kinds")
        parser.add_argument("--load", type=Path, metavar="FILE.json", help="load this action policy version")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["kinds"] is not None:
                created, updated = action_kinds_load(
                    actor=SYSTEM, definition=json_from_file(options["kinds"], "a list of action kinds")
                )
                self.stdout.write(self.style.SUCCESS(f"action kinds: {created} added, {updated} updated"))
            if options["load"] is not None:
                policy = action_policy_load(
                    actor=SYSTEM, definition=json_from_file(options["load"], "an action policy")
                )
                self.stdout.write(self.style.SUCCESS(f"loaded action policy v{policy.version}"))
            if options["kinds"] is not None or options["load"] is not None:
                return
            policy = action_policy_active()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"action policy v{policy.version} ({policy.name}), loaded {policy.created_at:%Y-%m-%d}")
        self.stdout.write(json.dumps(policy.definition, indent=2, sort_keys=True, ensure_ascii=False))
