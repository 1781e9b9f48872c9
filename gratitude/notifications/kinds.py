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
    template: str
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


def _gift_alert_recipients_per_trigger(row: Notification) -> int:
    """Everyone who is, or was since the gift, a member of the gift's registry."""
    from gratitude.registries.models import FormerMember, RegistryMember

    if row.gift is None:
        return 0
    current = RegistryMember.objects.filter(registry_id=row.gift.registry_id).count()
    former = FormerMember.objects.filter(
        registry_id=row.gift.registry_id, left_at__gte=row.gift.created_at
    ).count()
    return current + former


def _one_recipient(row: Notification) -> int:
    return 1


GIFT_ALERT = Kind(
    name="gift_alert",
    category=Category.EVENT,
    trigger="gift",
    provenance=_gift_alert_provenance,
    recipients_per_trigger=_gift_alert_recipients_per_trigger,
    template="gift_alert",
    event_backed=True,
    occasions=("registry",),
    pacing=Pacing(settles=True, coalesces=True, follows_alert_preference=True, respects_quiet_hours=True),
)
EMAIL_VERIFY = Kind(
    name="email_verify",
    category=Category.TRANSACTIONAL,
    trigger="user",
    provenance=_email_verify_provenance,
    recipients_per_trigger=_one_recipient,
    template="email_verify",
    event_backed=True,
)
PASSWORD_RESET = Kind(
    name="password_reset",
    category=Category.TRANSACTIONAL,
    trigger="user",
    provenance=_password_reset_provenance,
    recipients_per_trigger=_one_recipient,
    template="password_reset",
    event_backed=True,
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (GIFT_ALERT, EMAIL_VERIFY, PASSWORD_RESET)}


def kind_named(name: str) -> Kind | None:
    return KINDS.get(name)
