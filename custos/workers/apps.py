from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "custos.workers"
    label = "workers"
    verbose_name = "Background workers: leases and recovery of tasks whose worker stopped"
