"""Writing to the outbox. Only the services of the event that causes a message call these, inside
their own transaction, so a rolled-back event leaves no message behind (SAFETY.md promises 1, 2, 6)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.gifts.models import Gift
from gratitude.notifications.kinds import EMAIL_VERIFY, GIFT_ALERT, PASSWORD_RESET
from gratitude.notifications.models import Notification
from gratitude.registries.models import AlertPreference, RegistryMember

ACCOUNT_MAIL_KINDS = {EMAIL_VERIFY.name, PASSWORD_RESET.name}


def _write(
    *,
    kind: str,
    recipient_id: int,
    idempotency_key: str,
    due_at: datetime,
    gift: Gift | None = None,
) -> Notification:
    """Write one outbox row (or return the one already written for this key) and its wake-up task."""
    from gratitude.notifications.tasks import deliver_notification

    assert transaction.get_connection().in_atomic_block, "outbox writes belong in the event's transaction"
    existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    row = Notification.objects.create(
        kind=kind,
        recipient_id=recipient_id,
        gift=gift,
        registry_id=gift.registry_id if gift is not None else None,
        idempotency_key=idempotency_key,
        due_at=due_at,
    )
    deliver_notification.using(run_after=due_at).enqueue(notification_id=row.pk)
    return row


def notification_enqueue_gift_alerts(*, gift: Gift) -> list[Notification]:
    """One gift-alert intent per alert-enabled member of the gift's registry. The recipients come from
    the registry, never from the caller."""
    due_at = timezone.now() + timedelta(seconds=settings.GRATITUDE_ALERT_SETTLE_SECONDS)
    members = RegistryMember.objects.filter(registry_id=gift.registry_id).exclude(alerts=AlertPreference.OFF)
    return [
        _write(
            kind=GIFT_ALERT.name,
            recipient_id=member.user_id,
            gift=gift,
            idempotency_key=f"gift_alert:gift:{gift.pk}:user:{member.user_id}",
            due_at=due_at,
        )
        for member in members.order_by("pk")
    ]


def notification_enqueue_account_mail(*, kind: str, user: User) -> Notification:
    """Sign-up verification and password-reset mail: the trigger is the person's own request."""
    if kind not in ACCOUNT_MAIL_KINDS:
        raise ValueError(f"{kind!r} is not an account mail kind")
    # Each request is its own trigger; the token inside is made at send time, so it is always fresh.
    return _write(
        kind=kind,
        recipient_id=user.pk,
        idempotency_key=f"{kind}:user:{user.pk}:request:{uuid.uuid4().hex}",
        due_at=timezone.now(),
    )
