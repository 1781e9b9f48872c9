"""App config for accounts: people, their email login and their preferences."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gratitude.accounts"
    label = "accounts"

    def ready(self) -> None:
        from gratitude.accounts.send_facts import PEOPLE_FACTS
        from gratitude.notifications.sending.ports import register_people_facts

        # The send-time guards ask who a quiet person's trusted delegate is
        # (notifications/sending/quiet_mode.py).
        register_people_facts(PEOPLE_FACTS)

        from gratitude.accounts.services import unfinished_signups_clear
        from gratitude.notifications import periodic_jobs

        # Hourly: forget the passwords of sign-ups never finished.
        periodic_jobs.register(unfinished_signups_clear, every_seconds=3600)
