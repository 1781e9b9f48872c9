"""Pacing (docs/safety.md promise 11): settle, digests, quiet hours, alert preferences, surprise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from gratitude.gifts.services import gift_cancel
from gratitude.notifications.models import Notification, NotificationState
from gratitude.registries.models import RegistryMember
from gratitude.registries.services.members import registry_member_set_alerts
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, noon UTC


def drain() -> None:
    call_command("worker", drain=True, verbosity=0)


@pytest.fixture
def paced(settings):
    settings.GRATITUDE_ALERT_SETTLE_SECONDS = 600
    settings.GRATITUDE_DIGEST_WINDOW_SECONDS = 3600
    settings.GRATITUDE_QUIET_HOURS = "21-8"
    return settings


def test_burst_of_fifty_gifts_becomes_one_email_and_every_row_records_its_outcome(paced):
    with time_machine.travel(START, tick=False) as clock:
        owner = make_user(display_name="Alex")
        item = make_item(registry=make_registry(owner=owner), quantity=100)
        for n in range(50):
            make_gift(item=item, giver_name=f"Giver {n}")
            clock.shift(timedelta(seconds=5))
        drain()
        assert mail.outbox == []  # still settling
        clock.shift(timedelta(minutes=15))
        drain()
        drain()

    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Giver 0" in body and "Giver 49" in body
    rows = Notification.objects.filter(recipient=owner)
    assert rows.count() == 50
    assert set(rows.values_list("state", flat=True)) == {NotificationState.SENT}
    assert len(set(rows.values_list("message_id", flat=True))) == 1


def test_buy_then_cancel_inside_the_settle_time_never_alerts(paced):
    with time_machine.travel(START, tick=False) as clock:
        gift = make_gift()
        clock.shift(timedelta(minutes=3))
        gift_cancel(gift=gift)
        clock.shift(timedelta(minutes=20))
        drain()
    assert mail.outbox == []
    row = Notification.objects.get(gift=gift)
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "gift_cancelled")


def test_a_gift_at_two_in_the_morning_local_is_delivered_at_eight(paced):
    night_in_new_york = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 02:00 EST
    with time_machine.travel(night_in_new_york, tick=False) as clock:
        owner = make_user(timezone="America/New_York")
        gift = make_gift(item=make_item(registry=make_registry(owner=owner)))
        clock.shift(timedelta(minutes=11))
        drain()
        assert mail.outbox == []
        row = Notification.objects.get(gift=gift)
        assert row.state == NotificationState.PENDING
        assert row.reason == "quiet_hours"
        assert row.due_at == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)  # 08:00 EST
        clock.move_to(row.due_at)
        drain()
    assert len(mail.outbox) == 1


def test_quiet_hours_follow_each_recipients_own_time_zone(paced):
    noon_utc = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo, 12:00 in London
    with time_machine.travel(noon_utc - timedelta(minutes=11), tick=False) as clock:
        london = make_user(timezone="Europe/London")
        tokyo = make_user(timezone="Asia/Tokyo")
        registry = make_registry(owner=london)
        RegistryMember.objects.create(registry=registry, user=tokyo, role="co_registrant")
        make_gift(item=make_item(registry=registry))
        clock.shift(timedelta(minutes=11))
        drain()
    assert [m.to for m in mail.outbox] == [[london.email]]
    assert Notification.objects.get(recipient=tokyo).reason == "quiet_hours"


def test_second_alert_within_the_window_waits_and_goes_as_one_digest(paced):
    with time_machine.travel(START, tick=False) as clock:
        owner = make_user()
        item = make_item(registry=make_registry(owner=owner), quantity=10)
        make_gift(item=item, giver_name="First")
        clock.shift(timedelta(minutes=11))
        drain()
        assert len(mail.outbox) == 1
        make_gift(item=item, giver_name="Second")
        make_gift(item=item, giver_name="Third")
        clock.shift(timedelta(minutes=11))
        drain()
        assert len(mail.outbox) == 1  # the window since the first alert is still open
        clock.shift(timedelta(minutes=50))
        drain()
    assert len(mail.outbox) == 2
    assert "Second" in mail.outbox[1].body and "Third" in mail.outbox[1].body
    assert mail.outbox[1].subject == f"2 gifts on “{item.registry.title}”"


def test_daily_digest_preference_waits_for_the_digest_hour(paced):
    paced.GRATITUDE_DIGEST_HOUR = 18
    with time_machine.travel(START, tick=False) as clock:
        owner = make_user()
        registry = make_registry(owner=owner)
        registry_member_set_alerts(member=registry.members.get(user=owner), alerts="digest")
        make_gift(item=make_item(registry=registry))
        clock.shift(timedelta(minutes=11))
        drain()
        assert mail.outbox == []
        clock.move_to(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
        drain()
    assert len(mail.outbox) == 1


def test_alerts_off_member_gets_nothing_but_the_gift_is_still_recorded(paced):
    with time_machine.travel(START, tick=False) as clock:
        owner = make_user()
        registry = make_registry(owner=owner)
        gift = make_gift(item=make_item(registry=registry))
        # Switched off after the gift was recorded, before it was sent: re-checked at send time.
        registry_member_set_alerts(member=registry.members.get(user=owner), alerts="off")
        clock.shift(timedelta(minutes=11))
        drain()
    assert mail.outbox == []
    assert Notification.objects.get(gift=gift).reason == "alerts_off"
    assert registry.gifts.filter(pk=gift.pk).exists()


def test_surprise_mode_alert_names_neither_item_nor_giver():
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, surprise="covered_only")
    make_gift(item=make_item(registry=registry, title="Secret Teapot"), giver_name="Robin Secret")
    drain()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    for text in (str(message.subject), str(message.body), html):
        assert "Secret Teapot" not in text
        assert "Robin Secret" not in text
    assert registry.title in message.body
