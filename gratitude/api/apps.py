"""App configuration of the JSON API and store webhooks."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "gratitude.api"
    label = "api"
    verbose_name = "API and stores"
