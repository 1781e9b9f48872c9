"""The share page's cache (gifts/share_cache.py, registries/versions.py): guests are served a kept list, and
every write that changes what the page shows is on the very next request, from any browser. No stale list,
and never a status a registrant keeping the surprise must not see."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gratitude.accounts.services import quiet_mode_enable
from gratitude.gifts.models import Reservation
from gratitude.gifts.services import gift_cancel, reservation_create, reservation_release
from gratitude.registries.services.items import item_archive, item_update
from gratitude.registries.services.pause import registry_pause
from gratitude.registries.services.registries import registry_share_link_reset, registry_update
from gratitude.registries.versions import registry_version, registry_version_bump
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

RESTING = "This registry isn't open right now"


@pytest.fixture
def listed():
    owner = make_user(display_name="Robin")
    registry = make_registry(owner=owner, title="Housewarming", occasion="wedding")
    item = make_item(registry=registry, title="Napkins", quantity=4)
    return owner, registry, item


def _url(registry) -> str:
    return reverse("gifts:shared_registry", args=[registry.share_key])


def _guest_sees(registry) -> str:
    """The page as a new guest's browser gets it (no session, nothing shared with earlier requests)."""
    response = Client().get(_url(registry))
    return f"{response.status_code} {response.content.decode()}"


def _settings(registry, owner, **changes):
    fields = {
        "title": registry.title,
        "occasion": registry.occasion,
        "event_date": registry.event_date,
        "visibility": registry.visibility,
        "surprise": registry.surprise,
    }
    return registry_update(registry=registry, by=owner, **{**fields, **changes})


def test_a_second_guest_is_served_the_kept_list_with_fewer_queries(listed):
    _, registry, _ = listed
    with CaptureQueriesContext(connection) as cold:
        assert "4 of 4" in _guest_sees(registry)
    with CaptureQueriesContext(connection) as warm:
        assert "4 of 4" in _guest_sees(registry)
    assert len(warm) < len(cold)


def test_a_gift_and_its_cancelling_are_on_the_next_request(listed):
    _, registry, item = listed
    assert "4 of 4" in _guest_sees(registry)
    gift = make_gift(item=item, quantity=1)
    assert "3 of 4" in _guest_sees(registry)
    gift_cancel(gift=gift)
    assert "4 of 4" in _guest_sees(registry)


def test_a_hold_and_its_release_are_on_the_next_request(listed):
    _, registry, item = listed
    assert "4 of 4" in _guest_sees(registry)
    hold = reservation_create(item=item, giver_name="Sam", quantity=2)
    assert "2 of 4" in _guest_sees(registry)
    reservation_release(reservation=hold)
    assert "4 of 4" in _guest_sees(registry)


def test_a_hold_that_lapses_by_itself_ends_the_kept_list_with_it(listed):
    _, registry, item = listed
    hold = reservation_create(item=item, giver_name="Sam", quantity=2)
    # No write marks a lapse: the hold just reaches its end. Bring the end close (no save, no bump).
    Reservation.objects.filter(pk=hold.pk).update(expires_at=timezone.now() + timedelta(seconds=1.5))
    assert "2 of 4" in _guest_sees(registry)
    time.sleep(1.7)
    assert "4 of 4" in _guest_sees(registry)


def test_an_item_edit_archive_and_new_item_are_on_the_next_request(listed):
    _, registry, item = listed
    assert "Napkins" in _guest_sees(registry)
    item = item_update(item=item, title="Linen napkins", quantity=6, price=None)
    page = _guest_sees(registry)
    assert "Linen napkins" in page
    assert "6 of 6" in page
    make_item(registry=registry, title="Teapot", quantity=1)
    assert "Teapot" in _guest_sees(registry)
    item_archive(item=item)
    assert "Linen napkins" not in _guest_sees(registry)


def test_moving_an_item_is_on_the_next_request(listed, client):
    owner, registry, _ = listed
    second = make_item(registry=registry, title="Teapot", quantity=1)
    page = _guest_sees(registry)
    assert page.index("Napkins") < page.index("Teapot")
    client.force_login(owner)
    moved = client.post(reverse("registries:item_move", args=[registry.pk, second.pk, "up"]))
    assert moved.status_code == 302
    page = _guest_sees(registry)
    assert page.index("Teapot") < page.index("Napkins")


def test_a_registrant_who_turns_on_covered_only_sees_no_status_on_the_next_request(listed, client):
    owner, registry, item = listed
    make_gift(item=item, quantity=1)
    client.force_login(owner)
    assert "3 of 4" in client.get(_url(registry)).content.decode()  # the list is now kept, status and all
    _settings(registry, owner, surprise="covered_only")
    page = client.get(_url(registry)).content.decode()
    assert "Napkins" in page
    assert "3 of 4" not in page
    assert "3 of 4" in _guest_sees(registry)  # guests still see what is wanted


def test_a_reset_link_and_a_private_registry_are_closed_on_the_next_request(listed):
    owner, registry, _ = listed
    old_url = _url(registry)
    assert Client().get(old_url).status_code == 200
    registry = registry_share_link_reset(registry=registry)
    assert Client().get(old_url).status_code == 404
    page = _guest_sees(registry)
    assert page.startswith("200") and "Napkins" in page
    assert reverse("gifts:give", args=[registry.share_key, registry.items.get().pk]) in page
    _settings(registry, owner, visibility="private")
    assert _guest_sees(registry).startswith("404")


def test_the_title_pausing_and_quiet_mode_are_on_the_next_request(listed):
    owner, registry, _ = listed
    assert "Housewarming" in _guest_sees(registry)
    registry = _settings(registry, owner, title="New home")
    assert "New home" in _guest_sees(registry)
    quiet_mode_enable(user=owner)
    assert RESTING in _guest_sees(registry)


def test_pausing_is_on_the_next_request(listed):
    owner, registry, _ = listed
    assert "Napkins" in _guest_sees(registry)
    registry_pause(registry=registry, by=owner)
    assert RESTING in _guest_sees(registry)


def test_a_registrants_new_name_is_on_the_next_request(listed):
    owner, registry, _ = listed
    assert "Robin" in _guest_sees(registry)
    owner.display_name = "Robin Rivera-Okafor"
    owner.save()
    assert "Robin Rivera-Okafor" in _guest_sees(registry)


def test_the_version_changes_again_when_the_write_commits(listed, django_capture_on_commit_callbacks):
    _, registry, _ = listed
    before = registry_version(registry_id=registry.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        registry_version_bump(registry.pk)
        during = registry_version(registry_id=registry.pk)
    assert len(callbacks) == 1
    assert len({before, during, registry_version(registry_id=registry.pk)}) == 3
