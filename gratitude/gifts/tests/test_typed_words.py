"""Words typed for someone else's mail carry no links (docs/safety.md promise 16): every service that takes
them refuses URLs, addresses and domains with a clear error naming the field, so forms, the API and store
webhooks all obey; the pages show it on the field, answer 400, and write nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from gratitude.core.errors import GratitudeError
from gratitude.gifts.models import Gift, Reservation
from gratitude.gifts.services import (
    gift_contribute,
    gift_record,
    gift_record_by_hand,
    reservation_create,
    reservation_fulfil,
)
from gratitude.notifications.models import Notification
from gratitude.registries.models import Item, Registry
from gratitude.registries.services.registries import registry_create, registry_update
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

LINKED = [
    "https://paypal-secure.example/verify",
    "paypal-secure.example",
    "bob@evil.example",
    "www.evil",
    "evil\uff0ecom",
    "ｅｖｉｌ．ｃｏｍ",
]


def _nothing_written() -> None:
    assert not Gift.objects.exists()
    assert not Reservation.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize("linked", LINKED)
def test_gift_record_refuses_a_link_in_the_name_message_or_address(linked):
    item = make_item(quantity=3)
    with pytest.raises(GratitudeError, match=r"^giver_name: A name can't contain links"):
        gift_record(item=item, giver_name=f"Robin {linked}")
    with pytest.raises(GratitudeError, match=r"^message: A gift message can't contain links"):
        gift_record(item=item, giver_name="Robin", message=f"See {linked}")
    with pytest.raises(GratitudeError, match=r"^giver_address: A mailing address can't contain links"):
        gift_record(item=item, giver_name="Robin", giver_address=f"1 Main St {linked}")
    _nothing_written()


def test_every_other_giver_service_refuses_links_too():
    item = make_item(quantity=3)
    group = make_item(title="Stroller", quantity=1, price=Decimal("300"), group_gift=True)
    owner = item.registry.members.get().user
    with pytest.raises(GratitudeError, match=r"^giver_name: "):
        gift_contribute(item=group, giver_name="paypal-secure.example", amount=Decimal("10"))
    with pytest.raises(GratitudeError, match=r"^message: "):
        gift_contribute(item=group, giver_name="Robin", amount=Decimal("10"), message="www.evil.example")
    with pytest.raises(GratitudeError, match=r"^giver_name: "):
        reservation_create(item=item, giver_name="Robin https://evil.example")
    with pytest.raises(GratitudeError, match=r"^description: A gift's description can't contain links"):
        gift_record_by_hand(
            registry=item.registry, by=owner, giver_name="Grandma", description="evil.example"
        )
    with pytest.raises(GratitudeError, match=r"^giver_name: "):
        gift_record_by_hand(registry=item.registry, by=owner, giver_name="bob@evil.example", item=item)
    _nothing_written()
    hold = reservation_create(item=item, giver_name="Robin")
    with pytest.raises(GratitudeError, match=r"^message: "):
        reservation_fulfil(reservation=hold, message="verify at paypal-secure.example")
    assert not Gift.objects.exists()


def test_a_registry_title_and_welcome_note_refuse_links():
    owner = make_user()
    with pytest.raises(GratitudeError, match=r"^title: A registry's title can't contain links"):
        registry_create(owner=owner, title="Sale at evil.example", occasion="wedding")
    assert not Registry.objects.exists()
    registry = make_registry(owner=owner, title="Alex & Sam's wedding")
    with pytest.raises(GratitudeError, match=r"^welcome_note: A note for your givers can't contain links"):
        registry_update(
            registry=registry,
            by=owner,
            title="Alex & Sam's wedding",
            occasion="wedding",
            event_date=None,
            welcome_note="Our list is also at https://evil.example",
        )
    registry.refresh_from_db()
    assert registry.welcome_note == ""


def test_the_give_page_shows_the_refusal_on_the_field_and_writes_nothing(client):
    registry = make_registry()
    item = make_item(registry=registry, quantity=2)
    url = reverse("gifts:give", args=[registry.share_key, item.pk])

    response = client.post(
        url,
        {
            "giver_name": "Robin",
            "quantity": "1",
            "message": "Hello",
            "share_address": "on",
            "giver_address": "mail me at bob@evil.example",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["giver_address"] == [
        "A mailing address can't contain links or web or email addresses"
    ]
    assert "A mailing address can&#x27;t contain links" in response.content.decode()
    _nothing_written()


def test_the_reserve_and_contribute_pages_show_the_refusal_on_the_name(client):
    registry = make_registry()
    item = make_item(registry=registry, quantity=2)
    group = make_item(registry=registry, quantity=1, price=Decimal("300"), group_gift=True)

    held = client.post(
        reverse("gifts:reserve", args=[registry.share_key, item.pk]),
        {"giver_name": "paypal-secure.example", "quantity": "1"},
    )
    given = client.post(
        reverse("gifts:contribute", args=[registry.share_key, group.pk]),
        {"giver_name": "Robin", "amount": "10", "message": "https://evil.example"},
    )

    assert held.status_code == 400
    assert held.context["form"].errors["giver_name"] == [
        "A name can't contain links or web or email addresses"
    ]
    assert given.status_code == 400
    assert given.context["form"].errors["message"] == [
        "A gift message can't contain links or web or email addresses"
    ]
    _nothing_written()


def test_the_hand_gift_form_shows_the_refusal_on_the_description(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)
    items_before = Item.objects.count()

    response = client.post(
        reverse("member_gifts:record", args=[registry.pk]),
        {"giver_name": "Grandma", "description": "Gift card, claim at evil.example", "quantity": "1"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["description"] == [
        "A gift's description can't contain links or web or email addresses"
    ]
    assert Item.objects.count() == items_before
    _nothing_written()


def test_the_registry_pages_show_the_refusal_on_the_title(client):
    owner = make_user()
    client.force_login(owner)

    response = client.post(
        reverse("registries:new"),
        {"title": "paypal-secure.example", "occasion": "wedding", "visibility": "link"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["title"] == [
        "A registry's title can't contain links or web or email addresses"
    ]
    assert not Registry.objects.exists()
