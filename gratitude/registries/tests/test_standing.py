"""Honest pages: every member page of a registry says what it truly is while it is paused, archived or closed
by its owner's quiet mode, and none of them then invites giving ("Anyone with this link can see the list and
give") or claims it is findable (docs/registries.md, "Honest pages")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from gratitude.accounts.services import quiet_mode_enable
from gratitude.registries import selectors
from gratitude.registries.models import MemberRole, Registry, Visibility
from gratitude.registries.services.lifecycle import registry_archive
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.services.pause import registry_pause
from gratitude.testing.factories import make_registry, make_user

pytestmark = pytest.mark.django_db

MEMBER_PAGES = [
    "registries:detail",
    "registries:items",
    "registries:people",
    "registries:alerts",
    "registries:settings",
    "registries:pause",
    "member_gifts:list",
    "thanks:list",
]
INVITING = (b"Anyone with this link can see the list and give", b"can also be found by your names in search")


def _owner(registry: Registry):
    return registry.members.get(role=MemberRole.OWNER).user


def _pause(registry: Registry) -> None:
    registry_pause(registry=registry, by=_owner(registry))


def _archive(registry: Registry) -> None:
    registry_archive(registry=registry, by=_owner(registry))


def _quiet_owner(registry: Registry) -> None:
    quiet_mode_enable(user=_owner(registry))


STATES: dict[str, tuple[Callable[[Registry], None], str, bytes]] = {
    "paused": (_pause, "paused-notice", b"Paused: closed to givers"),
    "archived": (_archive, "archived-notice", b"Archived: closed to givers"),
    "owner quiet": (_quiet_owner, "quiet-closed-notice", b"Closed while its owner is in quiet mode: closed"),
}


@pytest.fixture
def public_registry() -> Registry:
    return make_registry(
        owner=make_user(display_name="Alex Rivera"), title="Alex & Sam", visibility=Visibility.PUBLIC
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("page", MEMBER_PAGES)
def test_every_member_page_shows_the_true_state_and_never_invites_giving(public_registry, state, page):
    step_back, notice, _ = STATES[state]
    step_back(public_registry)

    response = _client(_owner(public_registry)).get(reverse(page, args=[public_registry.pk]))

    assert response.status_code == 200
    assert f'data-testid="{notice}"'.encode() in response.content
    for words in INVITING:
        assert words not in response.content


@pytest.mark.parametrize("state", list(STATES))
def test_the_registry_page_and_the_list_name_the_state_instead_of_the_visibility(public_registry, state):
    step_back, _, label = STATES[state]
    client = _client(_owner(public_registry))
    open_detail = client.get(reverse("registries:detail", args=[public_registry.pk])).content
    assert b"Public: findable by name" in open_detail and INVITING[0] in open_detail

    step_back(public_registry)

    detail = client.get(reverse("registries:detail", args=[public_registry.pk])).content
    listing = client.get(reverse("registries:list")).content
    assert b"Public: findable by name" not in detail
    assert label in detail and label in listing
    assert b'data-testid="share-closed"' in detail


def test_an_open_registry_shows_no_closed_notice(public_registry):
    detail = _client(_owner(public_registry)).get(reverse("registries:detail", args=[public_registry.pk]))

    for notice in ("paused-notice", "archived-notice", "quiet-closed-notice", "share-closed"):
        assert f'data-testid="{notice}"'.encode() not in detail.content


def test_the_pause_control_says_it_closes_the_registry_to_givers(public_registry):
    page = _client(_owner(public_registry)).get(reverse("registries:pause", args=[public_registry.pk]))

    assert b"closes \xe2\x80\x9cAlex &amp; Sam\xe2\x80\x9d to givers" in page.content
    assert b"and close it to givers</button>" in page.content


@pytest.mark.parametrize("state", [*STATES, "open"])
def test_the_registry_and_its_standing_in_one_query_say_what_the_two_apart_say(public_registry, state):
    """registry_page_for_member (the registry page's and the Thank You List's one query) against
    registry_for_member + registry_standing, for a co-registrant, who is not the quiet owner."""
    partner = make_user()
    registry_member_add(registry=public_registry, user=partner, role=MemberRole.CO_REGISTRANT)
    if state != "open":
        STATES[state][0](public_registry)

    registry, standing = selectors.registry_page_for_member(user=partner, registry_id=public_registry.pk)

    apart = selectors.registry_for_member(user=partner, registry_id=public_registry.pk)
    assert registry == apart
    assert standing == selectors.registry_standing(registry=apart)
    assert standing.open_to_givers is (state == "open")


def test_the_one_query_page_lookup_is_a_404_for_someone_not_a_member(public_registry):
    with pytest.raises(Http404):
        selectors.registry_page_for_member(user=make_user(), registry_id=public_registry.pk)
