"""The store-event worker's task and its wake-up. The pending StoreEvent rows, not the task, are the source
of truth: the `gratitude worker` sweep applies them even if a wake-up is lost."""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from gratitude.notifications.outbox.writes import WAKE_UP_SHARED_WITHIN


@task()
def apply_store_events() -> int:
    """Wake-up: apply the pending store events, oldest first per store. Returns how many it applied."""
    from gratitude.api.event_worker import store_events_apply_pending

    return store_events_apply_pending()


# When this process last committed an event with a wake-up known to be waiting (time.monotonic()).
_wake_up_seen_at = [float("-inf")]


def store_events_wake_up_due() -> bool:
    """False within WAKE_UP_SHARED_WITHIN of this process's last committed event with a wake-up known to be
    waiting: that wake-up serves the next events too, and they need neither the check nor a transaction."""
    return time.monotonic() - _wake_up_seen_at[0] >= WAKE_UP_SHARED_WITHIN.total_seconds()


def store_events_wake_up() -> None:
    """Queue one wake-up for the worker unless one queued within WAKE_UP_SHARED_WITHIN still waits: a store
    posting 500 events a second queues a handful of tasks, not 500, as the outbox does. If a worker takes
    that wake-up before this transaction commits and misses the event, its next sweep (every second) applies
    it: a shared wake-up can delay an event by a sweep interval, never lose it.

    Within WAKE_UP_SHARED_WITHIN of this process's last committed event, even the check is skipped (it was
    a sixth of the request's CPU): the wake-up seen then serves this event too, with the same guarantee."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    assert transaction.get_connection().in_atomic_block, "the wake-up belongs in the event's transaction"
    if not store_events_wake_up_due():
        return
    now = timezone.now()
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=apply_store_events.module_path,
        run_after__gte=now - WAKE_UP_SHARED_WITHIN,
    ).exists()
    if not waiting:
        apply_store_events.using(run_after=now).enqueue()
    # Noted only once committed: an event rolled back has woken nobody.
    transaction.on_commit(_note_wake_up)


def _note_wake_up() -> None:
    _wake_up_seen_at[0] = time.monotonic()
