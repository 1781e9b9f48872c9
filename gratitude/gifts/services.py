"""Every change to gifts and reservations. Recording a gift queues its alerts in the same transaction.

Quantities are checked with the item row locked (gratitude/registries/locks.py), so two givers racing for
the last unit cannot both get it. See docs/registries.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.accounts.services import account_for_address
from gratitude.core.errors import GratitudeError, NotEnoughWanted, PermissionDenied, refuse_links
from gratitude.gifts import conf
from gratitude.gifts.models import (
    Gift,
    GiftBought,
    GiftRemoval,
    GiftSource,
    GiftState,
    ReleasedBy,
    Reservation,
    ReservationState,
)
from gratitude.registries.locks import lock_item, lock_items
from gratitude.registries.models import Item, MemberRole, Registry, RegistryMember
from gratitude.registries.selectors import ItemAvailability, item_availability
from gratitude.registries.services.items import check_quantity, item_add_off_list

# Sources that take an item off the wanted list; a registrant's hand-recorded gift may exceed it.
_FROM_THE_LIST = {GiftSource.GUEST, GiftSource.API, GiftSource.STORE}

MAX_NAME = 120
MAX_MESSAGE = 2000
MAX_ADDRESS = 500
MAX_SIMILAR_NOTE = 200
# Mail to a giver only goes where the giver asked, but anyone can type any address into a form: at most
# this many giver messages (receipts, reminders) to one address a day, whoever typed it.
GIVER_MAILS_PER_ADDRESS_PER_DAY = 5
GIVER_MAIL_KINDS = ("gift_receipt", "reservation_link", "reservation_reminder")
# What a giver is told about a registry that stepped back (paused, or its owner in quiet mode): neutral
# words, no reason, nothing asked of them (docs/quiet-mode.md).
STEPPED_BACK = "This registry isn't taking gifts right now. There is nothing you need to do."


def _check_giver(giver_name: str, giver_email: str) -> None:
    if not giver_name.strip():
        raise GratitudeError("please say who the gift is from", field="giver_name")
    if len(giver_name.strip()) > MAX_NAME:
        raise GratitudeError(f"at most {MAX_NAME} characters", field="giver_name")
    # A giver's words reach the registrants' mail, which we sign: no links in them (docs/safety.md
    # promise 16). The services refuse, so forms, the API and store webhooks all obey.
    refuse_links(field="giver_name", text=giver_name, what="A name")
    if giver_email:
        try:
            validate_email(giver_email.strip())
        except ValidationError as exc:
            raise GratitudeError("enter a valid email address", field="giver_email") from exc


def _check_words(*, message: str, giver_address: str) -> None:
    if len(message.strip()) > MAX_MESSAGE:
        raise GratitudeError(f"at most {MAX_MESSAGE:,} characters, please", field="message")
    if len(giver_address.strip()) > MAX_ADDRESS:
        raise GratitudeError(f"at most {MAX_ADDRESS} characters", field="giver_address")
    refuse_links(field="message", text=message, what="A gift message")
    refuse_links(field="giver_address", text=giver_address, what="A mailing address")


def _check_bought(bought: str, similar_note: str) -> None:
    if bought not in GiftBought.values:
        raise GratitudeError(f"choose one of {', '.join(GiftBought.values)}", field="bought")
    if similar_note.strip() and bought != GiftBought.SIMILAR:
        raise GratitudeError("only for something similar", field="similar_note")
    if len(similar_note.strip()) > MAX_SIMILAR_NOTE:
        raise GratitudeError(f"at most {MAX_SIMILAR_NOTE} characters", field="similar_note")
    # A giver's words like any other: whatever the message must obey, this must too.
    refuse_links(field="similar_note", text=similar_note, what="A note on what you bought")


def _check_on_the_list(item: Item) -> None:
    if item.registry.archived_at is not None:
        raise GratitudeError("This registry is closed and no longer takes gifts.")
    if item.archived_at is not None or item.off_list:
        raise GratitudeError(f"“{item.title}” is no longer on the list.")


def _not_enough(item: Item, wanted: int, quantity: int) -> NotEnoughWanted:
    return NotEnoughWanted(f"Only {wanted} of “{item.title}” still wanted; you asked for {quantity}.")


def _giver_account_for_mail(*, giver_email: str) -> User | None:
    """The account a giver's requested mail goes to, or None if this address has had enough mail today."""
    from gratitude.notifications.models import Notification

    account = account_for_address(email=giver_email)
    recent = Notification.objects.filter(
        recipient=account,
        kind__in=GIVER_MAIL_KINDS,
        created_at__gte=timezone.now() - timedelta(days=1),
    ).count()
    return account if recent < GIVER_MAILS_PER_ADDRESS_PER_DAY else None


