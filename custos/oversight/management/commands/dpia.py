"""custos dpia: generate a draft DPIA, export a version, or load the starting risks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from custos.accounts.models import User
from custos.audit.services import Actor, AuditUnavailable
from custos.oversight.dpia import services

SYSTEM = Actor.system("dpia")


def _user(username: str | None) -> User:
    if not username:
        raise CommandError("--as-user is required")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user named {username!r}")
    return user


class Command(BaseCommand):
    """The data protection impact assessment from the command line (docs/dpia.md).

    --generate stores the next draft version, computed from the running system,
    as the DPO named by --as-user. --export N writes version N as PDF (--pdf FILE)
    and/or JSON (--json FILE), as a reader named by --as-user. --seed-risks loads
    custos/oversight/data/dpia-risks.json into the risk register; re-running adds
    only risks not yet present.
    """

    help = "Generate a DPIA draft (--generate), export a version (--export N --pdf/--json FILE), or seed risks."

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--generate", action="store_true", help="store the next draft version")
        action.add_argument("--export", type=int, metavar="N", help="export version N")
        action.add_argument("--seed-risks", action="store_true", help="load the starting risks (idempotent)")
        parser.add_argument("--pdf", metavar="FILE", help="with --export: write the PDF here")
        parser.add_argument("--json", metavar="FILE", help="with --export: write the JSON here")
        parser.add_argument("--as-user", metavar="USERNAME", help="the DPO (generate) or a reader (export)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except PermissionDenied as exc:
            raise CommandError(str(exc) or "permission denied") from exc
        except Http404 as exc:
            raise CommandError(str(exc) or "not found") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except AuditUnavailable as exc:
            raise CommandError(str(exc)) from exc

    def _handle(self, options: dict[str, Any]) -> None:
        if options["seed_risks"]:
            actor: User | Actor = _user(options["as_user"]) if options["as_user"] else SYSTEM
            added = services.risks_seed(actor=actor)
            self.stdout.write(f"{added} risk(s) added to the register.")
            return
        user = _user(options["as_user"])
        if options["generate"]:
            version = services.dpia_generate(actor=user)
            self.stdout.write(f"DPIA version {version.number} generated (sha256 {version.content_sha256}).")
            return
        if not options["pdf"] and not options["json"]:
            raise CommandError("--export needs --pdf FILE and/or --json FILE")
        for fmt in ("pdf", "json"):
            if options[fmt]:
                out = services.dpia_export(actor=user, number=options["export"], fmt=fmt)
                Path(options[fmt]).write_bytes(out.body)
                self.stdout.write(f"DPIA version {options['export']} written to {options[fmt]} ({fmt}).")
