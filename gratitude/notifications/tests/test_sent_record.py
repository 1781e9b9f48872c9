"""The record of a sent message (sending/delivery._send): on PostgreSQL it commits without waiting for the
disk, for its own transaction only, and is visible to every other session at once, so a worker's death after
recording can never send it again; the one window it adds, a crash of the database server before the record
reaches the disk, is measured here (docs/notifications.md, "The duplicate windows", 3; docs/safety.md
promise 7). On SQLite nothing changes (its WAL commits already do not wait for the disk)."""

from __future__ import annotations

import statistics
import time

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.sending import delivery
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.testing.smtp import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)

LAZY = "set_config('synchronous_commit', 'off', true)"
# The WAL writer flushes a commit that did not wait within 3 x wal_writer_delay (PostgreSQL's documentation,
# "Asynchronous Commit"); the margin is for a loaded test machine, where the writer itself waits for a core.
MARGIN_SECONDS = 1.0


def _send_one() -> Notification:
    make_gift(item=make_item(registry=make_registry(owner=make_user())))
    ids = delivery.claim_due(worker_id="test:1")
    assert delivery.deliver_claimed(row_ids=ids, worker_id="test:1").sent == 1
    return Notification.objects.get(pk=ids[0])


def _sent_records(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "sent_to" in q["sql"]
    ]


def test_the_sent_record_skips_the_wait_for_the_disk_on_postgresql_only(smtp_settings: SmtpSink) -> None:
    with CaptureQueriesContext(connection) as queries:
        row = _send_one()
    assert row.state == NotificationState.SENT and len(smtp_settings.messages) == 1
    (record,) = _sent_records(queries)
    assert (LAZY in record) == (connection.vendor == "postgresql")


def _window_seconds(row_id: int) -> float:
    """Seconds from the commit of the sent record to the moment the server's WAL is flushed past it: how
    long a crash of the database server would have lost it. Read by a second, independent session."""
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port")}
    ) as other:
        other.autocommit = True
        # Visible to another session as soon as the worker's UPDATE returned: no worker death can undo it.
        state = _one(other, "SELECT state FROM notifications_notification WHERE id = %s", row_id)
        assert state == NotificationState.SENT
        written = _one(other, "SELECT pg_current_wal_insert_lsn()")
        started = time.monotonic()
        while True:
            if _one(other, "SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", written):
                return time.monotonic() - started
            time.sleep(0.002)


def _one(session: psycopg.Connection, sql: str, *params: object) -> object:
    row = session.execute(sql, list(params)).fetchone()
    assert row is not None
    return row[0]


def test_on_postgresql_the_sent_record_is_on_disk_within_three_wal_writer_delays(
    smtp_settings: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; runs in the PostgreSQL pass of `make test`")
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting::int FROM pg_settings WHERE name = 'wal_writer_delay'")
        (delay_ms,) = cursor.fetchone()
    windows = [_window_seconds(_send_one().pk) for _ in range(10)]
    median, longest = 1000 * statistics.median(windows), 1000 * max(windows)
    with capsys.disabled():
        print(
            f"\n[sent record] at risk from a database server crash for median {median:.0f} ms,"
            f" longest {longest:.0f} ms (wal_writer_delay {delay_ms} ms)"
        )
    assert max(windows) <= 3 * delay_ms / 1000 + MARGIN_SECONDS
