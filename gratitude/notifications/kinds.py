"""Every notification kind, declared in one place: trigger, who may receive it, category, pacing.

The send-time guards (guards.py) and the renderer (rendering.py) read these declarations; a kind that is not
declared here cannot be sent. What a kind needs from its domain (provenance, context) lives beside that
domain, in `<app>/notifications.py` (Saleor's layout); this file is where they are bound. See
docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gratitude.accounts.notifications import (
    email_verify_context,
    email_verify_provenance,
    password_reset_context,
    password_reset_provenance,
)
from gratitude.gifts.notifications import (
    gift_alert_context,
    gift_alert_provenance,
    gift_alert_recipients_per_trigger,
)
from gratitude.notifications.models import Notification
from gratitude.notifications.refusals import Refusal

__all__ = ["KINDS", "Category", "Kind", "Pacing", "Refusal", "kind_named"]


class Category(StrEnum):
    # Caused by the recipient's own action (sign-up, reset request): never paced or unsubscribable.
    TRANSACTIONAL = "transactional"
    # Caused by an event on something the recipient owns (a gift on their registry).
    EVENT = "event"
    REMINDER = "reminder"
    MARKETING = "marketing"


@dataclass(frozen=True)
class Pacing:
    """When a kind's rows may go, on top of their due time (pacing.py applies this)."""

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
    # The model the row's trigger lives on ("gift", "user"), or None for operator-written kinds.
    trigger: str | None
    # Re-checked at send time: None when the recipient may get this row now, else why not.
    provenance: Callable[[Notification], Refusal | None]
    # Blast radius: how many recipients one trigger can legitimately have (K x this is the ceiling).
    recipients_per_trigger: Callable[[Notification], int]
    # The template triplet's folder, and the context it is rendered with (one row, or a digest's rows).
    template: str
    context: Callable[[list[Notification]], dict[str, Any]]
    # Event-backed kinds may only be created by their event's service (SAFETY.md promise 2).
    event_backed: bool
    # The occasions the copy speaks of: "registry" = only the registry's own declared occasion.
    occasions: tuple[str, ...] = ()
    pacing: Pacing = Pacing()

    def trigger_key(self, row: Notification) -> str:
        """Rows with the same key share one trigger (for the per-trigger blast-radius ceiling)."""
        if self.trigger == "gift":
            return f"gift:{row.gift_id}"
        return f"row:{row.pk}"


def _one_recipient(row: Notification) -> int:
    return 1


GIFT_ALERT = Kind(
    name="gift_alert",
    category=Category.EVENT,
    trigger="gift",
    provenance=gift_alert_provenance,
    recipients_per_trigger=gift_alert_recipients_per_trigger,
    template="gift_alert",
    context=gift_alert_context,
    event_backed=True,
    occasions=("registry",),
    pacing=Pacing(settles=True, coalesces=True, follows_alert_preference=True, respects_quiet_hours=True),
)
EMAIL_VERIFY = Kind(
    name="email_verify",
    category=Category.TRANSACTIONAL,
    trigger="user",
    provenance=email_verify_provenance,
    recipients_per_trigger=_one_recipient,
    template="email_verify",
    context=email_verify_context,
    event_backed=True,
)
PASSWORD_RESET = Kind(
    name="password_reset",
    category=Category.TRANSACTIONAL,
    trigger="user",
    provenance=password_reset_provenance,
    recipients_per_trigger=_one_recipient,
    template="password_reset",
    context=password_reset_context,
    event_backed=True,
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (GIFT_ALERT, EMAIL_VERIFY, PASSWORD_RESET)}


def kind_named(name: str) -> Kind | None:
    return KINDS.get(name)
