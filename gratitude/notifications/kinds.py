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
    quiet_delegate_invitation_context,
    quiet_delegate_invitation_provenance,
    signup_existing_context,
    signup_existing_provenance,
)
from gratitude.gifts.notifications import (
    gift_alert_context,
    gift_alert_provenance,
    gift_alert_recipients_per_trigger,
    gift_receipt_context,
    gift_receipt_provenance,
    reservation_link_context,
    reservation_link_provenance,
    reservation_released_context,
    reservation_released_provenance,
    reservation_reminder_context,
    reservation_reminder_provenance,
)
from gratitude.notifications.models import Notification
from gratitude.notifications.refusals import Refusal
from gratitude.operations.notifications import (
    campaign_context,
    correction_context,
    operator_message_provenance,
    operator_message_recipients_per_trigger,
)
from gratitude.registries.notifications import (
    registry_archive_notice_context,
    registry_archive_notice_provenance,
    registry_invitation_context,
    registry_invitation_provenance,
)
from gratitude.thanks.notifications import (
    address_request_context,
    address_request_provenance,
    reminder_recipients_per_trigger,
    thank_you_reminder_context,
    thank_you_reminder_provenance,
)

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
    # The occasions the copy speaks of: "registry" = the registry's own declared occasion; "campaign" = what
    # the row's campaign declares it speaks of (operations/campaigns.py).
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
# A sign-up with an address that already has an account: instead of saying "taken" on the page (which tells
# whoever typed the address that it is known here), the address is told, and shown the ways back in. Written
# only by accounts.services.user_signup.
SIGNUP_EXISTING = Kind(
    name="signup_existing",
    category=Category.TRANSACTIONAL,
    trigger="user",
    provenance=signup_existing_provenance,
    recipients_per_trigger=_one_recipient,
    template="signup_existing",
    context=signup_existing_context,
    event_backed=True,
)

# A registrant asks a giver (usually without an account) for a mailing address: one message per giver per
# registry, written by thanks.services.address_request_create (docs/thank-you-list.md).
ADDRESS_REQUEST = Kind(
    name="address_request",
    category=Category.EVENT,
    trigger="gift",
    provenance=address_request_provenance,
    recipients_per_trigger=_one_recipient,
    template="address_request",
    context=address_request_context,
    event_backed=True,
    occasions=("registry",),
    pacing=Pacing(respects_quiet_hours=True),
)
# At most weekly, to registrants with gifts waiting for thanks; written by the periodic
# thanks.services.thank_you_reminders_enqueue. Its trigger is the registry's week, not one gift.
THANK_YOU_REMINDER = Kind(
    name="thank_you_reminder",
    category=Category.REMINDER,
    trigger="registry",
    provenance=thank_you_reminder_provenance,
    recipients_per_trigger=reminder_recipients_per_trigger,
    template="thank_you_reminder",
    context=thank_you_reminder_context,
    event_backed=True,
    occasions=("registry",),
    pacing=Pacing(respects_quiet_hours=True),
)

# An invitation to help run a registry, to an address that may have no account yet; written only by
# registries.services.registry_invitation_create (docs/registries.md).
REGISTRY_INVITATION = Kind(
    name="registry_invitation",
    category=Category.EVENT,
    trigger="invitation",
    provenance=registry_invitation_provenance,
    recipients_per_trigger=_one_recipient,
    template="registry_invitation",
    context=registry_invitation_context,
    event_backed=True,
    occasions=("registry",),
)
# A giver asked to be reminded before their hold lapses: their own request, so never paced (a deferred
# reminder could arrive after the lapse). Written only by gifts.services.reservation_create.
RESERVATION_REMINDER = Kind(
    name="reservation_reminder",
    category=Category.TRANSACTIONAL,
    trigger="reservation",
    provenance=reservation_reminder_provenance,
    recipients_per_trigger=_one_recipient,
    template="reservation_reminder",
    context=reservation_reminder_context,
    event_backed=True,
    occasions=("registry",),
)
# A giver left an address with a hold: the hold's own page, so they can come back to it. Their own action,
# sent at once; to an address nobody confirmed it says nothing anyone typed (docs/deliverability.md).
# Written only by gifts.services.reservation_create.
RESERVATION_LINK = Kind(
    name="reservation_link",
    category=Category.TRANSACTIONAL,
    trigger="reservation",
    provenance=reservation_link_provenance,
    recipients_per_trigger=_one_recipient,
    template="reservation_link",
    context=reservation_link_context,
    event_backed=True,
    occasions=("registry",),
)
# A giver asked for a receipt of the gift they recorded. Written only by gifts.services.
GIFT_RECEIPT = Kind(
    name="gift_receipt",
    category=Category.TRANSACTIONAL,
    trigger="gift",
    provenance=gift_receipt_provenance,
    recipients_per_trigger=_one_recipient,
    template="gift_receipt",
    context=gift_receipt_context,
    event_backed=True,
    occasions=("registry",),
)
# Fourteen days before a registry archives itself after its event, to its owner. Written only by
# registries.services.registry_lifecycle_step.
REGISTRY_ARCHIVE_NOTICE = Kind(
    name="registry_archive_notice",
    category=Category.REMINDER,
    trigger="registry",
    provenance=registry_archive_notice_provenance,
    recipients_per_trigger=_one_recipient,
    template="registry_archive_notice",
    context=registry_archive_notice_context,
    event_backed=True,
    occasions=("registry",),
    pacing=Pacing(respects_quiet_hours=True),
)

