"""App config for accounts: people, their email login and their preferences."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gratitude.accounts"
    label = "accounts"
