"""The attempt count written before each send (sending/delivery._count_attempt): one fenced statement, and on
PostgreSQL a commit that does not wait for the disk for that statement's transaction only, never for the
record of a sent message (docs/safety.md promise 7)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from gratitude.notifications.models import Notification
from gratitude.notifications.sending import delivery
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _claimed_alert(worker_id: str) -> int:
    make_gift(item=make_item(registry=make_registry(owner=make_user())))
    (row_id,) = delivery.claim_due(worker_id=worker_id)
    return row_id


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('synchronous_commit')")
        return str(cursor.fetchone()[0])


def test_the_attempt_is_counted_only_while_the_lease_is_ours():
    row_id = _claimed_alert("worker-a")
    delivery._count_attempt([row_id], "worker-b")  # not ours: the fence keeps it out
    assert Notification.objects.get(pk=row_id).attempts == 0
    delivery._count_attempt([row_id], "worker-a")
    assert Notification.objects.get(pk=row_id).attempts == 1


def test_on_postgresql_only_the_attempts_own_transaction_skips_the_wait_for_the_disk():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; runs in the PostgreSQL pass of `make test`")
    row_id = _claimed_alert("worker-a")
    assert _synchronous_commit() == "on"
    with transaction.atomic():
        delivery._count_attempt([row_id], "worker-a")
        assert _synchronous_commit() == "off"  # set by the UPDATE, for its transaction
    # Committed: the next statement (a sent record, in autocommit) waits for the disk again.
    assert _synchronous_commit() == "on"
    delivery._count_attempt([row_id], "worker-a")  # in autocommit: its own transaction only
    assert _synchronous_commit() == "on"
    assert Notification.objects.get(pk=row_id).attempts == 2
