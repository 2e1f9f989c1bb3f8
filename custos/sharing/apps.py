from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "custos.sharing"
    label = "sharing"
    verbose_name = "Information sharing: agreements, disclosures and the sharing review"
