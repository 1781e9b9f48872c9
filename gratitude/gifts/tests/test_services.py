"""Gift and reservation services: what is still wanted, who is alerted, and cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gratitude.core.errors import GratitudeError, NotEnoughWanted
from gratitude.gifts.models import Gift, Reservation
from gratitude.gifts.services import gift_cancel, gift_record, reservation_create
from gratitude.notifications.models import Notification
from gratitude.registries.selectors import item_availability
from gratitude.registries.services import registry_member_add, registry_member_set_alerts
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
