"""Pacing: when a group of due rows (one recipient, one registry, one kind) may go. Never drops, only defers.

- quiet hours in the recipient's own time zone (GRATITUDE_QUIET_HOURS, e.g. "21-8"): defer to their end;
- the member's alert choice: "digest" waits for the daily digest hour (GRATITUDE_DIGEST_HOUR, local);
- coalescing: while gifts are still settling the group waits for them (up to one digest window), and one
  recipient gets at most one message per GRATITUDE_DIGEST_WINDOW_SECONDS, so a burst becomes one message.
The settle delay itself is the row's `due_at` (services.py). See docs/notifications.md, "Pacing".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max

from gratitude.notifications import conf
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import Kind
from gratitude.notifications.sending import batch_facts
from gratitude.notifications.sending.ports import registry_facts


@dataclass(frozen=True)
class Deferral:
    until: datetime
    reason: str


def quiet_hours() -> tuple[int, int] | None:
    """(start, end) hours from GRATITUDE_QUIET_HOURS ("21-8"), or None for "off"."""
    value = conf.quiet_hours().strip().lower()
    if value in {"off", ""}:
        return None
    try:
        start, end = (int(part) for part in value.split("-"))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"GRATITUDE_QUIET_HOURS must be like '21-8' or 'off', not {value!r}"
        ) from exc
    if not (0 <= start < 24 and 0 <= end < 24) or start == end:
        raise ImproperlyConfigured(f"GRATITUDE_QUIET_HOURS hours must differ and be 0-23, not {value!r}")
    return start, end


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(*, now: datetime, tz_name: str) -> datetime | None:
    """If it is quiet hours for someone in `tz_name`, the moment they end; else None."""
    hours = quiet_hours()
    if hours is None:
        return None
    start, end = hours
    local = now.astimezone(_zone(tz_name))
    in_quiet = (start <= local.hour or local.hour < end) if start > end else (start <= local.hour < end)
    if not in_quiet:
        return None
    end_today = local.replace(hour=end, minute=0, second=0, microsecond=0)
    return end_today if end_today > local else end_today + timedelta(days=1)


def next_digest_slot(*, after: datetime, tz_name: str) -> datetime:
    local = after.astimezone(_zone(tz_name))
    slot = local.replace(hour=conf.digest_hour(), minute=0, second=0, microsecond=0)
    return slot if slot >= local else slot + timedelta(days=1)


def defer_group(*, kind: Kind, rows: list[Notification], now: datetime) -> Deferral | None:
    """None if the group may go now, else until when and why it waits."""
    lead = rows[0]
    tz_name = lead.recipient.timezone
    if kind.pacing.respects_quiet_hours:
        until = quiet_until(now=now, tz_name=tz_name)
        if until is not None:
            return Deferral(until, "quiet_hours")
    if kind.pacing.follows_alert_preference and _prefers_digest(lead):
        slot = next_digest_slot(after=min(r.created_at for r in rows), tz_name=tz_name)
        if now < slot:
            return Deferral(slot, "daily_digest")
    if kind.pacing.coalesces:
        return _coalesce(kind=kind, rows=rows, now=now)
    return None


def _prefers_digest(row: Notification) -> bool:
    if row.registry_id is None:
        return False
    # Registries own the member's alert choice (registries/send_facts.py, through
    # notifications/sending/ports.py).
    return registry_facts().prefers_digest(row.registry_id, row.recipient_id)


def _coalesce(*, kind: Kind, rows: list[Notification], now: datetime) -> Deferral | None:
    window = timedelta(seconds=conf.digest_window_seconds())
    if not window:
        return None
    lead = rows[0]
    last_sent, settling_until = _group_history(kind, lead, now)
    if last_sent is not None and now < last_sent + window:
        return Deferral(last_sent + window, "digest_window")
    # A burst still settling: wait for its last gift, but never longer than one window past the first.
    oldest_due = min(r.due_at for r in rows)
    if settling_until is not None and now < oldest_due + window:
        return Deferral(min(settling_until, oldest_due + window), "burst_settling")
    return None


_GroupKey = tuple[int, int | None]
_History = dict[_GroupKey, tuple[datetime | None, datetime | None]]


def _group_history(kind: Kind, lead: Notification, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(last sent, last still settling) for the lead row's group: from the batch's facts when the worker
    has them (one query per kind and batch), else one query for this group."""
    key = (lead.recipient_id, lead.registry_id)
    facts = batch_facts.current()
    if facts is not None:
        history = facts.get(f"pacing_history:{kind.name}", lambda batch: _history_of(kind, batch, now))
        if key in history:
            return history[key]
    return _history_of(kind, [lead], now).get(key, (None, None))


def _history_of(kind: Kind, rows: list[Notification], now: datetime) -> _History:
    keys = {(r.recipient_id, r.registry_id) for r in rows if r.kind == kind.name}
    history: _History = dict.fromkeys(keys, (None, None))
    if not keys:
        return history
    same_people = Notification.objects.filter(kind=kind.name, recipient_id__in={k[0] for k in keys})
    sent = (
        same_people.filter(state=NotificationState.SENT)
        .values_list("recipient_id", "registry_id")
        .annotate(at=Max("sent_at"))
    )
    settling = (
        same_people.filter(state=NotificationState.PENDING, due_at__gt=now)
        .values_list("recipient_id", "registry_id")
        .annotate(at=Max("due_at"))
    )
    for recipient_id, registry_id, at in sent:
        if (recipient_id, registry_id) in history:
            history[(recipient_id, registry_id)] = (at, None)
    for recipient_id, registry_id, at in settling:
        if (recipient_id, registry_id) in history:
            history[(recipient_id, registry_id)] = (history[(recipient_id, registry_id)][0], at)
    return history
