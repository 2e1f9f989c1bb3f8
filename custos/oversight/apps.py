from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "custos.oversight"
    label = "oversight"
    verbose_name = "Oversight: BCU audits, DPIA pack, equality monitor, breaches, transparency"

    def ready(self) -> None:
        """Give the register the guidance library's lookup, so each decision records the versions in force."""
        from custos.oversight.guidance.selectors import in_force_versions
        from custos.register import guidance

        guidance.install(in_force_versions)
