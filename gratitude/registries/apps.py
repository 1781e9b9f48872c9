"""App config for registries: the lists people build and share, their members and items."""

from typing import Any

from django.apps import AppConfig


def _reindex_names(sender: Any, *, user: Any, **kwargs: Any) -> None:
    from gratitude.registries.services.search import registry_search_names_refresh_for_user

    registry_search_names_refresh_for_user(user=user)


class RegistriesConfig(AppConfig):
    name = "gratitude.registries"
    label = "registries"

    def ready(self) -> None:
        from gratitude.accounts.signals import display_name_changed
        from gratitude.notifications.sending.ports import register_registry_facts
        from gratitude.registries.send_facts import REGISTRY_FACTS

        # A person who changes their name is found by the new one (docs/registries.md, "Search").
        display_name_changed.connect(_reindex_names, dispatch_uid="registries.reindex_names")
        # The send-time guards ask about paused registries and digest choices
        # (notifications/sending/ports.py).
        register_registry_facts(REGISTRY_FACTS)
        # Every write that changes a share page gives its registry a new cache version.
        from gratitude.registries import versions

        versions.connect()

        from gratitude.notifications import periodic_jobs
        from gratitude.registries.services.add_from_store import pictures_unused_clear

        # Hourly: pictures kept from a store link the registrant never confirmed (docs/registries.md,
        # "Pictures").
        periodic_jobs.register(pictures_unused_clear, every_seconds=3600)
