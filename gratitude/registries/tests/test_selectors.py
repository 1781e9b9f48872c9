"""Registry reads: public search reveals only what it should, and every read is scoped to who asks."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from gratitude.gifts.services import gift_contribute
from gratitude.registries.models import Registry
from gratitude.registries.selectors import (
    SearchResult,
    invitation_for_token,
    item_for_share_key,
    items_with_availability,
    member_for,
    registry_search,
)
from gratitude.registries.services.invitations import registry_invitation_create
from gratitude.registries.services.items import item_add, item_add_off_list, item_archive
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.tokens import make_invitation_token
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


def _public(owner_name: str, **fields_: object) -> Registry:
    fields_.setdefault("title", f"{owner_name}'s registry")
    return make_registry(owner=make_user(display_name=owner_name), visibility="public", **fields_)


def _titles(results: list[SearchResult]) -> list[str]:
    return [result.title for result in results]


# --- search ------------------------------------------------------------------------------------


def test_search_finds_a_public_registry_by_any_registrants_name_prefix_case_and_accents_aside():
    registry = _public("Zoë Okafor", title="Zoë & Sam's wedding")
    registry_member_add(registry=registry, user=make_user(display_name="Sam Rivera"))

    for query in ("zoe", "ZOË", "Okaf", "zoe okafor", "sam riv", "rivera zo"):
        assert _titles(registry_search(name=query)) == ["Zoë & Sam's wedding"], query


def test_search_requires_every_word_and_at_least_two_letters():
    _public("Alex Rivera")

    assert registry_search(name="alex smith") == []
    assert registry_search(name="a") == []
    assert registry_search(name="  ") == []
    assert registry_search(name="%") == []


@pytest.mark.parametrize("visibility", ["link", "private"])
def test_link_only_and_private_registries_never_show_in_search(visibility):
    make_registry(owner=make_user(display_name="Hidden Person"), visibility=visibility)

    assert registry_search(name="hidden") == []


def test_paused_and_archived_registries_never_show_in_search():
    paused = _public("Paused Person")
    Registry.objects.filter(pk=paused.pk).update(paused_at=timezone.now())
    archived = _public("Archived Person")
    Registry.objects.filter(pk=archived.pk).update(archived_at=timezone.now())

    assert registry_search(name="paused") == []
    assert registry_search(name="archived") == []


def test_a_delegates_name_and_any_email_address_do_not_find_a_registry():
    registry = _public("Alex Rivera")
    registry_member_add(registry=registry, user=make_user(display_name="Helper Hank"), role="delegate")
    owner_email = registry.members.get(role="owner").user.email

    assert registry_search(name="hank") == []
    assert registry_search(name=owner_email) == []
    assert registry_search(name=owner_email.split("@")[0]) == []


def test_search_filters_by_event_month():
    _public("Alex June", title="June", event_date=date(2031, 6, 14))
    _public("Alex July", title="July", event_date=date(2031, 7, 1))
    _public("Alex December", title="December", event_date=date(2031, 12, 31))

    assert _titles(registry_search(name="alex", month=date(2031, 6, 1))) == ["June"]
    assert _titles(registry_search(name="alex", month=date(2031, 12, 1))) == ["December"]
    assert registry_search(name="alex", month=date(2030, 6, 1)) == []


def test_city_narrows_search_only_where_the_registrants_chose_to_show_it():
    shown = _public("Alex Shown", title="Shown")
    Registry.objects.filter(pk=shown.pk).update(city="Lyon", show_city_region=True)
    hidden = _public("Alex Hidden", title="Hidden")
    Registry.objects.filter(pk=hidden.pk).update(city="Lyon", show_city_region=False)

    assert _titles(registry_search(name="alex", city="lyon")) == ["Shown"]


def test_search_results_reveal_only_title_names_and_event_month():
    registry = _public("Alex Rivera", title="Alex's baby", event_date=date(2031, 3, 14))
    Registry.objects.filter(pk=registry.pk).update(
        city="Lyon", show_city_region=True, shipping_address="1 Rue"
    )
    registry_member_add(registry=registry, user=make_user(display_name="Sam Okafor"))

    [result] = registry_search(name="alex")

    assert {f.name for f in fields(SearchResult)} == {"title", "names", "event_month", "share_key"}
    assert result.names == ["Alex Rivera", "Sam Okafor"]
    assert result.event_month == date(2031, 3, 1)  # the month only, never the day
    assert result.share_key == registry.share_key  # a public registry's own link


# --- scoping -----------------------------------------------------------------------------------


def test_member_for_answers_404_to_anyone_else():
    registry = make_registry()

    with pytest.raises(Http404):
        member_for(user=make_user(), registry_id=registry.pk)
    with pytest.raises(Http404):
        member_for(user=make_user(), registry_id=999_999)


def test_archived_and_off_list_items_are_not_on_the_guests_list():
    registry = make_registry()
    kept = item_add(registry=registry, title="Kept")
    archived = item_add(registry=registry, title="Archived")
    item_archive(item=archived)
    off_list = item_add_off_list(registry=registry, title="From grandma")

    assert [row.item.title for row in items_with_availability(registry=registry)] == ["Kept"]
    assert item_for_share_key(share_key=registry.share_key, item_id=kept.pk) == kept
    assert item_for_share_key(share_key=registry.share_key, item_id=archived.pk) is None
    assert item_for_share_key(share_key=registry.share_key, item_id=off_list.pk) is None


def test_a_group_gift_shows_its_progress():
    item = make_item(quantity=1, price=Decimal("200.00"), group_gift=True)
    gift_contribute(item=item, giver_name="Robin", amount=Decimal("50"))
    gift_contribute(item=item, giver_name="Sam", amount=Decimal("25.50"))

    [row] = items_with_availability(registry=item.registry)

    assert (row.contributed, row.still_needed, row.percent_funded, row.still_wanted) == (
        Decimal("75.50"),
        Decimal("124.50"),
        37,
        1,
    )


def test_an_invitation_link_opens_only_its_own_invitation():
    owner = make_user()
    registry = make_registry(owner=owner)
    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name="S"
    )
    token = make_invitation_token(invitation)

    assert invitation_for_token(token=token) == invitation
    assert invitation_for_token(token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert invitation_for_token(token="") is None
    # A token for the same invitation id but another address (as if the row were re-pointed) opens nothing.
    type(invitation).objects.filter(pk=invitation.pk).update(email="other@example.test")
    assert invitation_for_token(token=token) is None
