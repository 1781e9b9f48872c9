"""What a notification kind is (trigger, who may receive it, category, pacing), and the registry of kinds.

Each domain app declares its own kinds in `<app>/notifications.py`, with their provenance, context,
recipients per trigger, label and preview sample, and registers them there; the app config imports those
modules at start-up (NotificationsConfig.ready). The send-time guards (sending/guards.py) and the renderer
(rendering/messages.py) read the registry: a kind that is not registered cannot be sent. See
docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.refusals import Refusal

__all__ = [
    "KINDS",
    "Category",
    "Kind",
    "Pacing",
    "Refusal",
    "all_kinds",
    "kind_named",
    "one_recipient",
    "register",
]


class Category(StrEnum):
    # Caused by the recipient's own action (sign-up, reset request): never paced or unsubscribable.
    TRANSACTIONAL = "transactional"
    # Caused by an event on something the recipient owns (a gift on their registry).
    EVENT = "event"
    REMINDER = "reminder"
    MARKETING = "marketing"


@dataclass(frozen=True)
class Pacing:
    """When a kind's rows may go, on top of their due time (sending/pacing.py applies this)."""

    # Wait GRATITUDE_ALERT_SETTLE_SECONDS after the trigger, so a quick cancel never alerts.
    settles: bool = False
    # Rows for one recipient and registry go as one message; at most one per GRATITUDE_DIGEST_WINDOW_SECONDS.
    coalesces: bool = False
    # The member's instant / digest / off choice applies.
    follows_alert_preference: bool = False
    # Deferred (never dropped) while it is quiet hours in the recipient's time zone.
    respects_quiet_hours: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    category: Category
    # What the kind is about ("gift", "user", "campaign"), for the per-trigger blast-radius ceiling; each row
    # names its exact trigger in its own columns (Notification.trigger_type / trigger_id, outbox.Trigger).
    trigger: str | None
    # Re-checked at send time: None when the recipient may get this row now, else why not.
    provenance: Callable[[Notification], Refusal | None]
    # Blast radius: how many recipients one trigger can legitimately have (K x this is the ceiling).
    recipients_per_trigger: Callable[[Notification], int]
    # The template triplet's folder, and the context it is rendered with (one row, or a digest's rows).
    template: str
    context: Callable[[list[Notification]], dict[str, Any]]
    # Event-backed kinds may only be created by their event's service (docs/safety.md promise 2).
    event_backed: bool
    # What the signed-out "Is this email from us?" check says the message was: the kind in plain words,
    # never its subject (which names a registry and so would tell a stranger more than "yes").
    label: str
    # Writes a real sample event through the domain's own services and returns its outbox rows, for the
    # previews and the tests (devtools/samples.py runs it inside a transaction it rolls back).
    sample: Callable[[], list[Notification]]
    # The occasions the copy speaks of: "registry" = the registry's own declared occasion; "campaign" = what
    # the row's campaign declares it speaks of (operations/campaigns/).
    occasions: tuple[str, ...] = ()
    pacing: Pacing = Pacing()

    @property
    def unsubscribable(self) -> bool:
        """Everything but the person's own requests carries one-click unsubscribe (RFC 8058)."""
        return self.category != Category.TRANSACTIONAL

    def trigger_key(self, row: Notification) -> str:
        """Rows with the same key share one trigger (for the per-trigger blast-radius ceiling)."""
        if self.trigger == "gift":
            return f"gift:{row.gift_id}"
        return f"row:{row.pk}"


def one_recipient(row: Notification) -> int:
    """Recipients per trigger for a kind whose trigger names one person."""
    return 1


_REGISTRY: dict[str, Kind] = {}
# The registry itself, read-only: name -> kind, filled as the domain apps register their kinds.
KINDS: Mapping[str, Kind] = MappingProxyType(_REGISTRY)


def register(kind: Kind) -> Kind:
    """Add a kind; registering the same declaration again is harmless, a second one under its name is not."""
    existing = _REGISTRY.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"kind {kind.name!r} is registered twice")
    _REGISTRY[kind.name] = kind
    return kind


def kind_named(name: str) -> Kind | None:
    return _REGISTRY.get(name)


def all_kinds() -> tuple[Kind, ...]:
    return tuple(_REGISTRY.values())
