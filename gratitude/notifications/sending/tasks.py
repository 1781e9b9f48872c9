"""Background tasks: ids in, a service call out (the outbox row, not the task, is the source of truth)."""

from __future__ import annotations

from django_tasks import task

from gratitude.notifications.sending import delivery


@task()
def deliver_notification(notification_id: int) -> int:
    """Wake-up: deliver a batch of due rows (this one among them, if no other worker has it yet). One
    wake-up serves every row due by then (services.py writes one per moment, not one per row); if it is
    lost, the worker's sweep still delivers the rows. Returns how many rows it handled."""
    return delivery.deliver_due(worker_id=delivery.worker_identity()).handled
