"""App config for the small shared pieces every other app leans on."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gratitude.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from gratitude.core.bounds import IdConverter

        # Before any urls.py is imported: their routes are compiled with the converters known then.
        register_converter(IdConverter, "id")