# Quiet mode (docs/quiet-mode.md). A giver who asked for mail about their hold is told, once and in neutral
# words, that it was released because the registry stepped back. Written only by
# gifts.services.reservations_release_for_step_back; like the reminder, the giver's own request.
RESERVATION_RELEASED = Kind(
    name="reservation_released",
    category=Category.TRANSACTIONAL,
    trigger="reservation",
    provenance=reservation_released_provenance,
    recipients_per_trigger=_one_recipient,
    template="reservation_released",
    context=reservation_released_context,
    event_backed=True,
    occasions=("registry",),
)
# An invitation to be someone's trusted delegate for quiet mode, caused by that person's own action and
# speaking of no registry or occasion. Written only by accounts.services.quiet_delegate_invite.
QUIET_DELEGATE_INVITATION = Kind(
    name="quiet_delegate_invitation",
    category=Category.TRANSACTIONAL,
    trigger="quiet_delegate",
    provenance=quiet_delegate_invitation_provenance,
    recipients_per_trigger=_one_recipient,
    template="quiet_delegate_invitation",
    context=quiet_delegate_invitation_context,
    event_backed=True,
)

# Operator-written kinds (docs/operations.md, "Campaigns"): written only by operations/campaigns.py through
# notifications.services.notification_enqueue_operator_messages, after a second operator's approval and a
# canary. Never event-backed, and no event-backed kind's template can be used by them.
CAMPAIGN = Kind(
    name="campaign",
    category=Category.MARKETING,
    trigger="campaign",
    provenance=operator_message_provenance,
    recipients_per_trigger=operator_message_recipients_per_trigger,
    template="campaign",
    context=campaign_context,
    event_backed=False,
    # What its campaign speaks of: the author's declaration and its audience's occasions (occasions.py).
    occasions=("campaign",),
    pacing=Pacing(respects_quiet_hours=True),
)
# A correction to exactly the recipients of a recalled send. Not held for quiet hours: the sooner it lands,
# the fewer people act on the message it corrects.
CORRECTION = Kind(
    name="correction",
    category=Category.EVENT,
    trigger="campaign",
    provenance=operator_message_provenance,
    recipients_per_trigger=operator_message_recipients_per_trigger,
    template="correction",
    context=correction_context,
    event_backed=False,
    # What the messages it corrects spoke of, inherited by its campaign (occasions.py).
    occasions=("campaign",),
)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        GIFT_ALERT,
        EMAIL_VERIFY,
        PASSWORD_RESET,
        SIGNUP_EXISTING,
        ADDRESS_REQUEST,
        THANK_YOU_REMINDER,
        REGISTRY_INVITATION,
        RESERVATION_REMINDER,
        RESERVATION_LINK,
        GIFT_RECEIPT,
        REGISTRY_ARCHIVE_NOTICE,
        RESERVATION_RELEASED,
        QUIET_DELEGATE_INVITATION,
        CAMPAIGN,
        CORRECTION,
    )
}


def kind_named(name: str) -> Kind | None:
    return KINDS.get(name)
