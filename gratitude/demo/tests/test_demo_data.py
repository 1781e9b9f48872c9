"""`gratitude demo_data`: loads the demo once (three registries of different occasions, gifts, a group gift
part funded, a hold, a Thank You List in progress, pictures), and a second run changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from gratitude.accounts.models import User
from gratitude.demo.management.commands.demo_data import (
    DEMO_OWNER,
    DEMO_PARTNER,
    DEMO_PASSWORD,
    DEMO_REGISTRIES,
)
from gratitude.gifts.models import Gift, GiftBought, Reservation
from gratitude.notifications.models import Notification
from gratitude.registries.models import Item, Picture, Registry, RegistryMember
from gratitude.registries.selectors import item_availability
from gratitude.thanks.models import ThankYou

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # The demo keeps real picture files: in a throw-away folder, never the developer's var/media.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "registries": Registry.objects.count(),
        "members": RegistryMember.objects.count(),
        "items": Item.objects.count(),
        "gifts": Gift.objects.count(),
        "holds": Reservation.objects.count(),
        "thank-yous": ThankYou.objects.count(),
        "notifications": Notification.objects.count(),
        "pictures": Picture.objects.count(),
    }


def test_demo_data_is_idempotent():
    first_out, second_out = StringIO(), StringIO()

    call_command("demo_data", stdout=first_out)
    after_first = _counts()
    call_command("demo_data", stdout=second_out)

    assert after_first["registries"] == 3
    assert after_first["items"] == sum(len(demo.items) for demo in DEMO_REGISTRIES)
    assert after_first["gifts"] == sum(len(demo.gifts) for demo in DEMO_REGISTRIES)
    assert _counts() == after_first
    assert "Demo data loaded." in first_out.getvalue()
    assert "Demo data already loaded." in second_out.getvalue()


def test_an_older_demo_database_gets_the_registries_it_lacks_and_nothing_twice(monkeypatch):
    from gratitude.demo.management.commands import demo_data

    monkeypatch.setattr(demo_data, "DEMO_REGISTRIES", DEMO_REGISTRIES[:1])  # an earlier demo: one registry
    call_command("demo_data", stdout=StringIO())
    monkeypatch.setattr(demo_data, "DEMO_REGISTRIES", DEMO_REGISTRIES)

    call_command("demo_data", stdout=StringIO())

    titles = sorted(Registry.objects.values_list("title", flat=True))
    assert titles == sorted(demo.title for demo in DEMO_REGISTRIES)
    assert User.objects.count() == 2


def test_the_demo_shows_every_kind_of_gift_and_a_thank_you_list_in_progress():
    call_command("demo_data", stdout=StringIO())

    occasions = set(Registry.objects.values_list("occasion", flat=True))
    assert occasions == {"housewarming", "baby", "birthday"}
    group_gifts = Item.objects.filter(group_gift=True)
    assert group_gifts.count() == 2
    for item in group_gifts:
        assert 0 < item_availability(item=item).percent_funded < 100
    assert set(Gift.objects.values_list("bought", flat=True)) == set(GiftBought.values)
    statuses = set(ThankYou.objects.values_list("status", flat=True))
    assert {"written", "sent"} <= statuses
    assert Gift.objects.filter(received_at__isnull=False).exists()
    assert Reservation.objects.filter(state="held").count() == 1
    # Every gift alerts the registry's members through the real outbox, as any gift does.
    assert Notification.objects.filter(kind="gift_alert").count() == Gift.objects.count() * 2


def test_every_demo_registry_and_item_has_a_picture_kept_by_us(media_root):
    call_command("demo_data", stdout=StringIO())

    assert not Registry.objects.filter(photo__isnull=True).exists()
    assert not Item.objects.filter(picture__isnull=True).exists()
    # Kept as the pipeline keeps any upload: WebP files at its widths, under the media root.
    for picture in Picture.objects.all():
        for width in picture.widths:
            stored = media_root / picture.name(width)
            assert stored.read_bytes()[8:12] == b"WEBP"


def test_demo_logins_work_and_are_verified():
    call_command("demo_data", stdout=StringIO())

    for address in (DEMO_OWNER, DEMO_PARTNER):
        user = User.objects.get(email=address)
        assert user.check_password(DEMO_PASSWORD)
        assert user.email_verified
    for registry in Registry.objects.all():
        roles = sorted(registry.members.values_list("role", flat=True))
        assert roles == ["co_registrant", "owner"]
