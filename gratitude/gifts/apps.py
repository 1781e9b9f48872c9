"""App config for gifts: what givers reserve, buy or record."""

from typing import Any

from django.apps import AppConfig


def _release_holds_of_quiet_owner(sender: Any, *, user: Any, **kwargs: Any) -> None:
    from gratitude.gifts.services import reservations_release_for_owner_quiet

    reservations_release_for_owner_quiet(user=user)


class GiftsConfig(AppConfig):
    name = "gratitude.gifts"
    label = "gifts"

    def ready(self) -> None:
        from gratitude.accounts.signals import quiet_mode_enabled

        # Quiet mode on: the holds on the person's own registries end (docs/quiet-mode.md).
        quiet_mode_enabled.connect(_release_holds_of_quiet_owner, dispatch_uid="gifts.release_quiet_holds")
