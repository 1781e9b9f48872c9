"""App configuration of the JSON API and store webhooks."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "gratitude.api"
    label = "api"
    verbose_name = "API and stores"

    def ready(self) -> None:
        from gratitude.api.event_worker import store_events_apply_pending
        from gratitude.notifications import periodic_jobs

        # Every second: the sweep behind the webhook's wake-ups, applying accepted store order events.
        periodic_jobs.register(store_events_apply_pending, every_seconds=1)
