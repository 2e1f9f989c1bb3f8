"""custos user_reinstate: lift a suspension at the command line (e.g. the last system administrator)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.models import User
from custos.accounts.services import user_reinstate
from custos.audit.services import Actor

SYSTEM = Actor.system("user_reinstate")


class Command(BaseCommand):
    help = (
        "Reinstate the suspended account USERNAME: it may sign in and use its API tokens again, and its "
        "recertification and dormancy periods start again from now. For operators (for example when every "
        "system administrator is suspended); on the web, system administrators and SPOCs reinstate. "
        "Recorded as user.reinstated by the system actor 'system:user_reinstate'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if user_reinstate(actor=SYSTEM, user=user):
            self.stdout.write(f"reinstated {user.username}")
        else:
            self.stdout.write(f"{user.username} was not suspended; nothing changed")
