"""App config for the outbox and everything that sends (docs/notifications.md)."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "gratitude.notifications"
    label = "notifications"
