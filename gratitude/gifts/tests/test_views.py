"""Guest pages behind a share link: the list, recording a purchase, the receipt, and bad links."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gratitude.gifts.models import Gift
from gratitude.notifications.models import Notification
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

LINK_NOT_FOUND = "This link doesn't open a registry"
GIFT_POST = {"giver_name": "Robin", "giver_email": "robin@example.test", "quantity": "1", "message": "Enjoy!"}


def _shared(key: str) -> str:
    return reverse("gifts:shared_registry", args=[key])


def _give(key: str, item_id: int) -> str:
    return reverse("gifts:give", args=[key, item_id])


def _tampered(key: str) -> str:
    replacement = "A" if key[-1] != "A" else "B"
    return key[:-1] + replacement


def _assert_link_not_found(response) -> None:
    assert response.status_code == 404
    assert LINK_NOT_FOUND in response.content.decode()


# --- The shared list -------------------------------------------------------------------------


def test_a_guest_sees_the_items_and_how_many_are_still_wanted(client):
    registry = make_registry(title="Housewarming")
    item = make_item(registry=registry, title="Napkins", quantity=4)
    make_gift(item=item, quantity=1)

    response = client.get(_shared(registry.share_key))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Housewarming" in content
    assert "Napkins" in content
    assert "3 of 4" in content
    assert _give(registry.share_key, item.pk) in content


def test_a_fully_given_item_shows_as_covered_without_a_give_button(client):
    registry = make_registry()
    item = make_item(registry=registry, quantity=1)
    make_gift(item=item)

    response = client.get(_shared(registry.share_key))

    assert "Covered" in response.content.decode()
    assert _give(registry.share_key, item.pk) not in response.content.decode()


def test_a_tampered_share_link_answers_404_with_a_clear_page(client):
    registry = make_registry()
    make_item(registry=registry, title="Teapot")

    response = client.get(_shared(_tampered(registry.share_key)))

    _assert_link_not_found(response)
    assert b"Teapot" not in response.content


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_give_link_answers_404_and_records_nothing(client, method):
    registry = make_registry()
    item = make_item(registry=registry)

    response = getattr(client, method)(_give(_tampered(registry.share_key), item.pk), GIFT_POST)

    _assert_link_not_found(response)
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_share_link_cannot_give_to_another_registrys_item(client):
    registry = make_registry()
    other_item = make_item(registry=make_registry())

    response = client.post(_give(registry.share_key, other_item.pk), GIFT_POST)

    _assert_link_not_found(response)
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_private_registrys_share_link_answers_404(client):
    registry = make_registry(visibility="private")
    item = make_item(registry=registry, title="Secret teapot")

    listing = client.get(_shared(registry.share_key))
    giving = client.post(_give(registry.share_key, item.pk), GIFT_POST)

    _assert_link_not_found(listing)
    assert b"Secret teapot" not in listing.content
    _assert_link_not_found(giving)
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_public_registrys_share_link_opens(client):
    registry = make_registry(visibility="public", title="Open house")

    response = client.get(_shared(registry.share_key))

    assert response.status_code == 200
    assert b"Open house" in response.content


def test_the_guest_page_escapes_html_in_an_item_title(client):
    registry = make_registry(title="<b>Bold</b> party")
    make_item(registry=registry, title="<script>alert('xss')</script>")

    response = client.get(_shared(registry.share_key))

    content = response.content.decode()
    assert "<script>alert(" not in content
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in content
    assert "<b>Bold</b>" not in content
    assert "&lt;b&gt;Bold&lt;/b&gt; party" in content


# --- Recording a purchase --------------------------------------------------------------------


def test_a_guest_records_a_purchase_which_alerts_the_registrants_and_shows_a_receipt(client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Housewarming")
    item = make_item(registry=registry, title="Teapot", quantity=2)

    response = client.post(_give(registry.share_key, item.pk), GIFT_POST)

    assert response.status_code == 302
    assert response["Location"] == reverse("gifts:receipt", args=[registry.share_key])
    gift = Gift.objects.get()
    assert (gift.item_id, gift.giver_name, gift.giver_email, gift.message, gift.quantity, gift.source) == (
        item.pk,
        "Robin",
        "robin@example.test",
        "Enjoy!",
        1,
        "guest",
    )
    alert = Notification.objects.get()
    assert (alert.kind, alert.recipient_id, alert.gift_id) == ("gift_alert", owner.pk, gift.pk)
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert "Thank you, Robin" in receipt.content.decode()
    assert "Teapot" in receipt.content.decode()


def test_the_receipt_is_only_for_the_browser_that_gave(client):
    registry = make_registry()
    item = make_item(registry=registry)
    client.post(_give(registry.share_key, item.pk), GIFT_POST)

    other_browser = Client()
    response = other_browser.get(reverse("gifts:receipt", args=[registry.share_key]))

    _assert_link_not_found(response)
    assert b"Robin" not in response.content


def test_giving_more_than_still_wanted_shows_a_form_error_and_records_nothing(client):
    registry = make_registry()
    item = make_item(registry=registry, title="Teapot", quantity=2)
    make_gift(item=item, quantity=1)
    gifts_before, alerts_before = Gift.objects.count(), Notification.objects.count()

    response = client.post(_give(registry.share_key, item.pk), {**GIFT_POST, "quantity": "2"})

    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert "Only 1 of “Teapot” still wanted; you asked for 2." in errors[0]
    assert "Only 1 of “Teapot” still wanted" in response.content.decode()
    assert Gift.objects.count() == gifts_before
    assert Notification.objects.count() == alerts_before


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_giving_a_quantity_below_one_shows_a_form_error_and_records_nothing(client, quantity):
    registry = make_registry()
    item = make_item(registry=registry)

    response = client.post(_give(registry.share_key, item.pk), {**GIFT_POST, "quantity": quantity})

    assert response.status_code == 400
    assert response.context["form"].errors["quantity"]
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_giving_without_a_name_shows_a_form_error_and_records_nothing(client):
    registry = make_registry()
    item = make_item(registry=registry)

    response = client.post(_give(registry.share_key, item.pk), {**GIFT_POST, "giver_name": "   "})

    assert response.status_code == 400
    assert response.context["form"].errors["giver_name"]
    assert Gift.objects.count() == 0


def test_recording_a_purchase_without_a_csrf_token_is_refused():
    registry = make_registry()
    item = make_item(registry=registry)
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(_give(registry.share_key, item.pk), GIFT_POST)

    assert response.status_code == 403
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0
