"""Personal API tokens, stores that post signed order events, and what each event did (docs/api.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    """A personal token. Only a SHA-256 of it is kept: it is shown once, when made, and never again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    # The first characters, so the account page can tell tokens apart without holding the secret.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) for user {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Store(models.Model):
    """A store whose checkout tells us about purchases. The secret signs its events (HMAC-SHA256), so it is
    kept as it is; it is printed once, when made or rotated, and no page shows it."""

    public_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    secret = models.CharField(max_length=100)
    # After a rotation the old secret still verifies for a grace period, so events in flight are not lost.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class StoreOrder(models.Model):
    """One order of one store, as far as we have heard of it. A cancel may arrive before its payment: then
    `cancelled_at` is set first and the payment that follows records nothing."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    order_id = models.CharField(max_length=100)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "order_id"], name="one_row_per_store_order")]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.order_id}"


class StoreOrderLine(models.Model):
    """One line of a store order and the gift it became. Unique per (store, order, line): the same line
    paid twice, even by two deliveries at the same moment, records one gift."""

    order = models.ForeignKey(StoreOrder, on_delete=models.PROTECT, related_name="lines")
    line_id = models.CharField(max_length=100)
    gift = models.OneToOneField(
        "gifts.Gift", on_delete=models.PROTECT, null=True, blank=True, related_name="store_line"
    )
    quantity = models.PositiveIntegerField(default=1)
    # Set when a cancel or refund for this line came, before or after its payment.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "line_id"], name="one_row_per_store_line")]

    def __str__(self) -> str:
        return f"{self.order} line {self.line_id}"


class EventOutcome(models.TextChoices):
    # Verified and stored, answered 202; the worker has not applied it yet (docs/api.md, "Store order
    # events").
    PENDING = "pending", "Accepted; waiting for the worker"
    RECORDED = "recorded", "Gifts recorded"
    DUPLICATE = "duplicate", "Already recorded; nothing new"
    CANCELLED = "cancelled", "Gifts cancelled"
    REMEMBERED = "remembered", "Cancel remembered before its payment"
    ALREADY_CANCELLED = "already_cancelled", "Paid after its cancel; nothing recorded"
    REJECTED = "rejected", "Refused; nothing recorded"


class StoreEvent(models.Model):
    """Every authentic event a store posted (signature checked), with what it did, for the operators and
    for the store (GET /api/v1/stores/<id>/events/<event_id>). An accepted event is stored `pending` with its
    body; the worker applies it (api/event_worker.py), records the outcome and forgets the body."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="events")
    # The v1 signature: a second delivery of the very same signed request is a replay.
    signature = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=40, blank=True)
    order_id = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=20, choices=EventOutcome.choices)
    status_code = models.PositiveSmallIntegerField()
    # Why, in our words; never the buyer's details (those reach the gift, and only its registrants).
    detail = models.CharField(max_length=500, blank=True)
    # The verified body, kept only while the event is pending: it holds the buyer's details, which belong on
    # the gift alone, so the worker empties it once it has applied the event.
    body = models.TextField(blank=True)
    # What the worker did, for the store's status read: gift ids recorded or cancelled, line ids already
    # recorded, and for a refusal its code.
    result = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            # The worker's claim: the pending events, oldest first; small, since processed ones leave it.
            models.Index(fields=["store", "id"], condition=Q(outcome="pending"), name="store_event_pending"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["store", "signature"], name="store_event_signature_once"),
            models.CheckConstraint(condition=~Q(signature=""), name="store_event_signed"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.event} {self.order_id}: {self.outcome}"
