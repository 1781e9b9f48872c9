"""Background tasks: ids in, a service call out (the outbox row, not the task, is the source of truth)."""

from __future__ import annotations

from django_tasks import task

from gratitude.notifications import delivery


@task()
def deliver_notification(notification_id: int) -> str:
    """Wake-up for one outbox row. If this task is lost, the worker's sweep still delivers the row."""
    return delivery.deliver_one(notification_id=notification_id, worker_id=delivery.worker_identity())
