"""What the gifts domain's mail needs from it: who may receive it, how many may, and what it says.

Declared as the `gift_alert`, `gift_receipt`, `reservation_link`, `reservation_reminder` and
`reservation_released` kinds in gratitude/notifications/kinds.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from gratitude.core.links import site_url
from gratitude.notifications.models import Notification
from gratitude.notifications.refusals import Refusal

if TYPE_CHECKING:
    from gratitude.gifts.models import Gift, Reservation


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

_RECEIPT_KEY = re.compile(r"^gift_receipt:gift:(\d+)$")
_REMINDER_KEY = re.compile(r"^reservation_reminder:reservation:(\d+)$")
# The hold's own page, mailed when the giver leaves an address with the hold (below).
_LINK_KEY = re.compile(r"^reservation_link:reservation:(\d+)$")
# Written for a hold released because the registry stepped back (below).
_RELEASED_KEY = re.compile(r"^reservation_released:reservation:(\d+)$")


def _id_in_key(pattern: re.Pattern[str], row: Notification) -> int | None:
    match = pattern.match(row.idempotency_key)
    return int(match.group(1)) if match else None


def gift_receipt_provenance(row: Notification) -> Refusal | None:
    """The gift exists, is the one the row's key names, and its giver asked for a receipt at this account."""
    from gratitude.gifts.models import GiftState

    gift = row.gift
    if gift is None or _id_in_key(_RECEIPT_KEY, row) != gift.pk:
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
    lead = timedelta(hours=settings.GRATITUDE_RESERVATION_REMINDER_HOURS)
    return max(reservation.expires_at - lead, timezone.now())


# --- Either message about a hold (a reminder, a release notice): what both check and say first --------


def _hold_named_in(pattern: re.Pattern[str], row: Notification) -> Reservation | None:
    """The hold the row's key names, by `pattern` (the kind's own key), with its item and registry."""
    from gratitude.gifts.models import Reservation

    reservation_id = _id_in_key(pattern, row)
    if reservation_id is None:
        return None
    return Reservation.objects.select_related("item__registry").filter(pk=reservation_id).first()


def _requested_hold(pattern: re.Pattern[str], row: Notification) -> Reservation | Refusal:
    """The hold the row's key names, if it is filed under the hold's registry and the giver asked for mail
    about the hold at the row's recipient; otherwise the breach that says why not.

    Both kinds about a hold (`reservation_reminder`, `reservation_released`) require this before their own
    checks: only gifts.services writes their rows, so any mismatch here is a forged or mis-written row.
    """
    reservation = _hold_named_in(pattern, row)
    if reservation is None or row.gift_id is not None:
        return Refusal("no_reservation", breach=True)
    if row.registry_id != reservation.item.registry_id:
        return Refusal("registry_mismatch", breach=True)
    if reservation.reminder_to_id is None or reservation.reminder_to_id != row.recipient_id:
        return Refusal("not_requested", breach=True)
    return reservation


def _hold_context(pattern: re.Pattern[str], rows: list[Notification]) -> dict[str, Any]:
    """What any message about a hold names: the hold, its item and registry, and the giver."""
    reservation = _hold_named_in(pattern, rows[0])
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

    reservation = _requested_hold(_REMINDER_KEY, row)
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
    context = _hold_context(_REMINDER_KEY, rows)
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

    reservation = _requested_hold(_RELEASED_KEY, row)
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
    return _hold_context(_RELEASED_KEY, rows)


# --- The hold's own page, mailed to the address the giver left with it ---------------------------------


def reservation_link_provenance(row: Notification) -> Refusal | None:
    """The hold the row's key names exists, under the row's registry, was left with the row's recipient's
    address, and is still held: a link to a hold that ended would only confuse."""
    from gratitude.accounts.models import normalize_email_address

    reservation = _hold_named_in(_LINK_KEY, row)
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
    context = _hold_context(_LINK_KEY, rows)
    return {**context, "hold_url": site_url("gifts:reservation", context["reservation"].token)}
