"""Registry services: creation, membership, items and the share link, called directly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gratitude.core.errors import GratitudeError
from gratitude.registries.models import FormerMember, Item, Registry, RegistryMember
from gratitude.registries.services import (
    item_add,
    registry_create,
    registry_member_add,
    registry_member_remove,
    registry_member_set_alerts,
    registry_share_link_reset,
)
from gratitude.testing.factories import make_registry, make_user

pytestmark = pytest.mark.django_db


# --- registry_create -------------------------------------------------------------------------


def test_registry_create_makes_the_owner_a_member_with_role_owner_and_alerts_on():
    owner = make_user()

    registry = registry_create(owner=owner, title="  Our wedding  ", occasion="wedding")

    assert registry.title == "Our wedding"
    member = RegistryMember.objects.get(registry=registry)
    assert member.user == owner
    assert member.role == "owner"
    assert member.alerts == "instant"


@pytest.mark.parametrize("title", ["", "   "], ids=["empty", "whitespace"])
def test_registry_create_refuses_an_empty_title_and_creates_nothing(title):
    owner = make_user()

    with pytest.raises(GratitudeError, match="title"):
        registry_create(owner=owner, title=title, occasion="wedding")

    assert Registry.objects.count() == 0
    assert RegistryMember.objects.count() == 0


def test_registry_create_refuses_an_unknown_occasion():
    with pytest.raises(GratitudeError, match="occasion"):
        registry_create(owner=make_user(), title="Party", occasion="bar-mitzvah-ish")

    assert Registry.objects.count() == 0


def test_registry_create_refuses_an_unknown_visibility():
    with pytest.raises(GratitudeError, match="visibility"):
        registry_create(owner=make_user(), title="Party", occasion="other", visibility="everyone")

    assert Registry.objects.count() == 0


# --- membership ------------------------------------------------------------------------------


def test_registry_member_add_refuses_a_duplicate_membership():
    registry = make_registry()
    partner = make_user()
    registry_member_add(registry=registry, user=partner)

    with pytest.raises(GratitudeError, match="already a member"):
        registry_member_add(registry=registry, user=partner, role="delegate")

    assert RegistryMember.objects.filter(registry=registry, user=partner).count() == 1
    assert RegistryMember.objects.get(registry=registry, user=partner).role == "co_registrant"


def test_registry_member_add_refuses_to_add_the_owner_again():
    owner = make_user()
    registry = make_registry(owner=owner)

    with pytest.raises(GratitudeError):
        registry_member_add(registry=registry, user=owner)

    assert RegistryMember.objects.get(registry=registry, user=owner).role == "owner"


def test_a_delegate_defaults_to_alerts_off():
    registry = make_registry()

    member = registry_member_add(registry=registry, user=make_user(), role="delegate")

    assert member.role == "delegate"
    assert member.alerts == "off"


def test_a_co_registrant_defaults_to_instant_alerts():
    member = registry_member_add(registry=make_registry(), user=make_user())

    assert member.role == "co_registrant"
    assert member.alerts == "instant"


def test_registry_member_add_refuses_an_unknown_role():
    registry = make_registry()

    with pytest.raises(GratitudeError, match="role"):
        registry_member_add(registry=registry, user=make_user(), role="admin")

    assert registry.members.count() == 1


def test_registry_member_set_alerts_refuses_an_unknown_preference():
    member = registry_member_add(registry=make_registry(), user=make_user())

    with pytest.raises(GratitudeError, match="alerts"):
        registry_member_set_alerts(member=member, alerts="hourly")

    member.refresh_from_db()
    assert member.alerts == "instant"


def test_registry_member_remove_refuses_the_owner():
    owner = make_user()
    registry = make_registry(owner=owner)
    owner_membership = RegistryMember.objects.get(registry=registry, user=owner)

    with pytest.raises(GratitudeError, match="owner"):
        registry_member_remove(member=owner_membership)

    assert RegistryMember.objects.filter(registry=registry, user=owner, role="owner").exists()
    assert FormerMember.objects.count() == 0


def test_registry_member_remove_deletes_the_membership_and_records_a_former_member():
    registry = make_registry()
    partner = make_user()
    member = registry_member_add(registry=registry, user=partner)

    registry_member_remove(member=member)

    assert not RegistryMember.objects.filter(registry=registry, user=partner).exists()
    former = FormerMember.objects.get()
    assert former.registry_id == registry.pk
    assert former.user_id == partner.pk
    assert former.left_at is not None


# --- items -----------------------------------------------------------------------------------


def test_item_add_stores_title_quantity_price_and_url():
    registry = make_registry()

    item = item_add(
        registry=registry,
        title=" Teapot ",
        quantity=2,
        price=Decimal("19.90"),
        url="https://shop.example/teapot",
    )

    item.refresh_from_db()
    assert (item.registry_id, item.title, item.quantity, item.price, item.url) == (
        registry.pk,
        "Teapot",
        2,
        Decimal("19.90"),
        "https://shop.example/teapot",
    )


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5, "2"])
def test_item_add_refuses_a_quantity_that_is_not_a_whole_number_of_at_least_one(quantity):
    registry = make_registry()

    with pytest.raises(GratitudeError, match="quantity"):
        item_add(registry=registry, title="Teapot", quantity=quantity)

    assert Item.objects.count() == 0


@pytest.mark.parametrize("title", ["", "   "], ids=["empty", "whitespace"])
def test_item_add_refuses_an_empty_title(title):
    with pytest.raises(GratitudeError, match="title"):
        item_add(registry=make_registry(), title=title)

    assert Item.objects.count() == 0


def test_item_add_refuses_a_negative_price():
    with pytest.raises(GratitudeError, match="price"):
        item_add(registry=make_registry(), title="Teapot", price=Decimal("-1"))

    assert Item.objects.count() == 0


def test_item_add_refuses_a_javascript_url():
    with pytest.raises(GratitudeError, match="url"):
        item_add(registry=make_registry(), title="Teapot", url="javascript:alert(1)")

    assert Item.objects.count() == 0


# --- share link ------------------------------------------------------------------------------


def test_registry_share_link_reset_gives_a_new_key():
    registry = make_registry()
    old_key = registry.share_key

    registry_share_link_reset(registry=registry)

    registry.refresh_from_db()
    assert registry.share_key != old_key
    assert len(registry.share_key) >= 20
