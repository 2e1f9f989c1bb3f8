"""custos mfa_reset: remove a user's authenticator (lost or replaced phone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.mfa import totp_device_reset
from custos.accounts.models import User
from custos.audit.services import Actor

SYSTEM = Actor.system("mfa_reset")


class Command(BaseCommand):
    help = (
        "Remove USERNAME's authenticator app (its secret's key is shredded). At their next sign-in they "
        "set up a new one after their password. Check who is asking first: this is an operator action, "
        "recorded in the audit log as 'system:mfa_reset'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The account whose authenticator is removed")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        removed = totp_device_reset(actor=SYSTEM, user=user)
        self.stdout.write(
            f"Removed {removed} authenticator(s) for {user.username}; they set up a new one at their next sign-in."
        )
