"""System checks: the service refuses to run without a usable key."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning, register

from custos.crypto.keys import KeyUnavailable, get_provider


@register("custos", deploy=False)
def key_provider_ready(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        get_provider().active_key_id()
    except KeyUnavailable as exc:
        return [
            Warning(
                f"key provider unavailable: {exc}",
                hint="Run 'custos init'; personal data can be neither read nor written.",
                id="custos.W001",
            )
        ]
    return []
