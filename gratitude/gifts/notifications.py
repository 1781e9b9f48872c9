"""The gifts domain's mail, the `gift_alert`, `gift_receipt`, `reservation_link`, `reservation_reminder` and
`reservation_released` kinds: who may receive it, how many may, what it says, its outbox writes and its
preview samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from gratitude.accounts.notifications import sample_address, sample_person
from gratitude.core.links import site_url
from gratitude.gifts import conf as gifts_conf
from gratitude.notifications import conf as notifications_conf
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import Category, Kind, Pacing, one_recipient, register
from gratitude.notifications.outbox.refusals import Refusal
from gratitude.notifications.outbox.writes import Trigger, outbox_write
from gratitude.registries.notifications import sample_wedding

if TYPE_CHECKING:
    from gratitude.accounts.models import User
    from gratitude.gifts.models import Gift, Reservation
    from gratitude.registries.models import Item


def gift_alert_provenance(row: Notification) -> Refusal | None:
    """The gift exists, is active, and the recipient is an alert-enabled member of its registry now."""
    from gratitude.gifts.models import GiftState
    from gratitude.registries.membership import departures_since, member_for
    from gratitude.registries.models import AlertPreference

    gift = row.gift
    if gift is None:
        return Refusal("no_gift", breach=True)
    if row.registry_id != gift.registry_id:
        return Refusal("registry_mismatch", breach=True)
    if gift.state != GiftState.ACTIVE:
        return Refusal("gift_cancelled")
    member = member_for(registry_id=gift.registry_id, user_id=row.recipient_id)
    if member is None:
        # Someone who left after the row was written is a normal change; anyone else never belonged.
        left_since = departures_since(
            registry_id=gift.registry_id, since=row.created_at, user_id=row.recipient_id
        )
        return Refusal("member_left") if left_since else Refusal("not_a_member", breach=True)
    if member.alerts == AlertPreference.OFF:
        return Refusal("alerts_off")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    if not row.recipient.email_verified:
        return Refusal("email_unverified")
    return None


def gift_alert_recipients_per_trigger(row: Notification) -> int:
    """Everyone who is, or was since the gift, a member of the gift's registry."""
    from gratitude.registries.membership import departures_since, member_count

    if row.gift is None:
        return 0
    registry_id = row.gift.registry_id
    return member_count(registry_id=registry_id) + departures_since(
        registry_id=registry_id, since=row.gift.created_at
    )


@dataclass(frozen=True)
class GiftAlertLine:
    """One gift as the alert tells it; for a contribution to a group gift, also how much of the item's
    price was covered once it came in (`covered`, `price`)."""

    gift: Gift
    covered: Decimal | None = None
    price: Decimal | None = None


def _alert_lines(gifts: list[Gift]) -> list[GiftAlertLine]:
    """Each contribution with the item's progress as it stood once that contribution came in (the active
    contributions up to and including it), so a digest of two reads "120 of 300", then "180 of 300"."""
    from gratitude.gifts.models import Gift, GiftState

    item_ids = {gift.item_id for gift in gifts if gift.amount is not None}
    if not item_ids:
        return [GiftAlertLine(gift=gift) for gift in gifts]
    running: dict[int, Decimal] = {}
    covered_after: dict[int, Decimal] = {}
    contributions = (
        Gift.objects.filter(item_id__in=item_ids, state=GiftState.ACTIVE, amount__isnull=False)
        .order_by("item_id", "pk")
        .values_list("item_id", "pk", "amount")
    )
    for item_id, pk, amount in contributions:
        running[item_id] = running.get(item_id, Decimal("0")) + (amount or Decimal("0"))
        covered_after[pk] = running[item_id]
    return [
        GiftAlertLine(gift=gift, covered=covered_after.get(gift.pk), price=gift.item.price)
        if gift.amount is not None
        else GiftAlertLine(gift=gift)
        for gift in gifts
    ]


