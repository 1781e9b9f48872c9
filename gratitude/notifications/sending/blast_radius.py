"""Blast radius: before a batch of one kind goes out, check it is not far larger than its causes allow.

A kind halts (its breaker trips) before the next message when any of these holds (docs/safety.md promise 3):
- one trigger has more live rows than K x the recipients it can legitimately have (GRATITUDE_BLAST_K, 2);
- the kind's sends in the last hour would pass an absolute cap (GRATITUDE_BLAST_CAP_PER_HOUR);
- they would pass M x the kind's trailing hourly baseline over the past week (GRATITUDE_BLAST_M, 5),
  once above a floor that keeps a quiet new site from tripping on its first busy hour.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from gratitude.notifications import conf
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import Kind

_LIVE = (
    NotificationState.PENDING,
    NotificationState.HELD,
    NotificationState.SENDING,
    NotificationState.SENT,
)
WINDOW = timedelta(hours=1)
BASELINE_SPAN = timedelta(days=7)


def excess_in(*, kind: Kind, rows: list[Notification], now: datetime) -> str | None:
    """Why this batch must not go (a reason for the breaker), or None."""
    reason = _per_trigger_excess(kind, rows)
    if reason is not None:
        return reason
    sent = Notification.objects.filter(kind=kind.name, state=NotificationState.SENT)
    in_window = sent.filter(sent_at__gte=now - WINDOW).count() + len(rows)
    cap = conf.blast_cap_per_hour()
    if in_window > cap:
        return f"{in_window} {kind.name} sends in an hour would pass the cap of {cap}"
    earlier = sent.filter(sent_at__gte=now - WINDOW - BASELINE_SPAN, sent_at__lt=now - WINDOW).count()
    baseline_per_hour = earlier / (BASELINE_SPAN / WINDOW)
    ceiling = max(conf.blast_m() * baseline_per_hour, conf.blast_floor_per_hour())
    if in_window > ceiling:
        return (
            f"{in_window} {kind.name} sends in an hour would pass {conf.blast_m()} x the "
            f"trailing baseline ({baseline_per_hour:.1f}/h; ceiling {ceiling:.0f})"
        )
    return None


def _per_trigger_excess(kind: Kind, rows: list[Notification]) -> str | None:
    by_trigger: dict[str, list[Notification]] = defaultdict(list)
    for row in rows:
        by_trigger[kind.trigger_key(row)].append(row)
    live_per_gift = _live_rows_per_gift(kind, rows)
    for key, trigger_rows in by_trigger.items():
        sample = trigger_rows[0]
        if kind.trigger == "gift" and sample.gift_id is not None:
            live = live_per_gift.get(sample.gift_id, 0)
        else:
            live = len(trigger_rows)
        allowed = conf.blast_k() * max(1, kind.recipients_per_trigger(sample))
        if live > allowed:
            return f"{live} {kind.name} rows for one trigger ({key}); at most {allowed} may exist"
    return None


def _live_rows_per_gift(kind: Kind, rows: list[Notification]) -> dict[int, int]:
    """Every live row of this kind for each gift in the batch (not only the batch's), in one query."""
    if kind.trigger != "gift":
        return {}
    gift_ids = {row.gift_id for row in rows if row.gift_id is not None}
    # Filtered on the gift alone, so the database looks the rows up by gift (a handful each) and never
    # walks the kind's whole sending history, as a plan through the (kind, state, sent_at) index did:
    # that cost grew with every alert ever sent (docs/benchmarks.md). Kind and state are checked here.
    live: Counter[int] = Counter()
    for gift_id, row_kind, state in Notification.objects.filter(gift_id__in=gift_ids).values_list(
        "gift_id", "kind", "state"
    ):
        if row_kind == kind.name and state in _LIVE:
            live[gift_id] += 1
    return dict(live)
