from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "custos.web"
    label = "web"
    verbose_name = "Web interface"
