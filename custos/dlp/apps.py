from django.apps import AppConfig


class DlpConfig(AppConfig):
    name = "custos.dlp"
    label = "dlp"
    verbose_name = "Loss prevention: fingerprints, canaries and the copy scanner"

    def ready(self) -> None:
        from custos.dlp import receivers

        receivers.connect()
