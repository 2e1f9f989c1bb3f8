"""custos demo_users: one demonstration account per role, with printed credentials."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from custos.accounts.models import BCU_SCOPED_ROLES, Role, User
from custos.accounts.services import user_create
from custos.audit.services import Actor
from custos.crypto.tokens import random_secret
from custos.register.models import BCU

SYSTEM = Actor.system("demo_users")


class Command(BaseCommand):
    help = (
        "Create (or reset the passwords of) one demonstration account per role: "
        "demo_<role>, scoped roles in the chosen BCU. Prints the credentials. "
        "For demonstrations and tests on synthetic data only."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bcu", default="central-east", help="BCU code for officer, analyst and SPOC (default central-east)"
        )
        parser.add_argument("--password", help="Use this password for every account instead of random ones")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        bcu = BCU.objects.filter(code=options["bcu"]).first()
        if bcu is None:
            raise CommandError(f"unknown BCU code {options['bcu']!r}: run 'custos init' first or choose another")
        rows = []
        for role in Role:
            username = f"demo_{role.value}"
            password = options["password"] or random_secret(12)
            bcu_code = bcu.code if role in BCU_SCOPED_ROLES else ""
            user = User.objects.filter(username=username).first()
            if user is None:
                user_create(
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
        width = max(len(r[0]) for r in rows)
        self.stdout.write("Demo accounts (synthetic data only):")
        for username, password, label, scope in rows:
            self.stdout.write(f"  {username:<{width}}  {password}  {label} ({scope})")
