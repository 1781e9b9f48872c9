"""Every notification kind, declared in one place: trigger, who may receive it, category, pacing.

The send-time guards (guards.py) and the renderer (rendering.py) read these declarations; a kind that is not
declared here cannot be sent. See docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from gratitude.notifications.models import Notification


class Category(StrEnum):
    # Caused by the recipient's own action (sign-up, reset request): never paced or unsubscribable.
    TRANSACTIONAL = "transactional"
    # Caused by an event on something the recipient owns (a gift on their registry).
    EVENT = "event"
    REMINDER = "reminder"
    MARKETING = "marketing"


@dataclass(frozen=True)
class Refusal:
    """Why a row may not be sent. A breach means the row should never have existed: a bug upstream
    or a forged row, so the kind's breaker trips (SAFETY.md promises 1 and 3)."""

    reason: str
    breach: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    category: Category
    # The model the row's trigger lives on ("gift", "user"), or None for operator-written kinds.
    trigger: str | None
    # Re-checked at send time: returns None when the recipient may get this row, else the reason not.
    provenance: Callable[[Notification], Refusal | None]
    template: str
    # Event-backed kinds may only be created by their event's service (SAFETY.md promise 2).
    event_backed: bool
    settles: bool = False
    respects_quiet_hours: bool = False


def _gift_alert_provenance(row: Notification) -> Refusal | None:
    """The gift exists, is active, and the recipient is an alert-enabled member of its registry now."""
    from gratitude.gifts.models import GiftState
    from gratitude.registries.models import AlertPreference, FormerMember, RegistryMember

    gift = row.gift
    if gift is None:
        return Refusal("no_gift", breach=True)
    if row.registry_id != gift.registry_id:
        return Refusal("registry_mismatch", breach=True)
    if gift.state != GiftState.ACTIVE:
        return Refusal("gift_cancelled")
    member = RegistryMember.objects.filter(registry_id=gift.registry_id, user_id=row.recipient_id).first()
    if member is None:
        # Someone who left after the row was written is a normal change; anyone else never belonged.
        left_since = FormerMember.objects.filter(
            registry_id=gift.registry_id, user_id=row.recipient_id, left_at__gte=row.created_at
        ).exists()
        return Refusal("member_left") if left_since else Refusal("not_a_member", breach=True)
    if member.alerts == AlertPreference.OFF:
        return Refusal("alerts_off")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    if not row.recipient.email_verified:
        return Refusal("email_unverified")
    return None


def _account_mail_provenance(row: Notification) -> Refusal | None:
    if row.gift_id is not None or row.registry_id is not None:
        return Refusal("unexpected_trigger", breach=True)
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    return None


def _email_verify_provenance(row: Notification) -> Refusal | None:
    refusal = _account_mail_provenance(row)
    if refusal is None and row.recipient.email_verified:
        return Refusal("already_verified")
    return refusal


def _password_reset_provenance(row: Notification) -> Refusal | None:
    refusal = _account_mail_provenance(row)
    if refusal is None and not row.recipient.has_usable_password():
        return Refusal("no_password")
    return refusal


GIFT_ALERT = Kind(
    name="gift_alert",
    category=Category.EVENT,
    trigger="gift",
    provenance=_gift_alert_provenance,
    template="gift_alert",
    event_backed=True,
    settles=True,
    respects_quiet_hours=True,
)
EMAIL_VERIFY = Kind(
    name="email_verify",
    category=Category.TRANSACTIONAL,
    trigger="user",
    provenance=_email_verify_provenance,
    template="email_verify",
    event_backed=True,
)
PASSWORD_RESET = Kind(
    name="password_reset",
    category=Category.TRANSACTIONAL,
    trigger="user",
    provenance=_password_reset_provenance,
    template="password_reset",
    event_backed=True,
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (GIFT_ALERT, EMAIL_VERIFY, PASSWORD_RESET)}


def kind_named(name: str) -> Kind | None:
    return KINDS.get(name)
