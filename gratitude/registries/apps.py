"""App config for registries: the lists people build and share, their members and items."""

from typing import Any

from django.apps import AppConfig


def _reindex_names(sender: Any, *, user: Any, **kwargs: Any) -> None:
    from gratitude.registries.services import registry_search_names_refresh_for_user

    registry_search_names_refresh_for_user(user=user)


class RegistriesConfig(AppConfig):
    name = "gratitude.registries"
    label = "registries"

    def ready(self) -> None:
        from gratitude.accounts.signals import display_name_changed

        # A person who changes their name is found by the new one (docs/registries.md, "Search").
        display_name_changed.connect(_reindex_names, dispatch_uid="registries.reindex_names")
        # Every write that changes a share page gives its registry a new cache version.
        from gratitude.registries import versions

        versions.connect()
