"""The worker's per-batch guard facts (sending/batch_facts.py): a batch costs a few queries, not a few per
row, and the answers are never older than MAX_AGE_SECONDS when a message goes (a change mid-batch is seen)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gratitude.gifts.models import Gift
from gratitude.gifts.services import gift_cancel
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.sending import batch_facts, delivery
from gratitude.operations.services import sends_halt
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _alerts(count: int) -> list[Gift]:
    return [make_gift(item=make_item(registry=make_registry(owner=make_user()))) for _ in range(count)]


def _drain() -> delivery.DeliveryStats:
    return delivery.deliver_due(worker_id="test-worker")


def test_a_batch_costs_a_constant_number_of_guard_queries_plus_one_write_pair_per_message(smtp_settings):
    _alerts(5)
    with CaptureQueriesContext(connection) as small:
        assert _drain().sent == 5
    _alerts(40)
    with CaptureQueriesContext(connection) as large:
        assert _drain().sent == 40

    # Per message: the attempt count and the recorded outcome. Everything else is per batch. (On
    # PostgreSQL the attempt has a transaction of its own that says not to wait for the disk: transaction
    # control, not a question or a write, so not counted.)
    def statements(queries):
        control = ("BEGIN", "COMMIT", "SET LOCAL synchronous_commit")
        return [q for q in queries.captured_queries if not q["sql"].startswith(control)]

    per_message = (len(statements(large)) - len(statements(small))) / (40 - 5)
    assert per_message <= 2.2, [q["sql"][:80] for q in large.captured_queries]


def test_a_gift_cancelled_mid_batch_is_seen_once_the_facts_are_stale(smtp_settings, monkeypatch):
    first, second = _alerts(2)
    monkeypatch.setattr(batch_facts, "MAX_AGE_SECONDS", 0.0)  # every group re-reads before sending
    real_send = delivery._send

    def send_then_cancel_the_other(group, *args, **kwargs):
        real_send(group, *args, **kwargs)
        if group.rows[0].gift_id == first.pk:
            gift_cancel(gift=Gift.objects.get(pk=second.pk), reason="changed my mind")

    monkeypatch.setattr(delivery, "_send", send_then_cancel_the_other)

    _drain()

    assert Notification.objects.get(gift=first).state == NotificationState.SENT
    late = Notification.objects.get(gift=second)
    assert (late.state, late.reason) == (NotificationState.SUPPRESSED, "gift_cancelled")
    assert len(smtp_settings.messages) == 1


def test_a_halt_mid_batch_holds_the_rest_once_the_facts_are_stale(smtp_settings, monkeypatch):
    first, second, third = _alerts(3)
    monkeypatch.setattr(batch_facts, "MAX_AGE_SECONDS", 0.0)
    real_send = delivery._send

    def send_then_halt(group, *args, **kwargs):
        real_send(group, *args, **kwargs)
        if group.rows[0].gift_id == first.pk:
            sends_halt(reason="drill", by="operator")

    monkeypatch.setattr(delivery, "_send", send_then_halt)

    _drain()

    states = [Notification.objects.get(gift=g).state for g in (first, second, third)]
    assert states == [NotificationState.SENT, NotificationState.HELD, NotificationState.HELD]
    assert len(smtp_settings.messages) == 1


def test_rows_outside_the_batch_are_never_answered_from_it():
    """Provenance asked about a row the batch did not load (the breaker's quarantine does this) must query,
    not read "no such member" from the batch's facts."""
    from gratitude.registries.membership import member_for

    inside, outside = _alerts(2)
    rows = list(Notification.objects.filter(gift=inside).select_related("gift", "recipient"))
    owner_outside = outside.registry.members.get().user_id
    with batch_facts.facts_for(rows):
        assert member_for(registry_id=outside.registry_id, user_id=owner_outside) is not None


def test_an_operator_halt_stops_the_batch_in_hand_without_waiting_for_the_other_facts(
    smtp_settings, monkeypatch
):
    """Halts are asked before every message (re-read every HALT_MAX_AGE_SECONDS), not once a second."""
    first, second, third = _alerts(3)
    monkeypatch.setattr(batch_facts, "MAX_AGE_SECONDS", 3600.0)  # the other answers stay as they are
    monkeypatch.setattr(batch_facts, "HALT_MAX_AGE_SECONDS", 0.0)
    real_send = delivery._send

    def send_then_halt(group, *args, **kwargs):
        real_send(group, *args, **kwargs)
        if group.rows[0].gift_id == first.pk:
            sends_halt(kind="gift_alert", reason="drill", by="operator")

    monkeypatch.setattr(delivery, "_send", send_then_halt)

    _drain()

    rows = [Notification.objects.get(gift=g) for g in (first, second, third)]
    assert [r.state for r in rows] == [NotificationState.SENT, NotificationState.HELD, NotificationState.HELD]
    assert rows[1].reason == "halted: drill"
    assert len(smtp_settings.messages) == 1
