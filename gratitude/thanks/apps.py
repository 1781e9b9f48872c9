"""App config for the Thank You List."""

from django.apps import AppConfig


class ThanksConfig(AppConfig):
    name = "gratitude.thanks"
    label = "thanks"
