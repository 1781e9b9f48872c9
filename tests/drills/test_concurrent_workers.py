"""Concurrent workers (docs/safety.md promise 7): several real worker processes started at once over one
outbox never send a row twice, and every row is delivered, through a real SMTP server.

- PostgreSQL (claims with SELECT ... FOR UPDATE SKIP LOCKED): 4 workers over 5,000 due gift alerts.
- SQLite (claims serialised by an exclusive transaction): 2 workers over 500.

What "delivered exactly once" means here, precisely: every row ends `sent` after exactly one attempt;
the workers together handled exactly as many rows as exist; the server accepted each Message-ID once,
and the accepted Message-IDs are exactly those the rows recorded; each accepted message names (in its
body) exactly the gifts of the rows that recorded it. Alerts to one recipient and registry that a worker
claims together go as one digest message, so a row is counted by the message it recorded, not by
the X-Gratitude-Reference header, which names only a digest's first row.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.db import connection
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.gifts.models import Gift, GiftSource
from gratitude.notifications.models import Notification, NotificationState
from gratitude.registries.models import AlertPreference, Item, MemberRole, Registry, RegistryMember
from gratitude.testing.smtp import SmtpSink
from tests.drills.conftest import REFERENCE, Workers

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "drill-gift-"
_TOKEN_RE = re.compile(rf"{TOKEN}\d+-\d+-\d+")


def _due_gift_alerts(count: int, *, per_registry: int = 1) -> list[Notification]:
    """`count` due gift-alert rows in bulk, `per_registry` gifts on each registry, each registry with one
    verified owner (the recipient). Every item title carries a token naming its row, so the gifts an
    accepted message speaks of can be read back from its body.

    Bulk writes bypass the services (fast set-up for thousands of rows); each row is what
    gifts.notifications.gift_alerts_enqueue would write, except that no wake-up task points at it, so the
    workers find the rows through their sweep of the outbox."""
    assert count % per_registry == 0
    now = timezone.now()
    stamp = time.monotonic_ns()
    n_registries = count // per_registry
    users = User.objects.bulk_create(
        User(
            email=f"drill-{stamp}-{i}@example.test",
            display_name=f"Drill {i}",
            password="!drill-unusable",
            email_verified_at=now,
        )
        for i in range(n_registries)
    )
    registries = Registry.objects.bulk_create(
        Registry(title=f"Drill registry {i}", occasion="birthday") for i in range(n_registries)
    )
    RegistryMember.objects.bulk_create(
        RegistryMember(registry=registry, user=user, role=MemberRole.OWNER, alerts=AlertPreference.INSTANT)
        for registry, user in zip(registries, users, strict=True)
    )
    # Rows are interleaved across registries (row k is on registry k mod n): a worker's batch, taken in
    # due/pk order, holds one row of many groups, and its claims of each group's other rows (delivery.py,
    # `_claim_companions`) contend with the other workers' batch claims.
    owners = [user for _ in range(per_registry) for user in users]
    items = Item.objects.bulk_create(
        Item(registry=registry, title=f"Teapot {TOKEN}{stamp}-{i}-{j}", quantity=1)
        for j in range(per_registry)
        for i, registry in enumerate(registries)
    )
    gifts = Gift.objects.bulk_create(
        Gift(registry=item.registry, item=item, giver_name="Robin", quantity=1, source=GiftSource.GUEST)
        for item in items
    )
    Notification.objects.bulk_create(
        (
            Notification(
                kind="gift_alert",
                recipient=user,
                gift=gift,
                registry=gift.registry,
                idempotency_key=f"gift_alert:gift:{gift.pk}:user:{user.pk}",
                trigger_type="gift",
                trigger_id=gift.pk,
                state=NotificationState.PENDING,
                due_at=now - timedelta(seconds=1),
            )
            for gift, user in zip(gifts, owners, strict=True)
        ),
        batch_size=500,
    )
    rows = list(Notification.objects.select_related("gift__item").order_by("pk"))
    assert len(rows) == count
    return rows


def _gift_tokens(message: EmailMessage) -> set[str]:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return set(_TOKEN_RE.findall(body.get_content()))


def _drill(*, workers: Workers, sink: SmtpSink, n_workers: int, n_rows: int, per_registry: int) -> str:
    rows = _due_gift_alerts(n_rows, per_registry=per_registry)
    token_of = {row.pk: _TOKEN_RE.findall(row.gift.item.title)[0] for row in rows if row.gift}

    started = time.monotonic()
    runs = workers.run_together(n_workers)
    elapsed = time.monotonic() - started

    for run in runs:
        assert run.returncode == 0, run.output
    final = list(Notification.objects.order_by("pk"))
    assert len(final) == n_rows
    not_sent = [
        (row.reference, row.state, row.reason) for row in final if row.state != NotificationState.SENT
    ]
    assert not_sent == []
    # No row was attempted twice: a row claimed by two workers would have been counted by both.
    assert {row.attempts for row in final} == {1}
    # Every row was handled by exactly one worker, and every worker took a share.
    handled = [run.handled for run in runs]
    assert sum(handled) == n_rows
    assert all(count > 0 for count in handled), handled

    # At the server. Every accepted message is one that rows recorded, accepted once ...
    accepted = Counter(str(message["Message-ID"]) for message in sink.messages)
    assert set(accepted.values()) == {1}
    by_message: dict[str, list[Notification]] = defaultdict(list)
    for row in final:
        by_message[row.message_id].append(row)
    assert set(accepted) == set(by_message)
    # ... it speaks of exactly the gifts of the rows that recorded it, to their recipient, under the
    # reference of one of them. Each row records one message, so each row went out in exactly one.
    for message in sink.messages:
        its_rows = by_message[str(message["Message-ID"])]
        assert _gift_tokens(message) == {token_of[row.pk] for row in its_rows}
        assert str(message[REFERENCE]) in {row.reference for row in its_rows}
        assert {str(message["To"])} == {row.sent_to for row in its_rows}
    if per_registry == 1:
        assert sink.count_by_header(REFERENCE) == {row.reference: 1 for row in final}
    sizes = Counter(len(group) for group in by_message.values())
    return (
        f"{n_workers} workers over {n_rows} rows: {elapsed:.1f}s ({n_rows / elapsed:.0f} rows/s), "
        f"{len(sink.messages)} messages (rows per message: {dict(sorted(sizes.items()))}), "
        f"rows per worker {handled}"
    )


def test_four_workers_on_postgresql_send_5000_rows_exactly_once(
    require_postgres: None, workers: Workers, smtp_sink: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    """5,000 gift alerts, 5 on each of 1,000 registries: the workers coalesce a registry's due alerts into
    one message where they claim them together, so this also drives digests and the companion claims
    under contention (and keeps the drill inside its time budget on a 2-core machine)."""
    workers.lease_seconds = 120  # the production default: the drill is about claims, not lease expiry
    # About 2 minutes on an idle 2-core machine (40 rows/s); the bound leaves room for a busy one.
    workers.timeout = 600
    summary = _drill(workers=workers, sink=smtp_sink, n_workers=4, n_rows=5000, per_registry=5)
    with capsys.disabled():
        print(f"\n[drill] postgresql: {summary}")


def test_two_workers_on_sqlite_send_500_rows_exactly_once(
    workers: Workers, smtp_sink: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite only (PostgreSQL has the larger drill above): claims serialised by the exclusive
    transaction. One alert per registry, so exactly one message per row reference."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite claim path; PostgreSQL runs the 4-worker drill")
    workers.lease_seconds = 120
    summary = _drill(workers=workers, sink=smtp_sink, n_workers=2, n_rows=500, per_registry=1)
    with capsys.disabled():
        print(f"\n[drill] sqlite: {summary}")


def test_a_worker_slower_than_its_lease_never_sends_a_row_twice(
    workers: Workers, smtp_sink: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker claims a batch whose sending outlasts its lease (2 s; the server takes 0.3 s a message,
    so 30 rows take 9 s). A second worker re-claims the rows whose lease ran out; the first renews the
    lease of each row just before sending it and drops those it no longer holds (delivery.py,
    `_renew_leases`), so no row is sent by both. Runs on both databases."""
    rows = _due_gift_alerts(30, per_registry=1)
    workers.lease_seconds = 2

    def slow(message: EmailMessage) -> None:
        time.sleep(0.3)

    smtp_sink.respond = slow
    started = time.monotonic()
    slow_proc, slow_log = workers.start()
    # Wait until the slow worker still holds rows whose lease has run out, then start a second one.
    while not Notification.objects.filter(
        state=NotificationState.SENDING, lease_expires_at__lt=timezone.now()
    ).exists():
        assert slow_proc.poll() is None, "the slow worker finished inside its lease: nothing was tested"
        assert time.monotonic() - started < 60
        time.sleep(0.05)
    second = workers.run()
    first = workers.wait(slow_proc, slow_log, started)

    assert first.returncode == 0, first.output
    assert second.returncode == 0, second.output
    assert second.handled > 0  # the second worker really took over rows of the slow one
    assert first.handled + second.handled == len(rows)
    final = list(Notification.objects.order_by("pk"))
    assert {row.state for row in final} == {NotificationState.SENT}
    assert {row.attempts for row in final} == {1}
    assert smtp_sink.count_by_header(REFERENCE) == {row.reference: 1 for row in final}
    with capsys.disabled():
        print(
            f"\n[drill] {connection.vendor}: lease expired mid-batch: slow worker sent {first.handled}, "
            f"second worker took over {second.handled}, each of {len(rows)} rows accepted once"
        )
