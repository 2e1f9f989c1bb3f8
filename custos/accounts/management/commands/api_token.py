"""custos api_token: issue, list or revoke a user's API tokens at the command line."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from custos.accounts.models import ApiToken, User
from custos.accounts.services import api_token_issue, api_token_revoke
from custos.audit.services import Actor
from custos.crypto.tokens import TOKEN_PREFIX

SYSTEM = Actor.system("api_token")
#: Characters of a prefix needed to revoke by it: enough not to hit a token by accident.
MIN_PREFIX = len(TOKEN_PREFIX) + 4


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME and print it once: it is stored only as a keyed digest "
        "and cannot be shown again. --list shows the user's tokens without secrets; --revoke PREFIX "
        "revokes one at once. Issuing and revoking are recorded in the audit log as the system actor "
        "'system:api_token'. The token works only while the account may use the service."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The account the token belongs to")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--list", action="store_true", help="List the user's tokens (no secrets)")
        action.add_argument("--revoke", metavar="PREFIX", help="Revoke the user's token starting with PREFIX")
        parser.add_argument("--label", default="", help="What the new token is for (default 'API token')")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if options["list"]:
            self._list(user)
        elif options["revoke"]:
            self._revoke(user, options["revoke"])
        else:
            self._issue(user, options["label"])

    def _issue(self, user: User, label: str) -> None:
        try:
            # api_token_issue admits the system actor (only a *user* other than
            # the owner is refused); its annotation says User only.
            row, token = api_token_issue(actor=SYSTEM, owner=user, label=label)
        except PermissionDenied as exc:
            raise CommandError(f"cannot issue a token for {user.username}: {exc}") from exc
        self.stderr.write(
            f"Issued token {row.prefix}… ({row.label}) for {user.username}. It is shown once, below: store it now."
        )
        self.stdout.write(token)

    def _list(self, user: User) -> None:
        tokens = list(ApiToken.objects.filter(user=user).order_by("-created_at"))
        if not tokens:
            self.stdout.write(f"{user.username} has no API tokens.")
            return
        rows = [("PREFIX", "LABEL", "CREATED", "LAST USED", "STATUS")]
        for t in tokens:
            rows.append(
                (
                    f"{t.prefix}…",
                    t.label,
                    _when(t.created_at),
                    _when(t.last_used_at) if t.last_used_at else "never",
                    "active" if t.is_active else f"revoked {_when(t.revoked_at)}",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            self.stdout.write("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]))

    def _revoke(self, user: User, given: str) -> None:
        wanted = given.strip().rstrip("…").strip()
        if len(wanted) < MIN_PREFIX:
            raise CommandError(f"give at least {MIN_PREFIX} characters of the token, e.g. {TOKEN_PREFIX}AbCd")
        matches = [t for t in ApiToken.objects.filter(user=user) if t.prefix.startswith(wanted[: len(t.prefix)])]
        if not matches:
            raise CommandError(f"{user.username} has no token starting {wanted!r}")
        if len(matches) > 1:
            raise CommandError(f"{len(matches)} tokens of {user.username} start {wanted!r}: give more characters")
        [token] = matches
        if not token.is_active:
            self.stdout.write(f"Token {token.prefix}… of {user.username} was already revoked.")
            return
        api_token_revoke(actor=SYSTEM, token=token)
        self.stdout.write(f"Revoked token {token.prefix}… ({token.label}) of {user.username}.")


def _when(moment: Any) -> str:
    return str(timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")) if moment else ""