def _create_gift(
    *,
    item: Item,
    giver_name: str,
    giver_email: str,
    message: str,
    quantity: int,
    source: str,
    giver_address: str,
    send_receipt: bool,
    amount: Decimal | None = None,
    reservation: Reservation | None = None,
    recorded_by: User | None = None,
    bought: str = GiftBought.AS_LISTED,
    similar_note: str = "",
) -> Gift:
    """Write the gift, its alerts and, if the giver asked, their receipt. The caller holds the item lock."""
    from gratitude.gifts.notifications import gift_alerts_enqueue, gift_receipt_enqueue
    from gratitude.notifications.sending.quiet_mode import suppress_queued

    email = giver_email.strip().lower()
    receipt_to = None
    if send_receipt and email:
        receipt_to = _giver_account_for_mail(giver_email=email)
    gift = Gift.objects.create(
        registry_id=item.registry_id,
        item=item,
        giver_name=giver_name.strip(),
        giver_email=email,
        giver_address=giver_address.strip(),
        message=message.strip(),
        quantity=quantity,
        source=source,
        bought=bought,
        similar_note=similar_note.strip(),
        amount=amount,
        reservation=reservation,
        recorded_by=recorded_by,
        receipt_to=receipt_to,
    )
    # A registrant who records a gift by hand is not alerted about what they just did; the other
    # members are, as for any gift (docs/registries.md).
    gift_alerts_enqueue(gift=gift, except_user=recorded_by)
    if receipt_to is not None:
        gift_receipt_enqueue(gift=gift)
    # A gift on a paused registry, or for someone in quiet mode, lands on the Thank You List silently: its
    # alerts are written (so the outbox says why none went) and cancelled at once (docs/quiet-mode.md).
    suppress_queued(gift=gift)
    return gift


def gift_record(
    *,
    item: Item,
    giver_name: str,
    giver_email: str = "",
    message: str = "",
    quantity: int = 1,
    source: str = GiftSource.GUEST,
    giver_address: str = "",
    send_receipt: bool = False,
    bought: str = GiftBought.AS_LISTED,
    similar_note: str = "",
) -> Gift:
    """Record a gift and, in the same transaction, one gift-alert intent per alert-enabled member.

    `bought` says whether the giver bought the item as listed, the same item elsewhere, or something similar
    (with `similar_note`, their words for it): each covers the item and lands on the Thank You List.

    `giver_address` is the giver's mailing address for the thank-you note, given only with their explicit
    consent (the form asks); `send_receipt` mails them a receipt if they gave an address to send it to.
    """
    check_quantity(quantity)
    _check_giver(giver_name, giver_email)
    _check_words(message=message, giver_address=giver_address)
    _check_bought(bought, similar_note)
    if source not in GiftSource.values:
        raise GratitudeError(f"choose one of {', '.join(GiftSource.values)}", field="source")
    with transaction.atomic():
        item = lock_item(item.pk)
        if source in _FROM_THE_LIST:
            _check_on_the_list(item)
            if item.group_gift:
                raise GratitudeError(f"“{item.title}” is a group gift: contribute toward it instead.")
            wanted = item_availability(item=item).still_wanted
            if quantity > wanted:
                raise _not_enough(item, wanted, quantity)
        return _create_gift(
            item=item,
            giver_name=giver_name,
            giver_email=giver_email,
            message=message,
            quantity=quantity,
            source=source,
            giver_address=giver_address,
            send_receipt=send_receipt,
            bought=bought,
            similar_note=similar_note,
        )


