from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "custos.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
