"""Pausing a registry: no message about it goes out until it is resumed (docs/quiet-mode.md)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.registries.locks import lock_registry
from gratitude.registries.models import (
    MemberRole,
    Registry,
)
from gratitude.registries.services.shared import _require_role
from gratitude.registries.signals import registry_paused

# Pausing is a way to step back from an occasion: anyone who runs the registry may do it for everyone.
PAUSE_ROLES = frozenset({MemberRole.OWNER, MemberRole.CO_REGISTRANT, MemberRole.DELEGATE})


def registry_pause(*, registry: Registry, by: User) -> Registry:
    """Stop every message about the registry, to anyone, now; hide it from search and show a short neutral
    page on its share link. No question asked, no reason needed. Idempotent: pausing again changes nothing.

    In one transaction: mark it paused, cancel its waiting messages (`registry_paused`), and release its
    open holds (their givers are told kindly, if they asked for mail). Gifts still being recorded, like a
    store's order already on its way, land silently on the Thank You List.
    """
    from gratitude.notifications.sending.quiet_mode import suppress_queued

    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=by, roles=PAUSE_ROLES, action="pause the registry")
        if locked.paused_at is None:
            locked.paused_at = timezone.now()
            locked.paused_by = by
            locked.save(update_fields=["paused_at", "paused_by"])
        suppress_queued(registry=locked)
        # Gifts (above registries in the layers) releases the open holds, in this transaction.
        registry_paused.send(sender=Registry, registry=locked)
    registry.paused_at, registry.paused_by = locked.paused_at, locked.paused_by
    return locked


def registry_resume(*, registry: Registry, by: User) -> Registry:
    """Let the registry be seen and talked about again. Nothing held while paused is sent afterwards:
    whatever is still waiting from the paused time is cancelled first; new events alert again. Idempotent.
    """
    from gratitude.notifications.sending.quiet_mode import suppress_queued

    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=by, roles=PAUSE_ROLES, action="resume the registry")
        if locked.paused_at is not None:
            # Still paused while this runs, so every row written during the pause is cancelled.
            suppress_queued(registry=locked)
            locked.paused_at = None
            locked.paused_by = None
            locked.save(update_fields=["paused_at", "paused_by"])
    registry.paused_at, registry.paused_by = None, None
    return locked
