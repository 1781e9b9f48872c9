"""The gift alert's thin path through the outbox and a real SMTP server."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction

from gratitude.gifts.services import gift_cancel
from gratitude.notifications.models import Notification, NotificationState
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_gift_alert_reaches_every_alert_enabled_member_over_smtp(smtp_settings):
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Alex's birthday")
    partner = make_user(display_name="Sam")
    registry_member_add(registry=registry, user=partner)
    gift = make_gift(item=make_item(registry=registry, title="Teapot"), giver_name="Robin")

    call_command("worker", drain=True, verbosity=0)

    rows = Notification.objects.filter(gift=gift).order_by("recipient_id")
    assert [r.state for r in rows] == [NotificationState.SENT, NotificationState.SENT]
    to_owner = smtp_settings.to(owner.email)
    assert len(to_owner) == 1
    message = to_owner[0]
    assert message["X-Gratitude-Kind"] == "gift_alert"
    row = rows.get(recipient=owner)
    assert message["X-Gratitude-Reference"] == row.reference
    assert row.message_id == message["Message-ID"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hi Alex" in body and "Teapot" in body and "Alex's birthday" in body
    assert len(smtp_settings.to(partner.email)) == 1


def test_cancelled_gift_never_alerts(smtp_settings):
    gift = make_gift()
    gift_cancel(gift=gift, reason="changed my mind")

    call_command("worker", drain=True, verbosity=0)

    row = Notification.objects.get(gift=gift)
    assert row.state == NotificationState.SUPPRESSED
    assert row.reason == "gift_cancelled"
    assert smtp_settings.messages == []


def test_rolled_back_gift_leaves_no_outbox_row_and_no_task():
    from django_tasks_db.models import DBTaskResult

    item = make_item()
    tasks_before = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_gift(item=item)
        raise RuntimeError("the business transaction fails after the gift was written")
    assert Notification.objects.count() == 0
    assert DBTaskResult.objects.count() == tasks_before
