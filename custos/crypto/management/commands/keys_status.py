"""custos keys_status: which key provider, which KEK, and whether a rotation is unfinished."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from custos.crypto.keys import KeyUnavailable, get_provider
from custos.crypto.rotation import rotation_plan


class Command(BaseCommand):
    help = (
        "Show the key provider in use, its active key-encryption key and every KEK it holds, and "
        "how many live data keys each KEK wraps. Reads only ids and counts: no key is shown. "
        "Exits non-zero if the provider is unavailable or a live data key is wrapped by a KEK the "
        "provider does not hold."
    )
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            provider = get_provider()
            plan = rotation_plan(provider=provider)
            held = provider.key_ids()
        except KeyUnavailable as exc:
            raise CommandError(f"key provider unavailable: {exc}") from exc
        self.stdout.write(f"provider: {provider.kind}")
        self.stdout.write(f"active KEK: {plan.active_kek_id} ({plan.live - plan.pending} live data key(s))")
        for kek_id in held[1:]:
            self.stdout.write(f"older KEK: {kek_id} ({plan.pending_by_kek.get(kek_id, 0)} live data key(s))")
        missing = sorted(set(plan.pending_by_kek) - set(held))
        if plan.pending and not missing:
            self.stdout.write(f"rotation unfinished: {plan.pending} data key(s) to re-wrap; run 'custos rotate_keys'")
        if missing:
            raise CommandError(f"live data keys are wrapped by KEK(s) the provider does not hold: {', '.join(missing)}")
        self.stdout.write(self.style.SUCCESS("keys ready"))