def gift_alert_context(rows: list[Notification]) -> dict[str, Any]:
    gifts = [row.gift for row in rows if row.gift is not None]
    assert len(gifts) == len(rows)  # provenance has checked every row before rendering
    registry = gifts[0].registry
    # "Covered only": the alert must not reveal what or by whom, as the list itself does not, until the
    # reveal date the registrants chose (or their event date). A contribution's amount and the item's
    # progress would tell which item (and often who), so they are held back too.
    hide_details = registry.hides_gift_details()
    return {
        "registry": registry,
        "gifts": gifts,
        "lines": [] if hide_details else _alert_lines(gifts),
        "first_recorded": min(gift.created_at for gift in gifts),
        "hide_details": hide_details,
        "thank_you_list_url": site_url("thanks:list", registry.pk),
    }


# --- Mail a giver asked for: a receipt, and a reminder before a hold lapses (docs/registries.md) -------


def _trigger_id(trigger_type: str, row: Notification) -> int | None:
    """The id of the row's trigger if it is a `trigger_type` ("gift", "reservation"), else None."""
    return row.trigger_id if row.trigger_type == trigger_type else None


def gift_receipt_provenance(row: Notification) -> Refusal | None:
    """The gift exists, is the one the row's trigger names, and its giver asked for a receipt at this
    account."""
    from gratitude.gifts.models import GiftState

    gift = row.gift
    if gift is None or _trigger_id("gift", row) != gift.pk:
        return Refusal("no_gift", breach=True)
    if row.registry_id != gift.registry_id:
        return Refusal("registry_mismatch", breach=True)
    if gift.receipt_to_id is None or gift.receipt_to_id != row.recipient_id:
        return Refusal("not_requested", breach=True)
    if gift.state != GiftState.ACTIVE:
        return Refusal("gift_cancelled")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    return None


def gift_receipt_context(rows: list[Notification]) -> dict[str, Any]:
    from gratitude.registries.models import Visibility

    gift = rows[0].gift
    assert gift is not None  # provenance has checked the row before rendering
    registry = gift.registry
    shared = registry.visibility != Visibility.PRIVATE and registry.archived_at is None
    return {
        "gift": gift,
        "registry": registry,
        "giver_name": gift.giver_name,
        "shared_address": bool(gift.giver_address),
        "list_url": site_url("gifts:shared_registry", registry.share_key) if shared else "",
    }


def reservation_reminder_due_at(reservation: Reservation) -> datetime:
    """Shortly before the hold lapses (GRATITUDE_RESERVATION_REMINDER_HOURS, 12), or now if that is past."""
    lead = timedelta(hours=gifts_conf.reservation_reminder_hours())
    return max(reservation.expires_at - lead, timezone.now())


# --- Either message about a hold (a reminder, a release notice): what both check and say first --------


def _hold_named_in(row: Notification) -> Reservation | None:
    """The hold the row's trigger names, with its item and registry."""
    from gratitude.gifts.models import Reservation

    reservation_id = _trigger_id("reservation", row)
    if reservation_id is None:
        return None
    return Reservation.objects.select_related("item__registry").filter(pk=reservation_id).first()


def _requested_hold(row: Notification) -> Reservation | Refusal:
    """The hold the row's trigger names, if it is filed under the hold's registry and the giver asked for mail
    about the hold at the row's recipient; otherwise the breach that says why not.

    Both kinds about a hold (`reservation_reminder`, `reservation_released`) require this before their own
    checks: only gifts.services writes their rows, so any mismatch here is a forged or mis-written row.
    """
    reservation = _hold_named_in(row)
    if reservation is None or row.gift_id is not None:
        return Refusal("no_reservation", breach=True)
    if row.registry_id != reservation.item.registry_id:
        return Refusal("registry_mismatch", breach=True)
    if reservation.reminder_to_id is None or reservation.reminder_to_id != row.recipient_id:
        return Refusal("not_requested", breach=True)
    return reservation


def _hold_context(rows: list[Notification]) -> dict[str, Any]:
    """What any message about a hold names: the hold, its item and registry, and the giver."""
    reservation = _hold_named_in(rows[0])
    assert reservation is not None  # provenance has checked the row before rendering
    return {
        "reservation": reservation,
        "item": reservation.item,
        "registry": reservation.item.registry,
        "giver_name": reservation.giver_name,
    }


