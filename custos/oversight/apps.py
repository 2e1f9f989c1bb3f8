from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "custos.oversight"
    label = "oversight"
    verbose_name = "Oversight: BCU audits, DPIA pack, equality monitor, breaches, transparency"
