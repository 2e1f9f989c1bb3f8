from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "custos.rights"
    label = "rights"
    verbose_name = "Data-subject rights"