def reservation_reminder_provenance(row: Notification) -> Refusal | None:
    """The hold exists, its giver asked to be reminded at this account, and it is still held, not lapsed."""
    from gratitude.gifts.models import ReservationState

    reservation = _requested_hold(row)
    if isinstance(reservation, Refusal):
        return reservation
    if reservation.state == ReservationState.RELEASED:
        return Refusal("reservation_released")
    if reservation.state == ReservationState.FULFILLED:
        return Refusal("reservation_fulfilled")
    if not reservation.is_current():
        return Refusal("reservation_lapsed")
    if reservation.item.registry.archived_at is not None:
        return Refusal("registry_archived")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    return None


def reservation_reminder_context(rows: list[Notification]) -> dict[str, Any]:
    context = _hold_context(rows)
    reservation, registry = context["reservation"], context["registry"]
    # The hold's end on the registrants' clock, named, as on the giver's pages (docs/registries.md).
    ends = localtime(reservation.expires_at, ZoneInfo(registry.time_zone))
    return {
        **context,
        "hold_url": site_url("gifts:reservation", reservation.token),
        "hold_ends": date_format(ends, "j F Y \\a\\t H:i T"),
    }


# --- A hold released because the registry stepped back (paused, or its owner in quiet mode) ---------


def reservation_released_provenance(row: Notification) -> Refusal | None:
    """The hold exists, its giver asked for mail about it at this account, and it was released when the
    registry stepped back (not by the giver, not before): only gifts.services writes such a release."""
    from gratitude.gifts.models import ReleasedBy, ReservationState
    from gratitude.gifts.services import registry_stepped_back_since

    reservation = _requested_hold(row)
    if isinstance(reservation, Refusal):
        return reservation
    if reservation.state != ReservationState.RELEASED or reservation.ended_at is None:
        return Refusal("not_released", breach=True)
    if reservation.released_by != ReleasedBy.STEP_BACK:
        # Released by the giver, who needs no notice of their own act: no service writes this row then.
        return Refusal("released_by_giver", breach=True)
    if registry_stepped_back_since(registry=reservation.item.registry) is None:
        # Resumed before this went out: the hold is gone either way, but the registry is open again and
        # the giver can simply find it; a notice about a pause that is over would only confuse. (Stepped
        # back again since, say paused after quiet mode ended, the notice is as true as when written.)
        return Refusal("registry_resumed")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    return None


def reservation_released_context(rows: list[Notification]) -> dict[str, Any]:
    # Deliberately no link: the list is not open now, and the message asks nothing of the giver.
    return _hold_context(rows)


# --- The hold's own page, mailed to the address the giver left with it ---------------------------------


def reservation_link_provenance(row: Notification) -> Refusal | None:
    """The hold the row's trigger names exists, under the row's registry, was left with the row's recipient's
    address, and is still held: a link to a hold that ended would only confuse."""
    from gratitude.accounts.models import normalize_email_address

    reservation = _hold_named_in(row)
    if reservation is None or row.gift_id is not None:
        return Refusal("no_reservation", breach=True)
    if row.registry_id != reservation.item.registry_id:
        return Refusal("registry_mismatch", breach=True)
    if normalize_email_address(reservation.giver_email) != normalize_email_address(row.recipient.email):
        return Refusal("not_the_givers_address", breach=True)
    if not reservation.is_current():
        return Refusal("reservation_ended")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    return None


def reservation_link_context(rows: list[Notification]) -> dict[str, Any]:
    context = _hold_context(rows)
    return {**context, "hold_url": site_url("gifts:reservation", context["reservation"].token)}


# --- The outbox writes (only gifts.services calls these, in the event's transaction) --------------------


