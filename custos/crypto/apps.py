from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "custos.crypto"
    label = "crypto"
    verbose_name = "Encryption and keys"

    def ready(self) -> None:
        from custos.crypto import checks  # noqa: F401  (registers system checks)
