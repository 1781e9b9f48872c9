"""App config for the small shared pieces every other app leans on."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gratitude.core"
    label = "core"
