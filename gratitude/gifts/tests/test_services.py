"""Gift and reservation services: what is still wanted, who is alerted, and cancelling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, NotEnoughWanted, PermissionDenied
from gratitude.gifts.models import Gift, Reservation
from gratitude.gifts.services import (
    GIVER_MAILS_PER_ADDRESS_PER_DAY,
    gift_cancel,
    gift_contribute,
    gift_mark_received,
    gift_record,
    gift_record_by_hand,
    reservation_create,
    reservation_fulfil,
    reservation_release,
)
from gratitude.notifications.models import Notification
from gratitude.registries.selectors import item_availability, items_with_availability
from gratitude.registries.services.items import item_archive
from gratitude.registries.services.lifecycle import registry_archive
from gratitude.registries.services.members import registry_member_add, registry_member_set_alerts
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


# --- gift_record and its alerts --------------------------------------------------------------


def test_gift_record_writes_one_alert_per_alert_enabled_member_and_none_for_alerts_off():
    owner = make_user()
    registry = make_registry(owner=owner)
    digest_partner = make_user()
    registry_member_set_alerts(
        member=registry_member_add(registry=registry, user=digest_partner), alerts="digest"
    )
    quiet_partner = make_user()
    registry_member_set_alerts(
        member=registry_member_add(registry=registry, user=quiet_partner), alerts="off"
    )
    delegate = make_user()
    registry_member_add(registry=registry, user=delegate, role="delegate")
    outsider = make_user()
    make_registry(owner=outsider)

    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")

    rows = Notification.objects.filter(gift=gift)
    assert sorted(row.recipient_id for row in rows) == sorted([owner.pk, digest_partner.pk])
    assert Notification.objects.count() == 2
    assert {row.kind for row in rows} == {"gift_alert"}
    assert {row.registry_id for row in rows} == {registry.pk}
    assert {row.state for row in rows} == {"pending"}


def test_gift_alert_idempotency_keys_and_references_are_unique_across_gifts():
    registry = make_registry()
    registry_member_add(registry=registry, user=make_user())
    item = make_item(registry=registry)

    make_gift(item=item)
    make_gift(item=item)

    rows = list(Notification.objects.all())
    assert len(rows) == 4
    assert len({row.idempotency_key for row in rows}) == 4
    assert len({row.reference for row in rows}) == 4


def test_gift_record_stores_what_the_giver_said():
    item = make_item(quantity=3)

    gift = gift_record(
        item=item,
        giver_name="  Robin  ",
        giver_email="Robin@Example.TEST",
        message="  Congratulations!  ",
        quantity=2,
    )

    gift.refresh_from_db()
    assert (gift.registry_id, gift.item_id, gift.quantity) == (item.registry_id, item.pk, 2)
    assert (gift.giver_name, gift.giver_email, gift.message) == (
        "Robin",
        "robin@example.test",
        "Congratulations!",
    )
    assert gift.source == "guest"
    assert gift.state == "active"


def test_giving_more_than_still_wanted_raises_and_writes_no_gift_and_no_alert():
    item = make_item(quantity=2)
    make_gift(item=item)
    alerts_before = Notification.objects.count()

    with pytest.raises(NotEnoughWanted, match="Only 1"):
        gift_record(item=item, giver_name="Robin", quantity=2)

    assert Gift.objects.count() == 1
    assert Notification.objects.count() == alerts_before


def test_a_registrant_may_record_a_gift_beyond_the_list():
    item = make_item(quantity=1)
    make_gift(item=item)

    gift = gift_record(item=item, giver_name="Aunt May", source="registrant")

    assert gift.pk is not None
    assert item_availability(item=item).still_wanted == 0


@pytest.mark.parametrize("quantity", [0, -1, True])
def test_gift_record_refuses_a_quantity_below_one(quantity):
    item = make_item()

    with pytest.raises(GratitudeError, match="quantity"):
        gift_record(item=item, giver_name="Robin", quantity=quantity)

    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"giver_name": "   "}, "giver_name"),
        ({"giver_name": "Robin", "giver_email": "not-an-address"}, "giver_email"),
        ({"giver_name": "Robin", "source": "carrier-pigeon"}, "source"),
    ],
)
def test_gift_record_refuses_bad_giver_details(fields, field):
    item = make_item()

    with pytest.raises(GratitudeError, match=field):
        gift_record(item=item, **fields)

    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


# --- reservations ----------------------------------------------------------------------------


def test_reservations_reduce_what_is_still_wanted():
    item = make_item(quantity=3)

    reservation_create(item=item, giver_name="Robin", quantity=2)

    availability = item_availability(item=item)
    assert (availability.reserved, availability.given, availability.still_wanted) == (2, 0, 1)


def test_reservation_create_raises_not_enough_wanted_when_fewer_are_wanted():
    item = make_item(quantity=3)
    reservation_create(item=item, giver_name="Robin", quantity=2)

    with pytest.raises(NotEnoughWanted, match="Only 1"):
        reservation_create(item=item, giver_name="Sam", quantity=2)

    assert Reservation.objects.count() == 1


def test_a_reservation_holds_units_against_gifts_too():
    item = make_item(quantity=2)
    reservation_create(item=item, giver_name="Robin", quantity=1)

    with pytest.raises(NotEnoughWanted):
        gift_record(item=item, giver_name="Sam", quantity=2)

    assert Gift.objects.count() == 0


def test_gifts_count_against_reservations():
    item = make_item(quantity=2)
    make_gift(item=item, quantity=2)

    with pytest.raises(NotEnoughWanted, match="Only 0"):
        reservation_create(item=item, giver_name="Sam")

    assert Reservation.objects.count() == 0


def test_an_expired_reservation_no_longer_holds_units(settings):
    item = make_item(quantity=1)
    reservation_create(item=item, giver_name="Robin")
    assert item_availability(item=item).still_wanted == 0

    later = timezone.now() + timedelta(hours=settings.GRATITUDE_RESERVATION_HOURS, minutes=1)
    with time_machine.travel(later):
        assert item_availability(item=item).still_wanted == 1


def test_reservation_create_refuses_a_quantity_of_zero():
    item = make_item()

    with pytest.raises(GratitudeError, match="quantity"):
        reservation_create(item=item, giver_name="Robin", quantity=0)

    assert Reservation.objects.count() == 0


# --- gift_cancel -----------------------------------------------------------------------------


def test_gift_cancel_is_idempotent():
    gift = make_gift()

    first = gift_cancel(gift=gift, reason="returned")
    second = gift_cancel(gift=gift, reason="a different reason")

    assert first.state == second.state == "cancelled"
    gift.refresh_from_db()
    assert gift.state == "cancelled"
    assert gift.cancel_reason == "returned"
    assert gift.cancelled_at == first.cancelled_at


def test_a_cancelled_gift_is_wanted_again():
    item = make_item(quantity=1)
    gift = make_gift(item=item)
    assert item_availability(item=item).still_wanted == 0

    gift_cancel(gift=gift)

    assert item_availability(item=item).still_wanted == 1


# --- bad input: nothing half-written -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"message": "m" * 10_000}, "message"),
        ({"giver_name": "n" * 121}, "giver_name"),
        ({"giver_address": "a" * 501}, "giver_address"),
    ],
)
def test_gift_record_refuses_text_that_is_too_long_and_writes_nothing(fields, message):
    item = make_item()

    with pytest.raises(GratitudeError, match=message):
        gift_record(item=item, **{"giver_name": "Robin", **fields})

    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_archived_items_and_registries_take_no_gifts_or_holds():
    owner = make_user()
    registry = make_registry(owner=owner)
    archived_item = make_item(registry=registry)
    item_archive(item=archived_item)
    open_item = make_item(registry=registry)
    with pytest.raises(GratitudeError, match="no longer on the list"):
        gift_record(item=archived_item, giver_name="Robin")
    registry_archive(registry=registry, by=owner)

    with pytest.raises(GratitudeError, match="closed"):
        gift_record(item=open_item, giver_name="Robin")
    with pytest.raises(GratitudeError, match="closed"):
        reservation_create(item=open_item, giver_name="Robin")

    assert Gift.objects.count() == 0
    assert Reservation.objects.count() == 0


# --- the giver's address and receipt -----------------------------------------------------------


def test_a_giver_who_asks_for_a_receipt_gets_one_mail_and_shares_their_address_only_if_given():
    item = make_item()

    gift = gift_record(
        item=item,
        giver_name="Robin",
        giver_email="Robin@Example.test",
        giver_address=" 1 Long Lane ",
        send_receipt=True,
    )

    gift.refresh_from_db()
    assert gift.giver_address == "1 Long Lane"
    assert gift.receipt_to is not None
    assert gift.receipt_to.email == "robin@example.test"
    assert not gift.receipt_to.has_usable_password()
    [receipt] = Notification.objects.filter(kind="gift_receipt")
    assert (receipt.recipient, receipt.gift, receipt.registry_id) == (gift.receipt_to, gift, item.registry_id)


def test_no_receipt_unless_asked_and_none_without_an_address():
    item = make_item()

    gift_record(item=item, giver_name="Robin", giver_email="robin@example.test")
    gift_record(item=item, giver_name="Sam", send_receipt=True)

    assert not Notification.objects.filter(kind="gift_receipt").exists()
    assert not User.objects.filter(email="robin@example.test").exists()


def test_one_address_gets_at_most_a_few_giver_mails_a_day_whoever_types_it():
    item = make_item(quantity=20)

    for n in range(GIVER_MAILS_PER_ADDRESS_PER_DAY + 3):
        gift_record(item=item, giver_name=f"Giver {n}", giver_email="target@example.test", send_receipt=True)

    assert Notification.objects.filter(kind="gift_receipt").count() == GIVER_MAILS_PER_ADDRESS_PER_DAY
    assert Gift.objects.count() == GIVER_MAILS_PER_ADDRESS_PER_DAY + 3  # the gifts themselves all count


# --- group gifts -------------------------------------------------------------------------------


def _group_gift(price: str = "120.00"):
    return make_item(quantity=1, price=Decimal(price), group_gift=True)


def test_contributions_are_gifts_with_their_amount_and_alert_the_registrants():
    item = _group_gift()

    gift = gift_contribute(item=item, giver_name="Robin", amount=Decimal("20.50"), message="For the fund")

    gift.refresh_from_db()
    assert (gift.amount, gift.quantity, gift.source, gift.message) == (
        Decimal("20.50"),
        1,
        "guest",
        "For the fund",
    )
    assert Notification.objects.filter(kind="gift_alert", gift=gift).count() == 1
    assert item_availability(item=item).still_needed == Decimal("99.50")


def test_contributions_stop_at_the_price():
    item = _group_gift("100")
    gift_contribute(item=item, giver_name="Robin", amount=Decimal("80"))

    with pytest.raises(NotEnoughWanted, match=r"Only 20\.00"):
        gift_contribute(item=item, giver_name="Sam", amount=Decimal("20.01"))
    gift_contribute(item=item, giver_name="Sam", amount=Decimal("20"))

    assert item_availability(item=item).still_wanted == 0
    with pytest.raises(NotEnoughWanted):
        gift_contribute(item=item, giver_name="Kim", amount=Decimal("1"))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("1.005"), "NaN", "abc"])
def test_a_contribution_must_be_a_positive_amount_in_cents(amount):
    item = _group_gift()

    with pytest.raises(GratitudeError, match="amount"):
        gift_contribute(item=item, giver_name="Robin", amount=amount)

    assert Gift.objects.count() == 0


def test_a_group_gift_is_contributed_to_not_bought_or_reserved_and_vice_versa():
    group, single = _group_gift(), make_item()

    with pytest.raises(GratitudeError, match="group gift"):
        gift_record(item=group, giver_name="Robin")
    with pytest.raises(GratitudeError, match="group gift"):
        reservation_create(item=group, giver_name="Robin")
    with pytest.raises(GratitudeError, match="not a group gift"):
        gift_contribute(item=single, giver_name="Robin", amount=Decimal("5"))

    assert Gift.objects.count() == 0


# --- reservations: hold, release, fulfil, lapse, remind ----------------------------------------


def test_a_reservation_with_a_reminder_queues_one_reminder_before_it_lapses(settings):
    settings.GRATITUDE_RESERVATION_HOURS = 48
    settings.GRATITUDE_RESERVATION_REMINDER_HOURS = 12
    item = make_item()

    reservation = reservation_create(
        item=item, giver_name="Robin", giver_email="robin@example.test", remind=True
    )

    [row] = Notification.objects.filter(kind="reservation_reminder")
    assert row.recipient == reservation.reminder_to
    assert row.recipient.email == "robin@example.test"
    assert row.registry_id == item.registry_id
    assert row.due_at == reservation.expires_at - timedelta(hours=12)


def test_a_reminder_needs_an_address_and_none_is_queued_unless_asked():
    item = make_item()

    with pytest.raises(GratitudeError, match="giver_email"):
        reservation_create(item=item, giver_name="Robin", remind=True)
    reservation_create(item=item, giver_name="Robin", giver_email="robin@example.test")

    assert Reservation.objects.count() == 1
    assert not Notification.objects.filter(kind="reservation_reminder").exists()


def test_releasing_a_hold_frees_its_units_at_once_and_is_idempotent():
    item = make_item(quantity=1)
    reservation = reservation_create(item=item, giver_name="Robin")

    reservation_release(reservation=reservation)
    again = reservation_release(reservation=reservation)

    assert again.state == "released"
    assert item_availability(item=item).still_wanted == 1


def test_fulfilling_a_hold_records_the_gift_with_the_held_quantity_and_ends_the_hold():
    item = make_item(quantity=2)
    reservation = reservation_create(
        item=item, giver_name="Robin", giver_email="robin@example.test", quantity=2
    )

    gift = reservation_fulfil(reservation=reservation, message="Enjoy", giver_address="1 Lane")

    reservation.refresh_from_db()
    assert reservation.state == "fulfilled"
    assert (gift.quantity, gift.giver_name, gift.giver_email, gift.reservation) == (
        2,
        "Robin",
        "robin@example.test",
        reservation,
    )
    availability = item_availability(item=item)
    assert (availability.given, availability.reserved, availability.still_wanted) == (2, 0, 0)
    with pytest.raises(GratitudeError, match="already recorded"):
        reservation_fulfil(reservation=reservation)
    with pytest.raises(GratitudeError, match="became a gift"):
        reservation_release(reservation=reservation)
    assert Gift.objects.count() == 1


def test_a_released_hold_cannot_be_fulfilled():
    reservation = reservation_create(item=make_item(), giver_name="Robin")
    reservation_release(reservation=reservation)

    with pytest.raises(GratitudeError, match="no longer active"):
        reservation_fulfil(reservation=reservation)

    assert Gift.objects.count() == 0


def test_a_lapsed_hold_still_becomes_a_gift_while_enough_are_wanted(settings):
    item = make_item(quantity=1)
    reservation = reservation_create(item=item, giver_name="Robin")

    with time_machine.travel(timezone.now() + timedelta(hours=settings.GRATITUDE_RESERVATION_HOURS + 1)):
        assert reservation.status == "lapsed"
        gift = reservation_fulfil(reservation=reservation)

    assert gift.quantity == 1


def test_a_lapsed_hold_whose_units_went_to_someone_else_gets_a_clear_refusal(settings):
    item = make_item(quantity=1)
    reservation = reservation_create(item=item, giver_name="Robin")

    with time_machine.travel(timezone.now() + timedelta(hours=settings.GRATITUDE_RESERVATION_HOURS + 1)):
        gift_record(item=item, giver_name="Sam")
        with pytest.raises(NotEnoughWanted, match="Only 0"):
            reservation_fulfil(reservation=reservation)

    reservation.refresh_from_db()
    assert reservation.state == "held"
    assert Gift.objects.count() == 1


# --- registrants: by hand, received ------------------------------------------------------------


def test_a_gift_from_off_the_registry_is_recorded_by_hand_and_never_shown_to_givers():
    owner = make_user()
    registry = make_registry(owner=owner)

    gift = gift_record_by_hand(
        registry=registry, by=owner, giver_name="Grandma", description="A knitted blanket", message="Love"
    )

    assert (gift.source, gift.recorded_by, gift.item.title, gift.item.off_list) == (
        "registrant",
        owner,
        "A knitted blanket",
        True,
    )
    assert gift.received_at is not None
    assert items_with_availability(registry=registry) == []


def test_a_registrant_records_by_hand_beyond_the_list_but_strangers_cannot():
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, quantity=1)
    make_gift(item=item)

    gift = gift_record_by_hand(registry=registry, by=owner, giver_name="Aunt May", item=item, received=False)
    assert gift.received_at is None
    with pytest.raises(PermissionDenied):
        gift_record_by_hand(registry=registry, by=make_user(), giver_name="Mallory", description="Spam")
    with pytest.raises(GratitudeError, match="not on this registry"):
        gift_record_by_hand(registry=registry, by=owner, giver_name="X", item=make_item())
    with pytest.raises(GratitudeError, match="description"):
        gift_record_by_hand(registry=registry, by=owner, giver_name="X")

    assert Gift.objects.filter(registry=registry).count() == 2


def test_mark_received_and_undo():
    gift = make_gift()

    marked = gift_mark_received(gift=gift)
    first = marked.received_at
    again = gift_mark_received(gift=gift)
    undone = gift_mark_received(gift=gift, received=False)

    assert first is not None
    assert again.received_at == first
    assert undone.received_at is None


# --- a registrant recording a gift by hand is not alerted about it ---------------------------------------


def _registry_of_two():
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner)
    partner = make_user(display_name="Sam")
    registry_member_add(registry=registry, user=partner)
    return registry, owner, partner


def test_the_registrant_who_records_a_gift_by_hand_gets_no_alert_and_the_others_get_theirs():
    registry, owner, partner = _registry_of_two()

    gift = gift_record_by_hand(registry=registry, by=owner, giver_name="Grandma", description="A quilt")

    rows = Notification.objects.filter(kind="gift_alert", gift=gift)
    assert [row.recipient_id for row in rows] == [partner.pk]


def test_whoever_records_by_hand_is_the_one_left_out():
    registry, owner, partner = _registry_of_two()
    item = make_item(registry=registry)

    gift = gift_record_by_hand(registry=registry, by=partner, giver_name="Grandma", item=item)

    rows = Notification.objects.filter(kind="gift_alert", gift=gift)
    assert [row.recipient_id for row in rows] == [owner.pk]


def test_a_registrant_alone_on_their_registry_records_by_hand_without_any_alert():
    owner = make_user()
    registry = make_registry(owner=owner)

    gift_record_by_hand(registry=registry, by=owner, giver_name="Grandma", description="A quilt")

    assert not Notification.objects.filter(kind="gift_alert").exists()


def test_a_gift_from_a_giver_still_alerts_every_member():
    registry, owner, partner = _registry_of_two()

    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")

    rows = Notification.objects.filter(kind="gift_alert", gift=gift)
    assert sorted(row.recipient_id for row in rows) == sorted([owner.pk, partner.pk])
