"""custos demo_users: one demonstration account per role, with printed credentials."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from custos.accounts.mfa import (
    parse_base32_secret,
    totp_device_confirmed,
    totp_device_enrol,
    totp_secret_base32,
    totp_uri,
)
from custos.accounts.models import BCU_SCOPED_ROLES, Role, User
from custos.accounts.selectors import training_gaps
from custos.accounts.services import training_record, user_create, user_reinstate
from custos.audit.services import Actor
from custos.crypto.tokens import random_secret
from custos.register.models import BCU

SYSTEM = Actor.system("demo_users")


class Command(BaseCommand):
    help = (
        "Create (or reset the passwords of) one demonstration account per role: "
        "demo_<role>, scoped roles in the chosen BCU, each with an authenticator (TOTP). Prints the "
        "credentials and each authenticator key. "
        "For demonstrations and tests on synthetic data only."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bcu", default="central-east", help="BCU code for officer, analyst and SPOC (default central-east)"
        )
        parser.add_argument("--password", help="Use this password for every account instead of random ones")
        parser.add_argument(
            "--totp-secret",
            metavar="BASE32",
            help=(
                "Give every demo account's authenticator this base32 secret (demonstrations and tests only: "
                "whoever knows it can make every demo account's codes). Default: keep each account's "
                "authenticator, or set up a new one with a random secret."
            ),
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        bcu = BCU.objects.filter(code=options["bcu"]).first()
        if bcu is None:
            raise CommandError(f"unknown BCU code {options['bcu']!r}: run 'custos init' first or choose another")
        shared_secret = _shared_secret(options["totp_secret"])
        rows = []
        users = []
        for role in Role:
            username = f"demo_{role.value}"
            password = options["password"] or random_secret(12)
            bcu_code = bcu.code if role in BCU_SCOPED_ROLES else ""
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    actor=SYSTEM,
                    username=username,
                    password=password,
                    role=role,
                    bcu_code=bcu_code,
                    check_password=False,
                )
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            rows.append((username, password, role.label, bcu.name if bcu_code else "London-wide"))
            users.append(user)
        authenticators = _enrol_authenticators(users, shared_secret)
        _train_and_reinstate(users)
        width = max(len(r[0]) for r in rows)
        self.stdout.write("Demo accounts (synthetic data only):")
        for username, password, label, scope in rows:
            self.stdout.write(f"  {username:<{width}}  {password}  {label} ({scope})")
            secret, uri = authenticators[username]
            self.stdout.write(f"  {'':<{width}}  authenticator key {secret}  {uri}")


# MFA: every demo account gets an authenticator, so `make demo` users can add it to an app.


def _shared_secret(value: str | None) -> bytes | None:
    if not value:
        return None
    try:
        return parse_base32_secret(value)
    except ValidationError as exc:
        raise CommandError(f"--totp-secret: {exc.messages[0]}") from exc


def _enrol_authenticators(users: list[User], shared_secret: bytes | None) -> dict[str, tuple[str, str]]:
    """Each user's authenticator key and ``otpauth://`` URI, setting one up where needed.

    With a shared secret every device is replaced with one holding it;
    otherwise an existing authenticator is kept and shown again.
    """
    result = {}
    for user in users:
        device = None if shared_secret else totp_device_confirmed(user)
        if device is None:
            device = totp_device_enrol(actor=SYSTEM, user=user, secret=shared_secret)
        result[user.username] = (totp_secret_base32(device), totp_uri(device))
    return result


# Access governance: demo accounts are trained in both courses and not left suspended.


def _train_and_reinstate(users: list[User]) -> None:
    """Record both courses (valid ``CUSTOS_TRAINING_VALID_DAYS``) where not current; lift any suspension.

    Audited as ``training.recorded`` and ``user.reinstated`` by ``system:demo_users``.
    """
    today = timezone.localdate()
    for user in users:
        for status in training_gaps(user):
            training_record(
                actor=SYSTEM,
                user=user,
                course=status.course,
                completed_on=today,
                evidence_reference="Demonstration account (synthetic data only)",
            )
        user_reinstate(actor=SYSTEM, user=user)
