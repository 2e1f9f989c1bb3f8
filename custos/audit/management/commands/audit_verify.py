"""custos audit_verify: check the whole s.62 log has not been altered."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from custos.audit.verify import chain_verify


class Command(BaseCommand):
    help = (
        "Walk the audit log from the first event, recomputing each event's hash and "
        "its link to the one before. Exits 0 if the chain is intact; otherwise exits "
        "1 naming the first bad event."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = chain_verify()
        if not result.ok:
            raise CommandError(f"audit chain broken: {result.reason}")
        self.stdout.write(f"audit chain intact: {result.checked} events verified")
