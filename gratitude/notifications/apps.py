"""App config for the outbox and everything that sends (docs/notifications.md)."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "gratitude.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Provider delivery events (anymail's tracking signal) -> suppression and the delivery log.
        from gratitude.notifications import checks, webhooks  # noqa: F401
