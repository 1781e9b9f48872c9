"""Writing to the outbox: the one generic write every domain's enqueue function calls.

Only the services of the event that causes a message write rows, inside their own transaction, so a
rolled-back event leaves no message behind (docs/safety.md promises 1, 2, 6). Each domain decides who the
recipients are and names the trigger; this module stores it in real columns, keeps writes idempotent by key
and queues the wake-up task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from gratitude.notifications.models import Notification


@dataclass(frozen=True)
class Trigger:
    """What caused a row: the model it lives on ("gift", "reservation", "invitation", "address_request",
    "user", "registry", "quiet_delegate", "campaign") and its id. `at` names which moment of the trigger
    the row speaks of when the trigger alone does not: the sending of an invitation that can be re-sent,
    or the archive date a notice gives notice of."""

    type: str
    id: int
    at: datetime | None = None


def outbox_write(
    *,
    kind: str,
    trigger: Trigger,
    recipients: Iterable[int],
    key: Callable[[int], str],
    due_at: datetime | None = None,
    gift_id: int | None = None,
    registry_id: int | None = None,
    wake: bool = True,
) -> list[Notification]:
    """One row of `kind` per recipient id (or the one already written under its idempotency key, which
    `key(recipient_id)` makes and which nothing reads back) and, unless `wake` is False, its wake-up task
    (the worker's sweep finds the row either way)."""
    assert transaction.get_connection().in_atomic_block, "outbox writes belong in the event's transaction"
    due = due_at if due_at is not None else timezone.now()
    return [
        _write_one(
            kind=kind,
            trigger=trigger,
            recipient_id=recipient_id,
            idempotency_key=key(recipient_id),
            due_at=due,
            gift_id=gift_id,
            registry_id=registry_id,
            wake=wake,
        )
        for recipient_id in recipients
    ]


def _write_one(
    *,
    kind: str,
    trigger: Trigger,
    recipient_id: int,
    idempotency_key: str,
    due_at: datetime,
    gift_id: int | None,
    registry_id: int | None,
    wake: bool,
) -> Notification:
    from gratitude.notifications.sending.tasks import deliver_notification

    existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    row = Notification.objects.create(
        kind=kind,
        recipient_id=recipient_id,
        gift_id=gift_id,
        registry_id=registry_id,
        trigger_type=trigger.type,
        trigger_id=trigger.id,
        trigger_at=trigger.at,
        idempotency_key=idempotency_key,
        due_at=due_at,
    )
    if wake and not _wake_up_pending_at(due_at):
        deliver_notification.using(run_after=due_at).enqueue(notification_id=row.pk)
    return row


# A wake-up delivers a whole batch of due rows, so rows due within this much of one already queued share
# it: recording 500 gifts in a minute queues a handful of wake-ups, not 500 (docs/notifications.md, "Cost").
WAKE_UP_SHARED_WITHIN = timedelta(seconds=1)


def _wake_up_pending_at(due_at: datetime) -> bool:
    """Is a wake-up already waiting to run at most WAKE_UP_SHARED_WITHIN before `due_at`? If a worker takes
    it before this transaction commits and misses the row, the worker's next sweep (every second when
    idle) delivers it: a shared wake-up can delay a row by a sweep interval, never lose it."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from gratitude.notifications.sending.tasks import deliver_notification

    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=deliver_notification.module_path,
        run_after__gte=due_at - WAKE_UP_SHARED_WITHIN,
        run_after__lte=due_at,
    ).exists()