def gift_alerts_enqueue(*, gift: Gift, except_user: User | None = None) -> list[Notification]:
    """One gift-alert intent per alert-enabled member of the gift's registry. The recipients come from
    the registry, never from the caller; the caller may only leave one out: `except_user`, the member who
    recorded the gift by hand, is not told about their own act (the others still are)."""
    from gratitude.registries.models import AlertPreference, RegistryMember

    members = RegistryMember.objects.filter(registry_id=gift.registry_id).exclude(alerts=AlertPreference.OFF)
    if except_user is not None:
        members = members.exclude(user_id=except_user.pk)
    return outbox_write(
        kind=GIFT_ALERT.name,
        trigger=Trigger(type="gift", id=gift.pk),
        recipients=list(members.order_by("pk").values_list("user_id", flat=True)),
        key=lambda user_id: f"gift_alert:gift:{gift.pk}:user:{user_id}",
        due_at=timezone.now() + timedelta(seconds=notifications_conf.alert_settle_seconds()),
        gift_id=gift.pk,
        registry_id=gift.registry_id,
    )


def gift_receipt_enqueue(*, gift: Gift) -> Notification:
    """The giver's own request: a receipt for the gift they just recorded."""
    if gift.receipt_to_id is None:
        raise ValueError("this gift's giver asked for no receipt")
    return outbox_write(
        kind=GIFT_RECEIPT.name,
        trigger=Trigger(type="gift", id=gift.pk),
        recipients=[gift.receipt_to_id],
        key=lambda user_id: f"gift_receipt:gift:{gift.pk}",
        gift_id=gift.pk,
        registry_id=gift.registry_id,
    )[0]


def reservation_reminder_enqueue(*, reservation: Reservation) -> Notification:
    """The giver's own request: one reminder shortly before their hold lapses."""
    if reservation.reminder_to_id is None:
        raise ValueError("this reservation asked for no reminder")
    return outbox_write(
        kind=RESERVATION_REMINDER.name,
        trigger=Trigger(type="reservation", id=reservation.pk),
        recipients=[reservation.reminder_to_id],
        key=lambda user_id: f"reservation_reminder:reservation:{reservation.pk}",
        due_at=reservation_reminder_due_at(reservation),
        registry_id=reservation.item.registry_id,
    )[0]


def reservation_link_enqueue(*, reservation: Reservation, recipient: User) -> Notification:
    """The giver left an address with their hold: its page's link, at once."""
    return outbox_write(
        kind=RESERVATION_LINK.name,
        trigger=Trigger(type="reservation", id=reservation.pk),
        recipients=[recipient.pk],
        key=lambda user_id: f"reservation_link:reservation:{reservation.pk}",
        registry_id=reservation.item.registry_id,
    )[0]


def reservation_released_enqueue(*, reservation: Reservation) -> Notification:
    """The kind word to a giver whose hold was released because the registry stepped back (paused, or its
    owner in quiet mode). Only to a giver who asked for mail about their hold; once per hold."""
    if reservation.reminder_to_id is None:
        raise ValueError("this reservation's giver asked for no mail")
    return outbox_write(
        kind=RESERVATION_RELEASED.name,
        trigger=Trigger(type="reservation", id=reservation.pk),
        recipients=[reservation.reminder_to_id],
        key=lambda user_id: f"reservation_released:reservation:{reservation.pk}",
        registry_id=reservation.item.registry_id,
    )[0]


# --- Preview samples (notifications/devtools/samples.py rolls each back)
# -----------------------------------------


def _sample_item() -> Item:
    from gratitude.registries.services.items import item_add

    registry = sample_wedding(sample_person("alex.rivera", "Alex Rivera"))
    return item_add(registry=registry, title="Wooden salad bowl", quantity=2)


def sample_gift(*, send_receipt: bool = False) -> Gift:
    """A gift from Aunt Robin on the sample wedding registry (thanks' samples use it too)."""
    from gratitude.gifts.services import gift_record

    return gift_record(
        item=_sample_item(),
        giver_name="Aunt Robin",
        giver_email=sample_address("robin"),
        message="For many happy dinners.\nLove, Robin",
        send_receipt=send_receipt,
    )


def _gift_alert_sample() -> list[Notification]:
    gift = sample_gift()
    owner_id = gift.registry.members.get().user_id
    return list(Notification.objects.filter(gift=gift, recipient_id=owner_id))


def _gift_receipt_sample() -> list[Notification]:
    gift = sample_gift(send_receipt=True)
    return list(Notification.objects.filter(kind="gift_receipt", gift=gift))


