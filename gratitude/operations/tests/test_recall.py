"""Recall (docs/safety.md promise 15, correcting part): exactly who received a past send, and a correction to
exactly them under the same approval and canary; and the staff role command, audited."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from gratitude.notifications.models import Notification, NotificationState
from gratitude.operations.campaigns.canary import campaign_advance
from gratitude.operations.campaigns.lifecycle import (
    campaign_approve,
    campaign_edit,
    campaign_freeze,
    campaign_start,
)
from gratitude.operations.models import AuditEntry, Campaign, CampaignKind, CampaignState, Recall
from gratitude.operations.selectors import campaign_fingerprint
from gratitude.operations.tests.support import drain, make_staff
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)

T0 = timezone.now().replace(microsecond=0) - timedelta(days=2)


def alerts_sent_at(moment, *, registries: int = 3) -> list:
    """One gift on each of `registries` new registries, its alert sent at `moment`."""
    owners = []
    with time_machine.travel(moment, tick=False):
        for _ in range(registries):
            owner = make_user()
            make_gift(item=make_item(registry=make_registry(owner=owner)))
            owners.append(owner)
        drain()
    return owners


def recall(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("recall", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def window(start, end) -> list[str]:
    return ["--since", start.isoformat(), "--until", end.isoformat()]


def test_recall_lists_exactly_who_received_the_kind_in_the_window():
    before = alerts_sent_at(T0 - timedelta(hours=1))
    inside = alerts_sent_at(T0 + timedelta(minutes=5))
    after = alerts_sent_at(T0 + timedelta(hours=2))
    # Not sent (suppressed), and another kind, both inside the window: neither is listed.
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        gift = make_gift()
        Notification.objects.filter(gift=gift).update(state=NotificationState.SUPPRESSED, reason="test")
        call_command("sends", "halt", "--kind", "email_verify", "--reason", "quiet")

    out, err = recall("--kind", "gift_alert", *window(T0, T0 + timedelta(hours=1)), "--list")

    assert out.splitlines() == sorted(owner.email for owner in inside)
    assert re.match(r"recall \d+: 3 messages \(gift_alert sent .*\) to 3 recipients", err)
    assert "draft correction" in err
    listed = set(out.splitlines())
    assert not listed & {o.email for o in before + after}
    snapshot = Recall.objects.get()
    sent = Notification.objects.filter(recipient__in=inside, state=NotificationState.SENT)
    assert set(snapshot.messages.values_list("reference", "message_id")) == set(
        sent.values_list("reference", "message_id")
    )


def test_recall_without_list_prints_the_count_on_stdout():
    alerts_sent_at(T0)
    out, _ = recall("--kind", "gift_alert", *window(T0 - timedelta(minutes=1), T0 + timedelta(minutes=1)))
    assert re.match(r"recall \d+: 3 messages \(gift_alert sent ", out.splitlines()[0])
    assert "draft correction" in out.splitlines()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--kind", "gift_alert", "--since", "yesterday", "--until", "2017-09-20T00:00:00Z"],
            "not an ISO 8601",
        ),
        (
            ["--kind", "gift_alert", "--since", "2017-09-19T10:00", "--until", "2017-09-20T00:00Z"],
            "no time zone",
        ),
        (["--kind", "gift_alert", "--since", "2017-09-20T00:00Z", "--until", "2017-09-19T00:00Z"], "before"),
        (
            ["--kind", "nonsense", "--since", "2017-09-19T00:00Z", "--until", "2017-09-20T00:00Z"],
            "unknown kind",
        ),
        (["--kind", "gift_alert"], "give --kind, --since and --until"),
    ],
)
def test_bad_input_is_one_clear_line_and_a_nonzero_exit(args, message):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("recall", *args)
    assert "\n" not in str(caught.value)
    assert not Recall.objects.exists()


def test_the_command_exits_nonzero_from_the_shell(capfd):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(
            ["gratitude", "recall", "--kind", "gift_alert", "--since", "x", "--until", "y"]
        ).execute()
    assert exit_.value.code != 0
    assert capfd.readouterr().err.strip().splitlines()[-1].startswith("CommandError: --since 'x' is not")


def test_a_window_with_nothing_sent_creates_no_correction():
    out, _ = recall("--kind", "gift_alert", *window(T0, T0 + timedelta(hours=1)))
    assert "0 messages" in out
    assert not Campaign.objects.exists()


def test_the_correction_reaches_exactly_the_recalled_recipients(settings):
    settings.GRATITUDE_CANARY_SLICE = "2"
    settings.GRATITUDE_CANARY_WAIT_SECONDS = 0
    settings.GRATITUDE_CAMPAIGN_RATE_PER_HOUR = 3_600_000
    recalled = alerts_sent_at(T0, registries=5)
    bystanders = alerts_sent_at(T0 + timedelta(hours=3), registries=2)
    recall("--kind", "gift_alert", *window(T0 - timedelta(minutes=1), T0 + timedelta(minutes=1)))
    correction = Campaign.objects.get(kind=CampaignKind.CORRECTION)
    writer, approver = make_staff("Writer"), make_staff("Approver")
    quiet = recalled[0]
    quiet.quiet_since = timezone.now()
    quiet.save(update_fields=["quiet_since"])

    # Nobody wrote its text yet: it cannot be approved until someone does.
    frozen = campaign_freeze(campaign=correction, by=approver)
    with pytest.raises(Exception, match="nobody has written"):
        campaign_approve(campaign=frozen, by=approver, fingerprint=campaign_fingerprint(frozen))
    correction = campaign_edit(
        campaign=frozen,
        by=writer,
        title=correction.title,
        subject="A correction to our email about a gift",
        body="The gift alert we sent you was right, but it named the wrong date.",
        audience=correction.audience,
    )
    correction = campaign_freeze(campaign=correction, by=writer)
    assert correction.frozen_count == 4  # five recalled, less the one now in quiet mode
    correction = campaign_approve(
        campaign=correction, by=approver, fingerprint=campaign_fingerprint(correction)
    )
    mail.outbox.clear()
    campaign_start(campaign=correction, by=writer)
    drain()
    campaign_advance(campaign_id=correction.pk)
    drain()
    campaign_advance(campaign_id=correction.pk)

    correction.refresh_from_db()
    assert correction.state == CampaignState.DONE
    assert sorted(m.to[0] for m in mail.outbox) == sorted(o.email for o in recalled[1:])
    assert not {m.to[0] for m in mail.outbox} & {o.email for o in bystanders}
    body = mail.outbox[0].body
    first = Notification.objects.get(recipient__email=mail.outbox[0].to[0], kind="gift_alert")
    assert first.reference in body  # the correction names the message it corrects


def test_granting_and_revoking_staff_is_audited_and_needs_a_reason():
    person = make_user()
    with pytest.raises(CommandError):
        call_command("staff", "grant", person.email)
    out = StringIO()
    call_command("staff", "grant", person.email, "--reason", "joins the on-call rota", stdout=out)
    call_command("staff", "revoke", person.email, "--reason", "left the rota", stdout=out)

    person.refresh_from_db()
    assert not person.is_staff
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "reason")) == [
        ("role.grant_staff", "joins the on-call rota"),
        ("role.revoke_staff", "left the rota"),
    ]
