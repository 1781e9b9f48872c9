"""App config for the outbox and everything that sends (docs/notifications.md)."""

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    name = "gratitude.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Provider delivery events (anymail's tracking signal) -> suppression and the delivery log.
        from gratitude.notifications import checks  # noqa: F401
        from gratitude.notifications.transport import delivery_events  # noqa: F401

        # Each domain app declares and registers its kinds in its own `notifications` module
        # (outbox/kinds.py).
        autodiscover_modules("notifications")
