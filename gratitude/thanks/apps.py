"""App config for the Thank You List."""

from django.apps import AppConfig


class ThanksConfig(AppConfig):
    name = "gratitude.thanks"
    label = "thanks"

    def ready(self) -> None:
        from gratitude.notifications import periodic_jobs
        from gratitude.thanks.services import thank_you_reminders_enqueue

        # Hourly: reminders to thank the givers still waiting (docs/thank-you-list.md, "Reminders").
        periodic_jobs.register(thank_you_reminders_enqueue, every_seconds=3600)
