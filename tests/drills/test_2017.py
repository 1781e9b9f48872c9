"""The 2017 drill (docs/safety.md promises 1 and 3): rows forged straight into the outbox, bypassing every
service, must never be delivered; the kind's breaker opens with its reason and an operator alert; after
the operator resumes, the genuine alerts arrive. Through a real SMTP server."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from gratitude.notifications.models import Notification, NotificationState, new_reference
from gratitude.operations.models import OperatorAlert, SendControl
from gratitude.operations.services import sends_resume
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def forge(*, recipient_id: int, gift=None, registry_id=None, tag: str) -> Notification:
    """A row written the way a buggy backfill or an attacker would: straight into the table."""
    return Notification(
        kind="gift_alert",
        recipient_id=recipient_id,
        gift=gift,
        registry_id=registry_id if registry_id is not None else (gift.registry_id if gift else None),
        idempotency_key=f"forged:{tag}",
        reference=new_reference(),
        due_at=timezone.now(),
    )


def test_forged_rows_for_every_user_are_never_delivered(smtp_settings, settings):
    settings.GRATITUDE_BLAST_FLOOR_PER_HOUR = 100_000
    bystanders = [make_user() for _ in range(500)]
    registries = []
    owners = []
    for _ in range(5):
        owner = make_user()
        owners.append(owner)
        registries.append(make_registry(owner=owner))
    gifts = [make_gift(item=make_item(registry=registries[n % 5])) for n in range(12)]
    genuine = set(Notification.objects.values_list("pk", flat=True))
    assert len(genuine) == 12

    forged = [
        forge(recipient_id=user.pk, gift=gifts[n % 12], tag=f"wrong-recipient-{user.pk}")
        for n, user in enumerate(bystanders)
    ]
    forged += [
        forge(recipient_id=user.pk, registry_id=registries[0].pk, tag=f"no-gift-{user.pk}")
        for user in bystanders[:100]
    ]
    Notification.objects.bulk_create(forged)

    call_command("worker", drain=True, verbosity=0)

    bystander_addresses = {u.email for u in bystanders}
    assert not [m for m in smtp_settings.messages if str(m["To"]) in bystander_addresses]
    forged_rows = Notification.objects.exclude(pk__in=genuine)
    assert forged_rows.count() == 600
    assert set(forged_rows.values_list("state", flat=True)) == {NotificationState.SUPPRESSED}
    assert set(forged_rows.values_list("reason", flat=True)) <= {"not_a_member", "no_gift"}

    breaker = SendControl.objects.get(kind="gift_alert")
    assert breaker.halted and breaker.source == SendControl.Source.BREAKER
    assert "blast radius" in breaker.reason or "provenance" in breaker.reason
    assert OperatorAlert.objects.filter(kind="gift_alert").count() == 1
    # Fail closed: the genuine alerts wait for an operator rather than racing the breaker.
    assert not Notification.objects.filter(pk__in=genuine, state=NotificationState.SENT).exists()

    sends_resume(kind="gift_alert", by="operator:test", reason="forged rows suppressed")
    call_command("worker", drain=True, verbosity=0)

    assert set(Notification.objects.filter(pk__in=genuine).values_list("state", flat=True)) == {
        NotificationState.SENT
    }
    assert {str(m["To"]) for m in smtp_settings.messages} <= {o.email for o in owners}
    assert len(smtp_settings.messages) == len(
        set(Notification.objects.filter(pk__in=genuine).values_list("message_id", flat=True))
    )
    assert not SendControl.objects.get(kind="gift_alert").halted


def test_one_trigger_with_a_thousand_recipients_sends_nothing(smtp_settings, settings):
    settings.GRATITUDE_BLAST_FLOOR_PER_HOUR = 100_000
    owner = make_user()
    gift = make_gift(item=make_item(registry=make_registry(owner=owner)))
    others = [make_user() for _ in range(1000)]
    Notification.objects.bulk_create(
        forge(recipient_id=user.pk, gift=gift, tag=f"fanout-{user.pk}") for user in others
    )

    call_command("worker", drain=True, verbosity=0)

    assert smtp_settings.messages == []
    assert not Notification.objects.filter(state=NotificationState.SENT).exists()
    breaker = SendControl.objects.get(kind="gift_alert")
    assert breaker.halted and breaker.source == SendControl.Source.BREAKER
    assert "blast radius" in breaker.reason
    assert OperatorAlert.objects.filter(kind="gift_alert").exists()