def _parse_amount(amount: Decimal | str | int) -> Decimal:
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise GratitudeError("enter an amount like 25 or 25.50", field="amount") from exc
    if not value.is_finite() or value <= 0:
        raise GratitudeError("must be more than zero", field="amount")
    if value != value.quantize(Decimal("0.01")):
        raise GratitudeError("at most two decimal places", field="amount")
    return value


def gift_contribute(
    *,
    item: Item,
    giver_name: str,
    amount: Decimal,
    giver_email: str = "",
    message: str = "",
    giver_address: str = "",
    send_receipt: bool = False,
) -> Gift:
    """A contribution toward a group gift: a gift on the Thank You List, with its amount."""
    value = _parse_amount(amount)
    _check_giver(giver_name, giver_email)
    _check_words(message=message, giver_address=giver_address)
    with transaction.atomic():
        item = lock_item(item.pk)
        _check_on_the_list(item)
        if not item.group_gift:
            raise GratitudeError(f"“{item.title}” is not a group gift.")
        needed = item_availability(item=item).still_needed
        if value > needed:
            raise NotEnoughWanted(
                f"Only {needed} {item.currency} of “{item.title}” is still needed; you offered {value}."
            )
        return _create_gift(
            item=item,
            giver_name=giver_name,
            giver_email=giver_email,
            message=message,
            quantity=1,
            source=GiftSource.GUEST,
            giver_address=giver_address,
            send_receipt=send_receipt,
            amount=value,
        )


def gift_record_by_hand(
    *,
    registry: Registry,
    by: User,
    giver_name: str,
    item: Item | None = None,
    description: str = "",
    quantity: int = 1,
    message: str = "",
    giver_email: str = "",
    giver_address: str = "",
    amount: Decimal | None = None,
    received: bool = True,
) -> Gift:
    """A registrant records a gift themselves: for an item on the list, or one that came off-registry.

    Gifts recorded by hand may go beyond what the list wanted (the gift has already arrived).
    """
    check_quantity(quantity)
    _check_giver(giver_name, giver_email)
    _check_words(message=message, giver_address=giver_address)
    value = _parse_amount(amount) if amount is not None else None
    if item is None and not description.strip():
        raise GratitudeError("say what the gift was", field="description")
    refuse_links(field="description", text=description, what="A gift's description")
    with transaction.atomic():
        if not RegistryMember.objects.filter(registry_id=registry.pk, user_id=by.pk).exists():
            raise PermissionDenied("Only the registry's members may record gifts on it.")
        if registry.archived_at is not None:
            raise GratitudeError("This registry is archived: its owner can reopen it to make changes.")
        if item is None:
            item = item_add_off_list(registry=registry, title=description, quantity=quantity)
        elif item.registry_id != registry.pk:
            raise GratitudeError("that item is not on this registry", field="item")
        item = lock_item(item.pk)
        if value is not None and not item.group_gift:
            raise GratitudeError("only a group gift takes an amount", field="amount")
        if value is not None:
            quantity = 1
        gift = _create_gift(
            item=item,
            giver_name=giver_name,
            giver_email=giver_email,
            message=message,
            quantity=quantity,
            source=GiftSource.REGISTRANT,
            giver_address=giver_address,
            send_receipt=False,
            amount=value,
            recorded_by=by,
        )
        if received:
            gift.received_at = gift.created_at
            gift.save(update_fields=["received_at"])
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


# Who may take a gift off the Thank You List: the registrants themselves, as for the registry's settings; a
# delegate helps run the registry but does not decide what its owners were given.
REMOVE_ROLES = frozenset({MemberRole.OWNER, MemberRole.CO_REGISTRANT})
MAX_REMOVAL_REASON = 200


