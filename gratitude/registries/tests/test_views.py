"""Registrant pages: creating a registry, adding items, the share link, and who may see what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gratitude.registries.models import Item, Registry
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

LINK_NOT_FOUND = "This link doesn't open a registry"


def _shared(key: str) -> str:
    return reverse("gifts:shared_registry", args=[key])


# --- Creating a registry ---------------------------------------------------------------------


def test_creating_a_registry_through_the_form_makes_the_viewer_its_owner(client):
    user = make_user()
    client.force_login(user)

    response = client.post(
        reverse("registries:new"),
        {"title": "Our wedding", "occasion": "wedding", "event_date": "2030-06-01", "visibility": "link"},
    )

    registry = Registry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registries:detail", args=[registry.pk])
    assert registry.title == "Our wedding"
    assert str(registry.event_date) == "2030-06-01"
    assert registry.members.get().user == user
    assert registry.members.get().role == "owner"


@pytest.mark.parametrize("title", ["", "   "], ids=["empty", "whitespace"])
def test_an_empty_registry_title_shows_a_form_error_and_creates_nothing(client, title):
    client.force_login(make_user())

    response = client.post(
        reverse("registries:new"), {"title": title, "occasion": "wedding", "visibility": "link"}
    )

    # Re-rendered with the error, not redirected to a new registry.
    assert response.status_code in {200, 400}
    assert response.context["form"].errors["title"] == ["This field is required."]
    assert "This field is required." in response.content.decode()
    assert Registry.objects.count() == 0


# --- Adding items ----------------------------------------------------------------------------


def test_a_member_adds_an_item_through_the_form(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]),
        {"title": "Teapot", "quantity": "2", "price": "19.90", "url": "shop.example/teapot"},
    )

    assert response.status_code == 302
    item = Item.objects.get(registry=registry)
    assert (item.title, item.quantity, item.url) == ("Teapot", 2, "https://shop.example/teapot")


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_an_item_quantity_below_one_shows_a_form_error_and_creates_nothing(client, quantity):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]), {"title": "Teapot", "quantity": quantity}
    )

    assert response.status_code == 400
    assert response.context["item_form"].errors["quantity"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert Item.objects.count() == 0


def test_an_empty_item_title_shows_a_form_error_and_creates_nothing(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]), {"title": "  ", "quantity": "1"}
    )

    assert response.status_code == 400
    assert response.context["item_form"].errors["title"]
    assert Item.objects.count() == 0


# --- Scoping: another person's registry ------------------------------------------------------


@pytest.fixture
def strangers_registry():
    registry = make_registry(owner=make_user(), title="Someone else's registry")
    make_item(registry=registry, title="Their teapot")
    return registry


@pytest.fixture
def logged_in_stranger(client):
    client.force_login(make_user())
    return client


def test_a_non_member_gets_404_for_another_persons_registry_page(logged_in_stranger, strangers_registry):
    response = logged_in_stranger.get(reverse("registries:detail", args=[strangers_registry.pk]))

    assert response.status_code == 404
    assert b"Their teapot" not in response.content


def test_a_non_member_gets_404_adding_an_item_and_nothing_is_created(logged_in_stranger, strangers_registry):
    response = logged_in_stranger.post(
        reverse("registries:item_add", args=[strangers_registry.pk]), {"title": "Sneaky", "quantity": "1"}
    )

    assert response.status_code == 404
    assert not Item.objects.filter(title="Sneaky").exists()


def test_a_non_member_gets_404_resetting_the_share_link_and_it_does_not_change(
    logged_in_stranger, strangers_registry
):
    old_key = strangers_registry.share_key

    response = logged_in_stranger.post(reverse("registries:share_link_reset", args=[strangers_registry.pk]))

    assert response.status_code == 404
    strangers_registry.refresh_from_db()
    assert strangers_registry.share_key == old_key


def test_a_non_member_gets_404_for_another_persons_thank_you_list(logged_in_stranger, strangers_registry):
    response = logged_in_stranger.get(reverse("thanks:list", args=[strangers_registry.pk]))

    assert response.status_code == 404


def test_the_registry_list_shows_only_the_viewers_registries(logged_in_stranger, strangers_registry):
    response = logged_in_stranger.get(reverse("registries:list"))

    assert response.status_code == 200
    assert b"Someone else&#x27;s registry" not in response.content
    assert b"Someone else's registry" not in response.content


def test_a_member_sees_the_registry_page_with_its_share_link(client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Housewarming")
    make_item(registry=registry, title="Doormat")
    client.force_login(owner)

    response = client.get(reverse("registries:detail", args=[registry.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Doormat" in content
    assert f"/r/{registry.share_key}/" in content


@pytest.mark.parametrize(
    ("method", "url_name", "with_id"),
    [
        ("get", "registries:list", False),
        ("get", "registries:new", False),
        ("post", "registries:new", False),
        ("get", "registries:detail", True),
        ("post", "registries:item_add", True),
        ("post", "registries:share_link_reset", True),
        ("get", "thanks:list", True),
    ],
)
def test_anonymous_visitors_are_redirected_to_login(client, strangers_registry, method, url_name, with_id):
    url = reverse(url_name, args=[strangers_registry.pk] if with_id else [])
    old_key = strangers_registry.share_key

    response = getattr(client, method)(url, {"title": "Sneaky", "quantity": "1", "occasion": "other"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Registry.objects.count() == 1
    assert not Item.objects.filter(title="Sneaky").exists()
    strangers_registry.refresh_from_db()
    assert strangers_registry.share_key == old_key


# --- The share link --------------------------------------------------------------------------


def test_resetting_the_share_link_makes_the_old_link_404_and_the_new_one_work(client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Baby shower")
    old_key = registry.share_key
    assert client.get(_shared(old_key)).status_code == 200
    client.force_login(owner)

    response = client.post(reverse("registries:share_link_reset", args=[registry.pk]))

    assert response.status_code == 302
    registry.refresh_from_db()
    assert registry.share_key != old_key
    client.logout()
    old = client.get(_shared(old_key))
    assert old.status_code == 404
    assert LINK_NOT_FOUND in old.content.decode()
    new = client.get(_shared(registry.share_key))
    assert new.status_code == 200
    assert "Baby shower" in new.content.decode()


def test_share_link_reset_refuses_get(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    old_key = registry.share_key
    client.force_login(owner)

    response = client.get(reverse("registries:share_link_reset", args=[registry.pk]))

    assert response.status_code == 405
    registry.refresh_from_db()
    assert registry.share_key == old_key


# --- CSRF ------------------------------------------------------------------------------------


def test_creating_a_registry_without_a_csrf_token_is_refused():
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user())

    response = csrf_client.post(
        reverse("registries:new"), {"title": "Forged", "occasion": "other", "visibility": "link"}
    )

    assert response.status_code == 403
    assert Registry.objects.count() == 0


def test_adding_an_item_without_a_csrf_token_is_refused():
    owner = make_user()
    registry = make_registry(owner=owner)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)

    response = csrf_client.post(
        reverse("registries:item_add", args=[registry.pk]), {"title": "Forged", "quantity": "1"}
    )

    assert response.status_code == 403
    assert Item.objects.count() == 0


def test_resetting_the_share_link_without_a_csrf_token_is_refused():
    owner = make_user()
    registry = make_registry(owner=owner)
    old_key = registry.share_key
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)

    response = csrf_client.post(reverse("registries:share_link_reset", args=[registry.pk]))

    assert response.status_code == 403
    registry.refresh_from_db()
    assert registry.share_key == old_key


def test_a_post_with_the_pages_csrf_token_is_accepted():
    """The control for the refusals above: the same client with a real token gets through."""
    owner = make_user()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)
    page = csrf_client.get(reverse("registries:new"))
    token = page.context["csrf_token"]

    response = csrf_client.post(
        reverse("registries:new"),
        {"title": "Real", "occasion": "other", "visibility": "link", "csrfmiddlewaretoken": str(token)},
    )

    assert response.status_code == 302
    assert Registry.objects.filter(title="Real").count() == 1
