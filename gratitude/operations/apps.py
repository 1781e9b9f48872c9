"""App config for the operators' controls: send switches, breakers, alerts and the audit log."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "gratitude.operations"
    label = "operations"
