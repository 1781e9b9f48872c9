"""App config for gifts: what givers reserve, buy or record."""

from typing import Any

from django.apps import AppConfig


def _release_holds_of_quiet_owner(sender: Any, *, user: Any, **kwargs: Any) -> None:
    from gratitude.gifts.services import reservations_release_for_owner_quiet

    reservations_release_for_owner_quiet(user=user)


def _release_holds_of_paused_registry(sender: Any, *, registry: Any, **kwargs: Any) -> None:
    from gratitude.gifts.services import reservations_release_for_step_back

    reservations_release_for_step_back(registry=registry)


class GiftsConfig(AppConfig):
    name = "gratitude.gifts"
    label = "gifts"

    def ready(self) -> None:
        from gratitude.accounts.signals import quiet_mode_enabled
        from gratitude.gifts import selectors
        from gratitude.registries import versions
        from gratitude.registries.gift_facts import register_gift_facts
        from gratitude.registries.signals import registry_paused

        # The registry pages' questions about gifts (how much is still wanted, how many gifts arrived).
        register_gift_facts(
            totals=selectors.item_totals, summary=lambda registry: selectors.gift_summary(registry=registry)
        )
        # A paused registry's open holds end, in the pause's own transaction (docs/quiet-mode.md).
        registry_paused.connect(_release_holds_of_paused_registry, dispatch_uid="gifts.release_paused_holds")

        # A gift or a hold changes what the share page shows: a new cache version for its registry.
        versions.connect(
            [("gifts.Gift", versions.child_changed), ("gifts.Reservation", versions.reservation_changed)]
        )

        # Quiet mode on: the holds on the person's own registries end (docs/quiet-mode.md).
        quiet_mode_enabled.connect(_release_holds_of_quiet_owner, dispatch_uid="gifts.release_quiet_holds")