def gift_remove(*, gift: Gift, by: User, reason: str = "") -> GiftRemoval:
    """A registrant takes a gift off the Thank You List: one they never got (a stranger recorded it on a
    public registry), or a mistake. The gift is cancelled, so it leaves the list and the item is wanted
    again; nobody is told (its queued alert or receipt is refused at send time as `gift_cancelled`); who
    removed it, when and why is recorded (`GiftRemoval`)."""
    if len(reason.strip()) > MAX_REMOVAL_REASON:
        raise GratitudeError(f"at most {MAX_REMOVAL_REASON} characters", field="reason")
    with transaction.atomic():
        # Item first, then the gift: the order gift_record and reservation_fulfil lock in.
        lock_item(gift.item_id)
        locked = Gift.objects.select_for_update().get(pk=gift.pk)
        member = RegistryMember.objects.filter(registry_id=locked.registry_id, user_id=by.pk).first()
        if member is None or member.role not in REMOVE_ROLES:
            raise PermissionDenied("Only the registry's owner and co-registrants may remove a gift.")
        if locked.state != GiftState.ACTIVE:
            raise GratitudeError("This gift was already removed.")
        locked.state = GiftState.CANCELLED
        locked.cancel_reason = "removed by a registrant"
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["state", "cancel_reason", "cancelled_at"])
        return GiftRemoval.objects.create(gift=locked, by=by, reason=reason.strip())


def gift_mark_received(*, gift: Gift, received: bool = True) -> Gift:
    """Mark a gift as arrived (or undo the mark). The caller has checked the person is a member."""
    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift.pk)
        gift.received_at = (gift.received_at or timezone.now()) if received else None
        gift.save(update_fields=["received_at"])
    return gift


# --- Reservations ------------------------------------------------------------------------------


def reservation_create(
    *,
    item: Item,
    giver_name: str,
    giver_email: str = "",
    quantity: int = 1,
    remind: bool = False,
) -> Reservation:
    """Hold `quantity` of an item for a giver; raise NotEnoughWanted when fewer are still wanted.

    The hold lapses by itself after GRATITUDE_RESERVATION_HOURS. With an address, the giver is mailed the
    hold's own page at once (`reservation_link`); with `remind` too, one reminder shortly before it lapses.
    Both are their own request, so transactional, and both count against the address's giver mail.
    """
    from gratitude.gifts.notifications import reservation_link_enqueue, reservation_reminder_enqueue

    check_quantity(quantity)
    _check_giver(giver_name, giver_email)
    if remind and not giver_email.strip():
        raise GratitudeError("give an address for the reminder", field="giver_email")
    with transaction.atomic():
        item = lock_item(item.pk)
        _check_on_the_list(item)
        if registry_stepped_back_since(registry=item.registry) is not None:
            # Its holds were all released when it stepped back; a new one would only wait in vain.
            raise GratitudeError(STEPPED_BACK)
        if item.group_gift:
            raise GratitudeError(f"“{item.title}” is a group gift: contribute toward it instead.")
        wanted = item_availability(item=item).still_wanted
        if quantity > wanted:
            raise _not_enough(item, wanted, quantity)
        email = giver_email.strip().lower()
        expires_at = timezone.now() + timedelta(hours=conf.reservation_hours())
        reminder_to = _giver_account_for_mail(giver_email=email) if remind else None
        reservation = Reservation.objects.create(
            item=item,
            giver_name=giver_name.strip(),
            giver_email=email,
            quantity=quantity,
            expires_at=expires_at,
            reminder_to=reminder_to,
        )
        link_to = _giver_account_for_mail(giver_email=email) if email else None
        if link_to is not None:
            reservation_link_enqueue(reservation=reservation, recipient=link_to)
        if reminder_to is not None:
            reservation_reminder_enqueue(reservation=reservation)
        return reservation


def reservation_release(*, reservation: Reservation) -> Reservation:
    """The giver lets go of their hold; the units are wanted again at once. Idempotent."""
    with transaction.atomic():
        lock_item(reservation.item_id)
        locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
        if locked.state == ReservationState.FULFILLED:
            raise GratitudeError("This hold became a gift already; it cannot be released.")
        if locked.state == ReservationState.HELD:
            locked.state = ReservationState.RELEASED
            locked.ended_at = timezone.now()
            locked.released_by = ReleasedBy.GIVER
            locked.save(update_fields=["state", "ended_at", "released_by"])
    return locked


def _wanted_besides(availability: ItemAvailability, reservation: Reservation) -> int:
    """What is still wanted if this giver's own current hold is counted as theirs to use."""
    own = reservation.quantity if reservation.is_current() else 0
    held_by_others = availability.reserved - own
    return max(availability.item.quantity - availability.given - held_by_others, 0)


