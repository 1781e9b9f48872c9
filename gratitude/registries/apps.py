"""App config for registries: the lists people build and share, their members and items."""

from django.apps import AppConfig


class RegistriesConfig(AppConfig):
    name = "gratitude.registries"
    label = "registries"
