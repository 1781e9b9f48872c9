"""The page a giver opens from an address request: no account, the signed link is the key; GET changes
nothing; one answer for every link that does not open it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.gifts.services import gift_cancel
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.thanks.selectors import address_link_token
from gratitude.thanks.services import address_request_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked():
    owner = make_user(display_name="Alex Rivera")
    registry = make_registry(owner=owner, title="Alex & Sam's wedding")
    gift = make_gift(
        item=make_item(registry=registry, title="Teapot"),
        giver_name="Robin",
        giver_email="robin@example.test",
    )
    request = address_request_create(gift=gift, by=owner)
    url = reverse("thanks_giver:address_share", args=[address_link_token(address_request=request)])
    return request, gift, url


def test_the_page_names_registrant_registry_and_gift_and_get_changes_nothing(client, asked):
    request, gift, url = asked

    response = client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Hi Robin." in content
    assert "Alex Rivera would like to send you a thank-you note by post" in content
    assert "1 × “Teapot” from the registry “Alex &amp; Sam&#x27;s wedding”" in content
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-store" in response["Cache-Control"]
    request.refresh_from_db()
    gift.refresh_from_db()
    assert request.answered_at is None and gift.giver_address == ""


def test_sharing_an_address_puts_it_on_the_gift_and_says_thank_you(client, asked):
    _, gift, url = asked

    response = client.post(url, {"address": "1 Main St\r\nSpringfield 12345"})

    assert response.status_code == 302 and response["Location"] == url
    gift.refresh_from_db()
    assert gift.giver_address == "1 Main St\nSpringfield 12345"
    page = client.get(url).content.decode()
    assert "Thank you, Robin" in page
    assert "Alex Rivera now has the address" in page


def test_an_empty_address_says_what_to_fix(client, asked):
    _, gift, url = asked

    response = client.post(url, {"address": "   "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    gift.refresh_from_db()
    assert gift.giver_address == ""


def test_the_address_is_escaped_when_shown_to_registrants(client, asked):
    request, gift, url = asked
    client.post(url, {"address": "<script>alert(1)</script>"})
    owner = request.requested_by
    client.force_login(owner)

    content = client.get(reverse("thanks:list", args=[gift.registry_id])).content.decode()

    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def _not_found(response) -> bool:
    return response.status_code == 404 and "This link doesn't open anything" in response.content.decode()


def test_tampered_and_made_up_links_get_one_not_found_page(client, asked):
    _, _, url = asked

    assert _not_found(client.get(url[:-3] + "xx/"))
    assert _not_found(client.get(reverse("thanks_giver:address_share", args=["nonsense"])))
    assert _not_found(client.post(url[:-3] + "xx/", {"address": "1 Main St"}))


def test_a_link_stops_working_after_sixty_days(client, asked):
    _, _, url = asked

    with time_machine.travel(timezone.now() + timedelta(days=61)):
        assert _not_found(client.get(url))


def test_a_link_about_a_cancelled_gift_stops_working(client, asked):
    _, gift, url = asked
    gift_cancel(gift=gift)

    assert _not_found(client.get(url))


def test_sharing_needs_the_csrf_token(asked):
    _, gift, url = asked
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(url, {"address": "1 Main St"})

    assert response.status_code == 403
    gift.refresh_from_db()
    assert gift.giver_address == ""
