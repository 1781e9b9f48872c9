"""Send controls (docs/safety.md promises 3 and 15, halting part): halt holds, resume releases, status
tells."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from gratitude.notifications.models import Notification, NotificationState
from gratitude.operations.models import AuditEntry, SendControl
from gratitude.operations.services import breaker_trip, sends_halt, sends_resume
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def drain() -> None:
    call_command("worker", drain=True, verbosity=0)


def sends(*args: str) -> str:
    out = StringIO()
    call_command("sends", *args, stdout=out)
    return out.getvalue()


def test_global_halt_holds_every_queued_message_and_resume_delivers_them():
    item = make_item(quantity=500)
    for n in range(300):
        make_gift(item=item, giver_name=f"G{n}")
    sends("halt", "--reason", "investigating a report")

    drain()
    drain()

    assert mail.outbox == []
    assert Notification.objects.filter(state=NotificationState.HELD).count() == 300
    assert Notification.objects.filter(state=NotificationState.SENT).count() == 0

    out = sends("resume")
    assert "300 held released" in out
    drain()
    assert Notification.objects.filter(state=NotificationState.SENT).count() == 300
    sent_ids = set(Notification.objects.values_list("message_id", flat=True))
    assert len(mail.outbox) == len(sent_ids) <= 3  # one recipient and registry: coalesced batches


def test_halting_one_kind_leaves_the_others_running():
    owner = make_user(verified=False)
    gift = make_gift(item=make_item(registry=make_registry(owner=make_user())))
    sends_halt(kind="gift_alert", reason="template bug", by="test")
    from django.db import transaction

    from gratitude.accounts.notifications import account_mail_enqueue

    with transaction.atomic():
        account_mail_enqueue(kind="email_verify", user=owner)

    drain()

    assert Notification.objects.get(gift=gift).state == NotificationState.HELD
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_halt_needs_a_reason_and_a_known_kind():
    with pytest.raises(CommandError, match="reason"):
        call_command("sends", "halt", "--reason", "  ")
    with pytest.raises(CommandError, match="unknown kind"):
        call_command("sends", "halt", "--kind", "nonsense", "--reason", "x")
    assert not SendControl.objects.exists()


def test_every_halt_and_resume_is_audited():
    sends("halt", "--kind", "gift_alert", "--reason", "checking")
    sends("resume", "--kind", "gift_alert", "--reason", "all clear")
    actions = list(AuditEntry.objects.order_by("created_at").values_list("action", "target", "reason"))
    assert actions == [("sends.halt", "gift_alert", "checking"), ("sends.resume", "gift_alert", "all clear")]


def test_status_json_reports_halt_breaker_and_counts():
    make_gift()
    breaker_trip(kind="gift_alert", reason="provenance failed (not_a_member) on row X")
    report = json.loads(sends("status", "--json"))
    gift_alert = report["kinds"]["gift_alert"]
    assert gift_alert["halted"] is True
    assert gift_alert["breaker_open"] is True
    assert "not_a_member" in gift_alert["reason"]
    assert gift_alert["queued"] + gift_alert["held"] == 1
    assert report["all"]["halted"] is False

    sends_resume(kind="gift_alert", by="test")
    drain()
    report = json.loads(sends("status", "--json"))
    assert report["kinds"]["gift_alert"]["breaker_open"] is False
    assert report["kinds"]["gift_alert"]["sent_last_hour"] == 1


def test_status_text_names_each_kind():
    out = sends("status")
    for kind in ("gift_alert", "email_verify", "password_reset"):
        assert kind in out
