from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "custos.register"
    label = "register"
    verbose_name = "The register"
