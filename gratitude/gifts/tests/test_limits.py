"""Fake gifts and holds stay small and few: every quantity is a whole number up to MAX_QUANTITY (so 2**31 or
9,223,372,036,854,775,807 never reach the database, which would answer with an error rather than a clear
"no": a 500), a guest's gift or hold is bounded by what is still wanted, and one client's gifts, holds and
contributions are limited per hour (a friendly 429 page). Run on SQLite and on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from gratitude.core.errors import GratitudeError, NotEnoughWanted
from gratitude.gifts.models import Gift, Reservation
from gratitude.gifts.services import gift_record, gift_record_by_hand, reservation_create
from gratitude.registries.models import Item
from gratitude.registries.services.items import MAX_QUANTITY, item_add
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

HUGE = [MAX_QUANTITY + 1, 2**31, 2**31 + 1, 2**63 - 1, 2**63, 2**64, 10**30]


@pytest.mark.parametrize("quantity", HUGE)
def test_the_services_refuse_a_huge_quantity_before_the_database_sees_it(quantity):
    item = make_item(quantity=MAX_QUANTITY)
    owner = item.registry.members.get().user
    message = f"quantity: at most {MAX_QUANTITY:,}"

    for attempt in (
        lambda: gift_record(item=item, giver_name="Robin", quantity=quantity),
        lambda: reservation_create(item=item, giver_name="Robin", quantity=quantity),
        lambda: gift_record_by_hand(
            registry=item.registry, by=owner, giver_name="Gran", item=item, quantity=quantity
        ),
        lambda: gift_record_by_hand(
            registry=item.registry, by=owner, giver_name="Gran", description="A", quantity=quantity
        ),
        lambda: item_add(registry=item.registry, title="Diapers", quantity=quantity),
    ):
        with pytest.raises(GratitudeError, match=f"^{message}$"):
            attempt()
    assert not Gift.objects.exists() and not Reservation.objects.exists()
    assert Item.objects.count() == 1


def test_a_guest_gift_or_hold_is_bounded_by_what_is_still_wanted():
    item = make_item(title="Bowl", quantity=3)
    reservation_create(item=item, giver_name="Robin", quantity=2)

    with pytest.raises(NotEnoughWanted, match="Only 1 of “Bowl” still wanted; you asked for 2"):
        gift_record(item=item, giver_name="Sam", quantity=2)
    with pytest.raises(NotEnoughWanted, match="Only 1 of “Bowl” still wanted; you asked for 5"):
        reservation_create(item=item, giver_name="Sam", quantity=5)
    assert gift_record(item=item, giver_name="Sam", quantity=1).quantity == 1


@pytest.mark.parametrize("quantity", [str(2**31), "9223372036854775807", str(2**64), "1" + "0" * 40])
def test_every_quantity_field_answers_a_huge_number_with_400_not_500(client, quantity):
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, quantity=5)
    key = registry.share_key
    guest_posts = {
        reverse("gifts:give", args=[key, item.pk]): {"giver_name": "Robin", "quantity": quantity},
        reverse("gifts:reserve", args=[key, item.pk]): {"giver_name": "Robin", "quantity": quantity},
    }
    for url, data in guest_posts.items():
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert response.context["form"].errors["quantity"] == [
            f"Ensure this value is less than or equal to {MAX_QUANTITY}."
        ]
    client.force_login(owner)
    member_posts = {
        reverse("member_gifts:record", args=[registry.pk]): {
            "giver_name": "Gran",
            "item": str(item.pk),
            "quantity": quantity,
        },
        reverse("registries:item_add", args=[registry.pk]): {"title": "Diapers", "quantity": quantity},
    }
    for url, data in member_posts.items():
        response = client.post(url, data)
        assert response.status_code == 400, url
    assert not Gift.objects.exists() and not Reservation.objects.exists()
    assert Item.objects.count() == 1


def test_a_client_past_the_hourly_limit_gets_a_friendly_429_and_nothing_is_recorded(client, settings):
    settings.GRATITUDE_GUEST_ACTIONS_PER_HOUR = 3
    registry = make_registry()
    item = make_item(registry=registry, quantity=50)
    group = make_item(registry=registry, quantity=1, price=Decimal("500"), group_gift=True)
    give = reverse("gifts:give", args=[registry.share_key, item.pk])
    reserve = reverse("gifts:reserve", args=[registry.share_key, item.pk])
    contribute = reverse("gifts:contribute", args=[registry.share_key, group.pk])

    answers = [
        client.post(give, {"giver_name": "Robin", "quantity": "1"}).status_code,
        client.post(reserve, {"giver_name": "Robin", "quantity": "1"}).status_code,
        client.post(contribute, {"giver_name": "Robin", "amount": "5"}).status_code,
    ]
    over = [
        client.post(give, {"giver_name": "Robin", "quantity": "1"}),
        client.post(reserve, {"giver_name": "Robin", "quantity": "1"}),
        client.post(contribute, {"giver_name": "Robin", "amount": "5"}),
    ]

    assert answers == [302, 302, 302]
    assert [response.status_code for response in over] == [429, 429, 429]
    assert "Please wait a little" in over[0].content.decode()
    assert (Gift.objects.count(), Reservation.objects.count()) == (2, 1)
    # Looking is not acting: the pages still open for the same client.
    assert client.get(give).status_code == 200
    # Another client is not held back by this one.
    other = client_class_for_another_address(client)
    assert other.post(give, {"giver_name": "Sam", "quantity": "1"}).status_code == 302


def client_class_for_another_address(client):
    return type(client)(REMOTE_ADDR="203.0.113.9")