def _sample_hold(kind: str, *, remind: bool) -> list[Notification]:
    from gratitude.gifts.services import reservation_create

    item = _sample_item()
    reservation_create(item=item, giver_name="Aunt Robin", giver_email=sample_address("robin"), remind=remind)
    return list(Notification.objects.filter(kind=kind, registry_id=item.registry_id))


def _reservation_reminder_sample() -> list[Notification]:
    return _sample_hold("reservation_reminder", remind=True)


def _reservation_link_sample() -> list[Notification]:
    return _sample_hold("reservation_link", remind=False)


def _reservation_released_sample() -> list[Notification]:
    from gratitude.gifts.services import reservation_create
    from gratitude.registries.services.pause import registry_pause

    item = _sample_item()
    registry = item.registry
    reservation_create(item=item, giver_name="Aunt Robin", giver_email=sample_address("robin"), remind=True)
    owner = registry.members.get().user
    registry_pause(registry=registry, by=owner)
    return list(Notification.objects.filter(kind="reservation_released", registry=registry))


# --- The kinds ------------------------------------------------------------------------------------------

GIFT_ALERT = register(
    Kind(
        name="gift_alert",
        category=Category.EVENT,
        trigger="gift",
        provenance=gift_alert_provenance,
        recipients_per_trigger=gift_alert_recipients_per_trigger,
        template="gift_alert",
        context=gift_alert_context,
        event_backed=True,
        label="a gift alert",
        sample=_gift_alert_sample,
        occasions=("registry",),
        pacing=Pacing(settles=True, coalesces=True, follows_alert_preference=True, respects_quiet_hours=True),
    )
)
# A giver asked to be reminded before their hold lapses: their own request, so never paced (a deferred
# reminder could arrive after the lapse). Written only by gifts.services.reservation_create.
RESERVATION_REMINDER = register(
    Kind(
        name="reservation_reminder",
        category=Category.TRANSACTIONAL,
        trigger="reservation",
        provenance=reservation_reminder_provenance,
        recipients_per_trigger=one_recipient,
        template="reservation_reminder",
        context=reservation_reminder_context,
        event_backed=True,
        label="a reminder about a gift you are holding",
        sample=_reservation_reminder_sample,
        occasions=("registry",),
    )
)
# A giver left an address with a hold: the hold's own page, so they can come back to it. Their own action,
# sent at once; to an address nobody confirmed it says nothing anyone typed (docs/deliverability.md).
# Written only by gifts.services.reservation_create.
RESERVATION_LINK = register(
    Kind(
        name="reservation_link",
        category=Category.TRANSACTIONAL,
        trigger="reservation",
        provenance=reservation_link_provenance,
        recipients_per_trigger=one_recipient,
        template="reservation_link",
        context=reservation_link_context,
        event_backed=True,
        label="the link to a gift you are holding",
        sample=_reservation_link_sample,
        occasions=("registry",),
    )
)
# A giver asked for a receipt of the gift they recorded. Written only by gifts.services.
GIFT_RECEIPT = register(
    Kind(
        name="gift_receipt",
        category=Category.TRANSACTIONAL,
        trigger="gift",
        provenance=gift_receipt_provenance,
        recipients_per_trigger=one_recipient,
        template="gift_receipt",
        context=gift_receipt_context,
        event_backed=True,
        label="a receipt for a gift",
        sample=_gift_receipt_sample,
        occasions=("registry",),
    )
)
# Quiet mode (docs/quiet-mode.md). A giver who asked for mail about their hold is told, once and in neutral
# words, that it was released because the registry stepped back. Written only by
# gifts.services.reservations_release_for_step_back; like the reminder, the giver's own request.
RESERVATION_RELEASED = register(
    Kind(
        name="reservation_released",
        category=Category.TRANSACTIONAL,
        trigger="reservation",
        provenance=reservation_released_provenance,
        recipients_per_trigger=one_recipient,
        template="reservation_released",
        context=reservation_released_context,
        event_backed=True,
        label="a note that a held gift was released",
        sample=_reservation_released_sample,
        occasions=("registry",),
    )
)
