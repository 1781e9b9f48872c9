"""Every change to gifts and reservations. Recording a gift queues its alerts in the same transaction."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from gratitude.core.errors import GratitudeError, NotEnoughWanted
from gratitude.gifts.models import Gift, GiftSource, GiftState, Reservation
from gratitude.registries.models import Item
from gratitude.registries.selectors import item_availability

# Sources that take an item off the wanted list; a registrant's hand-recorded gift may exceed it.
_FROM_THE_LIST = {GiftSource.GUEST, GiftSource.API, GiftSource.STORE}


def _check_quantity(quantity: int) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise GratitudeError("quantity: must be a whole number of at least 1")


def _check_giver(giver_name: str, giver_email: str) -> None:
    if not giver_name.strip():
        raise GratitudeError("giver_name: please say who the gift is from")
    if giver_email:
        try:
            validate_email(giver_email)
        except ValidationError as exc:
            raise GratitudeError("giver_email: enter a valid email address") from exc


def _lock_item(item: Item) -> Item:
    # Locking the item serialises concurrent givers, so two cannot both take the last one.
    return Item.objects.select_for_update().get(pk=item.pk)


def gift_record(
    *,
    item: Item,
    giver_name: str,
    giver_email: str = "",
    message: str = "",
    quantity: int = 1,
    source: str = GiftSource.GUEST,
    giver_address: str = "",
) -> Gift:
    """Record a gift and, in the same transaction, one gift-alert intent per alert-enabled member."""
    from gratitude.notifications.services import notification_enqueue_gift_alerts

    _check_quantity(quantity)
    _check_giver(giver_name, giver_email)
    if source not in GiftSource.values:
        raise GratitudeError(f"source: choose one of {', '.join(GiftSource.values)}")
    with transaction.atomic():
        item = _lock_item(item)
        if source in _FROM_THE_LIST:
            wanted = item_availability(item=item).still_wanted
            if quantity > wanted:
                raise NotEnoughWanted(
                    f"Only {wanted} of “{item.title}” still wanted; you asked for {quantity}."
                )
        gift = Gift.objects.create(
            registry_id=item.registry_id,
            item=item,
            giver_name=giver_name.strip(),
            giver_email=giver_email.strip().lower(),
            giver_address=giver_address.strip(),
            message=message.strip(),
            quantity=quantity,
            source=source,
        )
        notification_enqueue_gift_alerts(gift=gift)
    return gift


def gift_cancel(*, gift: Gift, reason: str = "") -> Gift:
    """Cancel a gift. Its pending alerts are stopped by the send-time provenance check."""
    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift.pk)
        if gift.state == GiftState.CANCELLED:
            return gift
        gift.state = GiftState.CANCELLED
        gift.cancel_reason = reason[:200]
        gift.cancelled_at = timezone.now()
        gift.save(update_fields=["state", "cancel_reason", "cancelled_at"])
    return gift


def reservation_create(
    *, item: Item, giver_name: str, giver_email: str = "", quantity: int = 1
) -> Reservation:
    """Hold `quantity` of an item for a giver; raise NotEnoughWanted when fewer are still wanted."""
    _check_quantity(quantity)
    _check_giver(giver_name, giver_email)
    with transaction.atomic():
        item = _lock_item(item)
        wanted = item_availability(item=item).still_wanted
        if quantity > wanted:
            raise NotEnoughWanted(f"Only {wanted} of “{item.title}” still wanted; you asked for {quantity}.")
        return Reservation.objects.create(
            item=item,
            giver_name=giver_name.strip(),
            giver_email=giver_email.strip().lower(),
            quantity=quantity,
            expires_at=timezone.now() + timedelta(hours=settings.GRATITUDE_RESERVATION_HOURS),
        )


def gift_mark_received(*, gift: Gift, received: bool = True) -> Gift:
    """Mark a gift as arrived (or undo the mark). The caller has checked the person is a member."""
    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift.pk)
        gift.received_at = (gift.received_at or timezone.now()) if received else None
        gift.save(update_fields=["received_at"])
    return gift
