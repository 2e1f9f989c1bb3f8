"""custos pkcs11_init: create the key-encryption key and the derivation key inside an HSM token."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from custos.crypto.keys import KeyUnavailable, reset_provider_cache


class Command(BaseCommand):
    help = (
        "With CUSTOS_KEY_PROVIDER=pkcs11, log in to the token named by CUSTOS_PKCS11_TOKEN_LABEL "
        "(PIN from CUSTOS_PKCS11_PIN_FILE or CUSTOS_PKCS11_PIN) and generate, inside the token, the "
        "first AES-256 key-encryption key and the HMAC derivation key if they are absent. Both are "
        "sensitive and non-extractable: they never leave the token. Idempotent: existing keys are "
        "never replaced (replacing the derivation key would break every blind index). Back the "
        "token up with the HSM vendor's tools, apart from the database."
    )
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        from custos.crypto.keys import PROVIDER_PKCS11, key_setting
        from custos.crypto.pkcs11 import configured_provider

        if key_setting("CUSTOS_KEY_PROVIDER").strip().lower() != PROVIDER_PKCS11:
            raise CommandError("CUSTOS_KEY_PROVIDER is not 'pkcs11': nothing to do")
        reset_provider_cache()
        try:
            provider = configured_provider()
            made = provider.provision()
            active = provider.active_key_id()
        except KeyUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if made:
            self.stdout.write(f"created in token {provider.config.token_label!r}: {', '.join(made)}")
        else:
            self.stdout.write("keys present")
        self.stdout.write(self.style.SUCCESS(f"PKCS#11 key provider ready; active KEK {active}"))