def reservation_fulfil(
    *,
    reservation: Reservation,
    message: str = "",
    giver_address: str = "",
    send_receipt: bool = False,
    bought: str = GiftBought.AS_LISTED,
    similar_note: str = "",
) -> Gift:
    """The giver bought what they reserved (or, with `bought`, the same elsewhere or something similar):
    record the gift and end the hold, in one transaction.

    A hold that lapsed still becomes a gift if enough are still wanted; otherwise the giver is told.
    """
    _check_words(message=message, giver_address=giver_address)
    _check_bought(bought, similar_note)
    with transaction.atomic():
        # Item first, then the reservation: the same order as reservation_release.
        item = lock_item(reservation.item_id)
        locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
        if locked.state == ReservationState.FULFILLED:
            raise GratitudeError("You already recorded this gift. Thank you!")
        if locked.state == ReservationState.RELEASED:
            if registry_stepped_back_since(registry=item.registry) is not None:
                raise GratitudeError(STEPPED_BACK)
            raise GratitudeError("This hold is no longer active. Open the list to give something.")
        _check_on_the_list(item)
        wanted = _wanted_besides(item_availability(item=item), locked)
        if locked.quantity > wanted:
            raise _not_enough(item, wanted, locked.quantity)
        locked.state = ReservationState.FULFILLED
        locked.ended_at = timezone.now()
        locked.save(update_fields=["state", "ended_at"])
        return _create_gift(
            item=item,
            giver_name=locked.giver_name,
            giver_email=locked.giver_email,
            message=message,
            quantity=locked.quantity,
            source=GiftSource.GUEST,
            giver_address=giver_address,
            send_receipt=send_receipt,
            reservation=locked,
            bought=bought,
            similar_note=similar_note,
        )


def registry_stepped_back_since(*, registry: Registry) -> datetime | None:
    """When the registry stepped back (paused, or an owner in quiet mode), or None while it has not: the
    moment givers stop seeing it and its holds are released (docs/quiet-mode.md)."""
    quiet_owners = RegistryMember.objects.filter(
        registry_id=registry.pk, role=MemberRole.OWNER, user__quiet_since__isnull=False
    ).values_list("user__quiet_since", flat=True)
    times = [when for when in [registry.paused_at, *quiet_owners] if when is not None]
    return min(times) if times else None


def reservations_release_for_owner_quiet(*, user: User) -> None:
    """Release the holds on every registry `user` owns, as their quiet mode comes on (inside
    `quiet_mode_enable`'s transaction, through accounts' `quiet_mode_enabled` signal)."""
    owned = Registry.objects.filter(members__user=user, members__role=MemberRole.OWNER).order_by("pk")
    for registry in owned:
        reservations_release_for_step_back(registry=registry)


def reservations_release_for_step_back(*, registry: Registry) -> list[Reservation]:
    """Release every hold on a registry that stepped back (paused, or its owner in quiet mode): the
    registrants asked for quiet, and a giver should not keep waiting on a list they can no longer open.

    Givers who asked for mail about their hold are told, once, in neutral words (`reservation_released`);
    the others simply find the hold ended. Called by registry_pause, and for quiet_mode_enable by
    `reservations_release_for_owner_quiet`, inside their transaction; idempotent. Returns the holds it
    released.
    """
    from gratitude.gifts.notifications import reservation_released_enqueue

    if registry_stepped_back_since(registry=registry) is None:
        raise GratitudeError("Only the holds of a paused or quiet registry are released this way.")
    with transaction.atomic():
        held = Reservation.objects.filter(item__registry_id=registry.pk, state=ReservationState.HELD)
        # Items first, then reservations, both in primary-key order: the order reservation_release uses.
        lock_items(sorted(set(held.values_list("item_id", flat=True))))
        released = list(held.select_for_update().order_by("pk"))
        now = timezone.now()
        for reservation in released:
            # A hold that already lapsed no longer stood between the giver and anything: nothing to say.
            was_current = reservation.is_current()
            reservation.state = ReservationState.RELEASED
            reservation.ended_at = now
            reservation.released_by = ReleasedBy.STEP_BACK
            reservation.save(update_fields=["state", "ended_at", "released_by"])
            if was_current and reservation.reminder_to_id is not None:
                reservation_released_enqueue(reservation=reservation)
    return released
