"""Gifts (bought from a registry or recorded by hand) and reservations (holds on items)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from gratitude.registries.models import Item, Registry


def new_reservation_token() -> str:
    # The giver's own link to their hold (release it, or record the purchase); 128 bits, never guessable.
    return secrets.token_urlsafe(16)


class GiftSource(models.TextChoices):
    GUEST = "guest", "A guest, through the share link"
    REGISTRANT = "registrant", "Recorded by hand by a registrant"
    API = "api", "Through the API"
    STORE = "store", "A store's order"


# Sources where the giver typed their own address (the share page, a store's checkout): only there is
# "you left this address with your gift" true, so only such gifts may be asked for a mailing address.
GIVER_TYPED_SOURCES = frozenset({GiftSource.GUEST, GiftSource.STORE})


class GiftBought(models.TextChoices):
    """How the giver came by the gift: from the list as it stands, the same thing from another shop, or
    something like it. All three cover the item and land on the Thank You List."""

    AS_LISTED = "as_listed", "This very item"
    ELSEWHERE = "elsewhere", "This item, bought somewhere else"
    SIMILAR = "similar", "Something similar instead"


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
    bought = models.CharField(max_length=10, choices=GiftBought.choices, default=GiftBought.AS_LISTED)
    # The giver's own words for what they chose instead (bought == similar): shown to members, never mailed.
    similar_note = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=GiftState.choices, default=GiftState.ACTIVE)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When a registrant marked the gift as arrived (the Thank You List's "date received").
    received_at = models.DateTimeField(null=True, blank=True)
    # A contribution toward a group gift, in the item's currency (quantity is then 1).
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # The hold this purchase fulfilled, if the giver reserved first.
    reservation = models.ForeignKey(
        "Reservation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who recorded it by hand (source "registrant").
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The giver asked for a receipt by mail; the account the mail goes to (docs/registries.md).
    receipt_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="gift_quantity_at_least_one"),
            models.CheckConstraint(condition=~Q(giver_name=""), name="gift_giver_name_not_empty"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | (Q(amount__gt=0) & Q(quantity=1)),
                name="gift_contribution_is_positive",
                violation_error_message="A contribution is a positive amount toward one item.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} from {self.giver_name}"

    @property
    def giver_left_address(self) -> bool:
        """Did the giver type their email address themselves (not a registrant by hand)?"""
        return self.source in GIVER_TYPED_SOURCES

    @property
    def is_active(self) -> bool:
        return self.state == GiftState.ACTIVE


class ReservationState(models.TextChoices):
    HELD = "held", "Held"
    RELEASED = "released", "Released"
    FULFILLED = "fulfilled", "Fulfilled"


class ReleasedBy(models.TextChoices):
    GIVER = "giver", "The giver"
    STEP_BACK = "step_back", "The registry stepped back"


class Reservation(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reservations")
    giver_name = models.CharField(max_length=120)
    giver_email = models.EmailField(blank=True)
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=ReservationState.choices, default=ReservationState.HELD)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.CharField(max_length=32, unique=True, default=new_reservation_token)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Who let a released hold go: the giver, or the registry stepping back (paused, an owner in quiet mode).
    # The `reservation_released` notice is only ever about the second; its send-time check reads this.
    released_by = models.CharField(max_length=10, choices=ReleasedBy.choices, blank=True)
    # The giver asked to be reminded before the hold lapses; the account the mail goes to.
    reminder_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reservation_quantity_at_least_one")
        ]
        indexes = [models.Index(fields=["item", "state", "expires_at"], name="reservation_item_live")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item} held for {self.giver_name}"

    def is_current(self) -> bool:
        """Held and not yet lapsed: the units still count against what is wanted."""
        return self.state == ReservationState.HELD and timezone.now() < self.expires_at

    @property
    def status(self) -> str:
        """held | lapsed | released | fulfilled, as the giver's page shows it."""
        if self.state == ReservationState.HELD and not self.is_current():
            return "lapsed"
        return self.state


class GiftRemoval(models.Model):
    """Who removed a gift from the Thank You List, when and why (a registrant removing a gift they did not
    get: a fake, or a mistake). The gift itself stays, cancelled, so the record and the outbox still point
    at it."""

    gift = models.OneToOneField(Gift, on_delete=models.PROTECT, related_name="removal")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"gift {self.gift_id} removed by {self.by_id}"
