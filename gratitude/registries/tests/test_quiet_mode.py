"""Pausing a registry (registries.services.pause.registry_pause / registry_resume), and search and the share
link while it is paused or its owner is in quiet mode (docs/quiet-mode.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.accounts.services import quiet_mode_enable
from gratitude.core.errors import PermissionDenied
from gratitude.gifts.services import gift_record
from gratitude.notifications.models import Notification, NotificationState
from gratitude.registries.models import MemberRole, Registry
from gratitude.registries.selectors import registry_search
from gratitude.registries.services.invitations import registry_invitation_create
from gratitude.registries.services.lifecycle import registry_lifecycle_step
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.services.pause import registry_pause, registry_resume
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


def _state(row: Notification) -> tuple[str, str]:
    row.refresh_from_db()
    return row.state, row.reason


@pytest.mark.parametrize("role", [MemberRole.CO_REGISTRANT, MemberRole.DELEGATE])
def test_any_registrant_or_delegate_may_pause_and_resume(role):
    registry = make_registry()
    member = make_user()
    registry_member_add(registry=registry, user=member, role=role)

    paused = registry_pause(registry=registry, by=member)
    assert paused.paused_at is not None and paused.paused_by == member
    assert registry.paused_at is not None  # the caller's object shows it too

    resumed = registry_resume(registry=registry, by=member)
    assert resumed.paused_at is None and resumed.paused_by is None


def test_someone_who_is_not_a_member_may_not_pause_or_resume():
    owner, stranger = make_user(), make_user()
    registry = make_registry(owner=owner)
    with pytest.raises(PermissionDenied):
        registry_pause(registry=registry, by=stranger)
    assert Registry.objects.get(pk=registry.pk).paused_at is None
    registry_pause(registry=registry, by=owner)
    with pytest.raises(PermissionDenied):
        registry_resume(registry=registry, by=stranger)
    assert Registry.objects.get(pk=registry.pk).paused_at is not None


def test_pausing_twice_keeps_who_paused_it_first():
    owner, partner = make_user(), make_user()
    registry = make_registry(owner=owner)
    registry_member_add(registry=registry, user=partner)
    first = registry_pause(registry=registry, by=owner)
    again = registry_pause(registry=registry, by=partner)
    assert (again.paused_at, again.paused_by) == (first.paused_at, owner)
    registry_resume(registry=registry, by=owner)
    registry_resume(registry=registry, by=owner)
    assert Registry.objects.get(pk=registry.pk).paused_at is None


def test_pausing_cancels_every_waiting_message_about_the_registry_to_anyone():
    owner, partner = make_user(display_name="Alex"), make_user()
    registry = make_registry(owner=owner)
    registry_member_add(registry=registry, user=partner)
    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")
    registry_invitation_create(registry=registry, invited_by=owner, email="kim@example.test", name="Kim")
    other = gift_record(item=make_item(registry=make_registry(owner=owner)), giver_name="Robin")
    about_it = list(Notification.objects.filter(registry=registry))
    assert len(about_it) == 3  # two gift alerts and the invitation
    elsewhere = Notification.objects.get(gift=other)

    registry_pause(registry=registry, by=owner)

    for row in about_it:
        assert _state(row) == (NotificationState.SUPPRESSED, "registry_paused")
    assert _state(elsewhere) == (NotificationState.PENDING, "")
    assert Notification.objects.filter(gift=gift).count() == 2  # cancelled, never deleted


def test_the_archive_notice_of_a_paused_registry_is_cancelled():
    owner = make_user()
    registry = make_registry(owner=owner, event_date=timezone.now().date() - timedelta(days=365))
    registry_lifecycle_step(registry_id=registry.pk)
    notice = Notification.objects.get(kind="registry_archive_notice")

    registry_pause(registry=registry, by=owner)

    assert _state(notice) == (NotificationState.SUPPRESSED, "registry_paused")


def test_gifts_recorded_while_paused_land_silently_and_resume_replays_nothing():
    owner = make_user()
    registry = make_registry(owner=owner)
    registry_pause(registry=registry, by=owner)
    during = gift_record(item=make_item(registry=registry), giver_name="Robin", source="store")

    [row] = Notification.objects.filter(gift=during)
    assert _state(row) == (NotificationState.SUPPRESSED, "registry_paused")
    assert during.is_active and registry.gifts.filter(pk=during.pk).exists()

    # As if a row had slipped through while paused: resuming cancels it rather than releasing it.
    Notification.objects.filter(pk=row.pk).update(state=NotificationState.PENDING, reason="")
    registry_resume(registry=registry, by=owner)
    assert _state(row) == (NotificationState.SUPPRESSED, "registry_paused")

    after = gift_record(item=make_item(registry=registry), giver_name="Kim")
    assert _state(Notification.objects.get(gift=after)) == (NotificationState.PENDING, "")


# --- search and the share link ------------------------------------------------------------------------------


def test_a_paused_registry_leaves_search_and_comes_back_on_resume():
    owner = make_user(display_name="Paula Pause")
    registry = make_registry(owner=owner, visibility="public")
    registry_pause(registry=registry, by=owner)
    assert registry_search(name="Paula") == []
    registry_resume(registry=registry, by=owner)
    assert [r.title for r in registry_search(name="Paula")] == [registry.title]


def test_an_owner_in_quiet_mode_hides_only_their_own_registries():
    quiet = make_user(display_name="Quinn Same")
    other = make_user(display_name="Quinn Same")
    make_registry(owner=quiet, visibility="public", title="Hidden")
    make_registry(owner=other, visibility="public", title="Shown")
    quiet_mode_enable(user=quiet)
    assert [r.title for r in registry_search(name="Quinn Same")] == ["Shown"]


def test_the_share_link_of_a_paused_registry_shows_a_short_neutral_page(client: Client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Baby Rivera is coming", occasion="baby")
    item = make_item(registry=registry, title="Tiny socks")
    registry_pause(registry=registry, by=owner)

    response = client.get(reverse("gifts:shared_registry", args=[registry.share_key]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "isn't open right now" in page
    for word in ("Baby Rivera", "Tiny socks", "Baby", "sorry", "loss", "survey", "feedback"):
        assert word not in page
    give = client.get(reverse("gifts:give", args=[registry.share_key, item.pk]))
    reserve = client.get(reverse("gifts:reserve", args=[registry.share_key, item.pk]))
    assert (give.status_code, reserve.status_code) == (404, 404)


def test_the_share_link_opens_again_after_resume(client: Client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Open again")
    registry_pause(registry=registry, by=owner)
    registry_resume(registry=registry, by=owner)
    response = client.get(reverse("gifts:shared_registry", args=[registry.share_key]))
    assert b"Open again" in response.content


def test_the_share_link_of_a_quiet_owners_registry_is_neutral_too(client: Client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Shh")
    quiet_mode_enable(user=owner)
    response = client.get(reverse("gifts:shared_registry", args=[registry.share_key]))
    assert b"Shh" not in response.content
    assert b"isn&#x27;t open right now" in response.content or b"isn't open right now" in response.content
