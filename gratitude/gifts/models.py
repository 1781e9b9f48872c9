"""Gifts (bought from a registry or recorded by hand) and reservations (holds on items)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from gratitude.registries.models import Item, Registry


class GiftSource(models.TextChoices):
    GUEST = "guest", "A guest, through the share link"
    REGISTRANT = "registrant", "Recorded by hand by a registrant"
    API = "api", "Through the API"
    STORE = "store", "A store's order"


class GiftState(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"


class Gift(models.Model):
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="gifts")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="gifts")
    giver_name = models.CharField(max_length=120)
    giver_email = models.EmailField(blank=True)
    giver_address = models.TextField(blank=True)
    message = models.TextField(blank=True, max_length=2000)
    quantity = models.PositiveIntegerField()
    source = models.CharField(max_length=12, choices=GiftSource.choices, default=GiftSource.GUEST)
    state = models.CharField(max_length=10, choices=GiftState.choices, default=GiftState.ACTIVE)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When a registrant marked the gift as arrived (the Thank You List's "date received").
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="gift_quantity_at_least_one"),
            models.CheckConstraint(condition=~Q(giver_name=""), name="gift_giver_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.item} from {self.giver_name}"

    @property
    def is_active(self) -> bool:
        return self.state == GiftState.ACTIVE


class ReservationState(models.TextChoices):
    HELD = "held", "Held"
    RELEASED = "released", "Released"
    FULFILLED = "fulfilled", "Fulfilled"


class Reservation(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reservations")
    giver_name = models.CharField(max_length=120)
    giver_email = models.EmailField(blank=True)
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=ReservationState.choices, default=ReservationState.HELD)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reservation_quantity_at_least_one")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item} held for {self.giver_name}"
