"""The outbox: one row per intended message to one recipient, written in the business transaction."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

# The send switches live in their own module; imported here so Django registers them with this app.
from gratitude.notifications.sending.controls import OperatorAlert as OperatorAlert
from gratitude.notifications.sending.controls import SendControl as SendControl

# No 0/O/1/I/L: reference codes are read aloud to support and typed from a phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 10


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    HELD = "held", "Held by a halt"
    SENDING = "sending", "Being sent (leased)"
    SENT = "sent", "Sent"
    SUPPRESSED = "suppressed", "Suppressed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# Rows in these states will never be looked at by a worker again.
FINAL_STATES = (
    NotificationState.SENT,
    NotificationState.SUPPRESSED,
    NotificationState.FAILED,
    NotificationState.CANCELLED,
)


class Notification(models.Model):
    kind = models.CharField(max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    gift = models.ForeignKey(
        "gifts.Gift", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    registry = models.ForeignKey(
        "registries.Registry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    # What caused the row (outbox.Trigger): the model it lives on and its id, written by the one outbox
    # write. Provenance and recall read these; nothing reads the idempotency key back.
    trigger_type = models.CharField(max_length=20, blank=True)
    trigger_id = models.BigIntegerField(null=True, blank=True)
    # Which moment of the trigger the row speaks of, when the trigger alone does not say: the sending of a
    # re-sendable invitation, the archive date a notice is for.
    trigger_at = models.DateTimeField(null=True, blank=True)
    # Opaque: one row per (kind, trigger, recipient), so enqueuing twice writes one row.
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(
        max_length=12, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=REFERENCE_LENGTH, unique=True, default=new_reference)
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What actually went out, recorded at send time: recall lists exactly these.
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    # The content as rendered for sending, shown in the recipient's notification centre
    # (rendering/messages.py).
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "due_at"], name="outbox_due"),
            models.Index(fields=["kind", "state", "sent_at"], name="outbox_kind_sent"),
            # A batch's companions (delivery._claim_companions): the waiting rows of its recipients.
            models.Index(fields=["recipient", "state"], name="outbox_recipient_state"),
            # Provenance finds a row's trigger, recall a campaign's rows.
            models.Index(fields=["trigger_type", "trigger_id"], name="outbox_trigger"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} [{self.state}] {self.reference}"


class SuppressedAddress(models.Model):
    """An address we stop mailing: a hard bounce or a complaint. Checked at send time for every kind."""

    address = models.EmailField(unique=True)
    reason = models.CharField(max_length=40)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"


class Unsubscribe(models.Model):
    """A person stopped one category of mail (event, reminder, marketing); checked at send time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_unsubscribes"
    )
    category = models.CharField(max_length=20)
    # one_click (RFC 8058 POST), page (the confirmation page's button), preferences, provider
    source = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="one_unsubscribe_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} stopped {self.category} ({self.source})"


class DeliveryEvent(models.Model):
    """What a mail provider reported about one message (anymail's normalised tracking events)."""

    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="delivery_events"
    )
    esp_name = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    # The provider's own id for this event, when it gives one: a retried webhook is recorded once.
    event_id = models.CharField(max_length=200, blank=True)
    provider_message_id = models.CharField(max_length=300, blank=True)
    recipient = models.EmailField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["esp_name", "event_id"],
                condition=~models.Q(event_id=""),
                name="one_delivery_event_per_provider_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.esp_name} {self.event_type} {self.recipient}"
