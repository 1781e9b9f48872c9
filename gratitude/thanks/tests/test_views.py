"""The Thank You List page: what each active gift shows, and what a surprise registry hides."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from gratitude.gifts.services import gift_cancel
from gratitude.registries.services import registry_member_add
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


def _thanks(client, registry):
    return client.get(reverse("thanks:list", args=[registry.pk]))


def test_the_list_shows_item_giver_message_and_date_of_each_active_gift(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, title="Cast-iron casserole")
    with time_machine.travel(datetime(2031, 3, 14, 12, 0, tzinfo=UTC), tick=False):
        make_gift(item=item, giver_name="Robin Giver", message="For many dinners together", quantity=2)
    client.force_login(owner)

    response = _thanks(client, registry)

    assert response.status_code == 200
    content = response.content.decode()
    assert "2 × Cast-iron casserole" in content
    assert "Robin Giver" in content
    assert "For many dinners together" in content
    assert "14 Mar 2031" in content
    assert content.count('data-testid="gift-row"') == 1


def test_the_list_hides_cancelled_gifts(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry)
    make_gift(item=item, giver_name="Kept Giver")
    gift_cancel(gift=make_gift(item=item, giver_name="Cancelled Giver"), reason="returned")
    client.force_login(owner)

    response = _thanks(client, registry)

    content = response.content.decode()
    assert "Kept Giver" in content
    assert "Cancelled Giver" not in content
    assert content.count('data-testid="gift-row"') == 1


def test_the_list_shows_only_this_registrys_gifts(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    make_gift(item=make_item(registry=registry), giver_name="Our Giver")
    make_gift(item=make_item(registry=make_registry(owner=owner)), giver_name="Other Registry Giver")
    client.force_login(owner)

    content = _thanks(client, registry).content.decode()

    assert "Our Giver" in content
    assert "Other Registry Giver" not in content


def test_a_co_registrant_sees_the_list_too(client):
    registry = make_registry()
    partner = make_user()
    registry_member_add(registry=registry, user=partner)
    make_gift(item=make_item(registry=registry), giver_name="Robin Giver")
    client.force_login(partner)

    response = _thanks(client, registry)

    assert response.status_code == 200
    assert "Robin Giver" in response.content.decode()


def test_with_covered_only_surprise_the_list_shows_neither_item_nor_giver(client):
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only", title="Baby shower")
    item = make_item(registry=registry, title="Rocking horse")
    make_gift(
        item=item, giver_name="Jordan Secret", giver_email="jordan@example.test", message="A secret note"
    )
    client.force_login(owner)

    response = _thanks(client, registry)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Rocking horse" not in content
    assert "Jordan Secret" not in content
    assert "jordan@example.test" not in content
    assert "A secret note" not in content
    assert "A covered item" in content
    assert content.count('data-testid="gift-row"') == 1


def test_the_list_escapes_html_a_giver_typed(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    make_gift(
        item=make_item(registry=registry),
        giver_name="<img src=x onerror=alert(1)>",
        message="<script>alert('hi')</script>",
    )
    client.force_login(owner)

    content = _thanks(client, registry).content.decode()

    assert "<img src=x" not in content
    assert "<script>alert(" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in content


def test_an_empty_list_says_so(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)

    assert "No gifts yet." in _thanks(client, registry).content.decode()
