"""The per-trigger blast-radius ceiling (sending/blast_radius.py): it counts only the live rows of the kind
for the gift, wherever they are (not only in the batch), and its query looks rows up by gift, so its cost does
not grow with the kind's sending history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gratitude.gifts.notifications import GIFT_ALERT
from gratitude.notifications.models import Notification, NotificationState, new_reference
from gratitude.notifications.sending import batch_facts, blast_radius
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


def _extra_row(gift, *, kind: str = "gift_alert", state: str = NotificationState.PENDING, tag: str):
    return Notification.objects.create(
        kind=kind,
        recipient=make_user(),
        gift=gift,
        registry_id=gift.registry_id,
        idempotency_key=f"extra:{tag}",
        reference=new_reference(),
        due_at=timezone.now(),
        state=state,
    )


def _check(gift):
    rows = list(Notification.objects.filter(gift=gift, kind="gift_alert", state=NotificationState.PENDING))
    with batch_facts.facts_for(rows):
        return blast_radius.excess_in(kind=GIFT_ALERT, rows=rows[:1], now=timezone.now())


def test_rows_that_are_not_live_or_of_another_kind_do_not_count(settings):
    settings.GRATITUDE_BLAST_K = 2
    gift = make_gift(item=make_item(registry=make_registry(owner=make_user())))  # one member: ceiling 2
    _extra_row(gift, state=NotificationState.SUPPRESSED, tag="suppressed")
    _extra_row(gift, state=NotificationState.CANCELLED, tag="cancelled")
    _extra_row(gift, kind="gift_receipt", tag="receipt-1")
    _extra_row(gift, kind="gift_receipt", tag="receipt-2")

    assert _check(gift) is None


def test_live_rows_outside_the_batch_count_against_the_ceiling(settings):
    settings.GRATITUDE_BLAST_K = 2
    gift = make_gift(item=make_item(registry=make_registry(owner=make_user())))
    _extra_row(gift, state=NotificationState.SENT, tag="sent")  # the genuine row + 1 = 2: at the ceiling
    assert _check(gift) is None

    _extra_row(gift, state=NotificationState.HELD, tag="held")  # 3 live rows for a one-member registry

    reason = _check(gift)
    assert reason is not None and "3 gift_alert rows for one trigger" in reason


def test_the_live_row_count_is_looked_up_by_gift_alone():
    gift = make_gift(item=make_item(registry=make_registry(owner=make_user())))
    rows = list(Notification.objects.filter(gift=gift))
    with CaptureQueriesContext(connection) as queries:
        blast_radius._live_rows_per_gift(GIFT_ALERT, rows)
    (query,) = queries.captured_queries
    where = query["sql"].split("WHERE", 1)[1]
    # A filter on kind or state lets the planner walk the (kind, state, sent_at) index: every alert sent.
    assert '"gift_id" IN' in where and '"kind"' not in where and '"state"' not in where
