"""The worker's side of the outbox: claim due rows under a lease, run the send-time guards, render,
send, record. Every decision is written on the row, so each intent ends sent or with its reason.

Per batch: blast radius per kind (sending/blast_radius.py). Per row: sending/guards.py (send controls,
provenance, suppression, allowlist). Per group of rows to one recipient: sending/pacing.py, then one message.
Just before sending, the worker renews its lease on the group and sends only the rows it still holds.
See docs/notifications.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, lru_cache, partial
from typing import Any

from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Field, Q, QuerySet
from django.utils import timezone
from django_tasks_db.utils import exclusive_transaction

from gratitude.notifications import conf
from gratitude.notifications.devtools.fault_points import fault_point
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import Kind, kind_named
from gratitude.notifications.rendering.messages import build_email, render
from gratitude.notifications.sending import batch_facts, blast_radius, guards, pacing

logger = logging.getLogger("gratitude.notifications")

CLAIM_BATCH = 100


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DeliveryStats:
    sent: int = 0
    suppressed: int = 0
    held: int = 0
    deferred: int = 0
    failed: int = 0
    retrying: int = 0
    messages: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return len(self.outcomes)

    def note(self, row_id: int, outcome: str) -> None:
        self.outcomes[row_id] = outcome
        setattr(self, outcome, getattr(self, outcome) + 1)


def _is_claimable(state: str, due_at: datetime, lease_expires_at: datetime | None, now: datetime) -> bool:
    """Due pending rows, and rows whose lease expired (a worker died between claim and record); claim_due
    asks the same of the database."""
    if state == NotificationState.PENDING:
        return due_at <= now
    return state == NotificationState.SENDING and lease_expires_at is not None and lease_expires_at < now


def claim_due(
    *, worker_id: str, limit: int = CLAIM_BATCH, only_id: int | None = None, among: Q | None = None
) -> list[int]:
    """Lease up to `limit` due rows to this worker, oldest due first. SKIP LOCKED on PostgreSQL; on SQLite
    the exclusive transaction serialises claimers, so two workers never hold the same row."""
    now = timezone.now()
    with exclusive_transaction():
        rows = Notification.objects.all()
        if only_id is not None:
            rows = rows.filter(pk=only_id)
        if among is not None:
            rows = rows.filter(among)
        # Two reads, each walking the (state, due_at) index in order and stopping at `limit`: as one
        # query with an OR, the database sorted every due row to find the first hundred, a cost that
        # grew with the backlog (docs/benchmarks.md).
        due = _first_due(rows.filter(state=NotificationState.PENDING, due_at__lte=now), limit)
        expired = _first_due(rows.filter(state=NotificationState.SENDING, lease_expires_at__lt=now), limit)
        ids = [pk for _, pk in sorted(due + expired)[:limit]]
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                state=NotificationState.SENDING,
                lease_owner=worker_id,
                lease_expires_at=now + timedelta(seconds=conf.lease_seconds()),
            )
    return ids


def _first_due(rows: QuerySet[Notification], limit: int) -> list[tuple[datetime, int]]:
    return list(
        rows.order_by("due_at", "pk").select_for_update(skip_locked=True).values_list("due_at", "pk")[:limit]
    )


def _settle(row_id: int, worker_id: str, **changes: object) -> bool:
    """Record the outcome only while we still hold the lease (a fence against a slow, expired worker)."""
    return _settle_many([row_id], worker_id, **changes) == 1


def _settle_many(row_ids: list[int], worker_id: str, **changes: object) -> int:
    # updated_at by hand (a plain UPDATE skips auto_now): "suppressed in the last hour" reads it.
    values = {"lease_owner": "", "lease_expires_at": None, "updated_at": timezone.now(), **changes}
    return _fenced_update(row_ids, worker_id, values)


def _fenced_update(
    row_ids: list[int],
    worker_id: str,
    values: dict[str, object],
    *,
    increment_attempts: bool = False,
    commit_without_waiting: bool = False,
) -> int:
    """UPDATE the rows we still hold (state sending, our lease) in one plain SQL statement.

    These are the send path's per-message statements; building them through the ORM cost more than the
    database spent running them (docs/benchmarks.md). Values are adapted as the ORM would store them."""
    if not row_ids:
        return 0
    ops = connection.ops
    params: list[Any] = [
        ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v for v in values.values()
    ]
    sql = _update_statement(
        connection.vendor, tuple(values), increment_attempts, len(row_ids), commit_without_waiting
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *row_ids, NotificationState.SENDING.value, worker_id])
        updated: int = cursor.rowcount
    return updated


@lru_cache(maxsize=64)
def _update_statement(
    vendor: str, names: tuple[str, ...], increment_attempts: bool, ids: int, commit_without_waiting: bool
) -> str:
    """The fenced UPDATE's text, made once per shape (a handful: attempt, sent, each batch outcome)."""
    column = partial(_quoted_column, vendor)
    assignments = [f"{column(name)} = %s" for name in names]
    if increment_attempts:
        assignments.append(f"{column('attempts')} = {column('attempts')} + 1")
    placeholders = ", ".join(["%s"] * ids)
    table = connection.ops.quote_name(Notification._meta.db_table)
    where = f"{column('id')} IN ({placeholders}) AND {column('state')} = %s AND {column('lease_owner')} = %s"
    # PostgreSQL only (see _count_attempt): synchronous_commit off for this statement's own transaction,
    # set by the statement itself, where BEGIN, SET LOCAL and COMMIT took three more round trips.
    lazy = (
        " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS lazy"
        if commit_without_waiting
        else ""
    )
    # Identifiers come from the model's own metadata and every value is a bound parameter.
    return f"UPDATE {table} SET {', '.join(assignments)}{lazy} WHERE {where}"  # noqa: S608


@cache
def _quoted_column(vendor: str, field_name: str) -> str:
    # Per database vendor (quoting differs); a handful of names, asked several times per message.
    field = Notification._meta.get_field(field_name)
    assert isinstance(field, Field)
    return connection.ops.quote_name(field.column)


@dataclass
class _Ready:
    """A group that passed the guards and pacing: one message to `address`."""

    kind: Kind
    rows: list[Notification]
    address: str


@dataclass
class _Batch:
    """One claimed batch on its way out: the lease we hold on it, and outcomes waiting to be written."""

    worker_id: str
    lease_until: datetime
    # (state, reason, due_at) -> row ids: rows that will not be sent now, written with one UPDATE each.
    outcomes: dict[tuple[str, str, datetime | None], list[int]] = field(default_factory=dict)

    def decide(self, row: Notification, state: str, reason: str, due_at: datetime | None = None) -> None:
        self.outcomes.setdefault((state, reason, due_at), []).append(row.pk)

    def write_outcomes(self) -> None:
        for (state, reason, due_at), ids in self.outcomes.items():
            extra: dict[str, object] = {"due_at": due_at} if due_at is not None else {}
            _settle_many(ids, self.worker_id, state=state, reason=reason, **extra)
        self.outcomes.clear()


_OUTCOME_OF_STATE = {
    NotificationState.HELD: "held",
    NotificationState.SUPPRESSED: "suppressed",
    NotificationState.PENDING: "deferred",
}


def deliver_claimed(*, row_ids: list[int], worker_id: str, batch_was_full: bool = True) -> DeliveryStats:
    """Deliver rows this worker has leased: blast radius per kind, then guards and pacing for every row
    with the batch's facts (sending/batch_facts.py), then one message per group (one recipient, one registry,
    one kind), each re-checked if the facts have aged and sent only while we still hold its lease."""
    stats = DeliveryStats()
    rows = _load_leased(row_ids, worker_id)
    if not rows:
        return stats
    if batch_was_full:
        rows += _claim_companions(rows, worker_id)
    fault_point("after_claim")
    batch = _Batch(worker_id=worker_id, lease_until=min(_lease_of(row) for row in rows))
    with batch_facts.facts_for(rows) as facts:
        ready: list[_Ready] = []
        for kind_name, kind_rows in _by_kind(rows).items():
            kind = kind_named(kind_name)
            if kind is not None:
                excess = blast_radius.excess_in(kind=kind, rows=kind_rows, now=timezone.now())
                if excess is not None:
                    guards.trip_breaker(kind=kind.name, reason=f"blast radius: {excess}")
            for group in _groups(kind, kind_rows):
                decided = _decide_group(kind, group, batch, stats)
                if decided is not None:
                    ready.append(decided)
        batch.write_outcomes()
        connection = get_connection()
        try:
            sent_so_far = 0
            while sent_so_far < len(ready):
                if facts.stale:
                    # The answers are over a second old (a slow SMTP server, a busy machine): read the
                    # rest of the batch again and ask again before sending any more of it (a gift
                    # cancelled, a person gone quiet, a halt in the meantime). Once per second at most.
                    facts.refresh_if_stale()
                    ready = ready[:sent_so_far] + _decide_again(ready[sent_so_far:], batch, stats)
                    batch.write_outcomes()
                    if sent_so_far >= len(ready):
                        break
                message = ready[sent_so_far]
                sent_so_far += 1
                # A halt stops the batch in hand too: asked before every message, re-read every 0.2 s.
                halted = guards.halt_reason(message.kind.name)
                if halted is not None:
                    for row in message.rows:
                        batch.decide(row, NotificationState.HELD, f"halted: {halted}"[:200])
                        stats.note(row.pk, "held")
                    batch.write_outcomes()
                    continue
                _send(message, batch, connection, stats)
        finally:
            connection.close()
    return stats


def _lease_of(row: Notification) -> datetime:
    return row.lease_expires_at or timezone.now()


def _load_leased(row_ids: list[int], worker_id: str) -> list[Notification]:
    return list(
        Notification.objects.select_related("recipient", "gift__item", "gift__registry", "registry")
        .filter(pk__in=row_ids, state=NotificationState.SENDING, lease_owner=worker_id)
        .order_by("due_at", "pk")
    )


def _claim_companions(rows: list[Notification], worker_id: str) -> list[Notification]:
    """For kinds that coalesce, also lease the other due rows of each group, so a burst that a full batch
    cut in two goes as one message rather than one message and a later digest."""
    groups = {
        (r.kind, r.recipient_id, r.registry_id)
        for r in rows
        if (kind := kind_named(r.kind)) is not None and kind.pacing.coalesces
    }
    if not groups:
        return []
    # One plain read finds the candidates (usually none), by recipient, so the database looks up the
    # waiting rows of the batch's recipients rather than every row of the kind; then only those are claimed.
    now = timezone.now()
    waiting = Notification.objects.filter(
        recipient_id__in={g[1] for g in groups},
        state__in=(NotificationState.PENDING, NotificationState.SENDING),
    ).values_list("pk", "kind", "recipient_id", "registry_id", "state", "due_at", "lease_expires_at")
    claimed = {row.pk for row in rows}
    candidates = [
        (pk, kind, recipient_id, registry_id)
        for pk, kind, recipient_id, registry_id, state, due_at, lease_expires_at in waiting
        if pk not in claimed and _is_claimable(state, due_at, lease_expires_at, now)
    ]
    wanted = [pk for pk, *group in candidates if tuple(group) in groups]
    if not wanted:
        return []
    extra = claim_due(worker_id=worker_id, limit=CLAIM_BATCH, among=Q(pk__in=wanted))
    return _load_leased(extra, worker_id) if extra else []


def _by_kind(rows: list[Notification]) -> dict[str, list[Notification]]:
    grouped: dict[str, list[Notification]] = {}
    for row in rows:
        grouped.setdefault(row.kind, []).append(row)
    return grouped


def _groups(kind: Kind | None, rows: list[Notification]) -> list[list[Notification]]:
    if kind is None or not kind.pacing.coalesces:
        return [[row] for row in rows]
    grouped: dict[tuple[int, int | None], list[Notification]] = {}
    for row in rows:
        grouped.setdefault((row.recipient_id, row.registry_id), []).append(row)
    return list(grouped.values())


def _decide_group(
    kind: Kind | None, group: list[Notification], batch: _Batch, stats: DeliveryStats
) -> _Ready | None:
    """Guards per row, then pacing for the rows that may go. Rows that may not are noted on `batch`."""
    ready: list[Notification] = []
    address = ""
    for row in group:
        verdict = guards.check(row)
        if verdict.action == guards.Action.HOLD:
            batch.decide(row, NotificationState.HELD, verdict.reason)
            stats.note(row.pk, "held")
        elif verdict.action == guards.Action.SUPPRESS:
            batch.decide(row, NotificationState.SUPPRESSED, verdict.reason)
            stats.note(row.pk, "suppressed")
        else:
            ready.append(row)
            address = verdict.address or row.recipient.email
    if not ready:
        return None
    assert kind is not None  # guards suppress rows of undeclared kinds
    deferral = pacing.defer_group(kind=kind, rows=ready, now=timezone.now())
    if deferral is not None:
        for row in ready:
            batch.decide(row, NotificationState.PENDING, deferral.reason, deferral.until)
            stats.note(row.pk, "deferred")
        return None
    return _Ready(kind=kind, rows=ready, address=address)


def _decide_again(groups: list[_Ready], batch: _Batch, stats: DeliveryStats) -> list[_Ready]:
    """The guards and pacing once more for groups not yet sent, on their rows as they are now (one read)."""
    fresh = {row.pk: row for row in _load_leased([r.pk for g in groups for r in g.rows], batch.worker_id)}
    decided = []
    for group in groups:
        rows = [fresh[row.pk] for row in group.rows if row.pk in fresh]
        again = _decide_group(group.kind, rows, batch, stats) if rows else None
        if again is not None:
            decided.append(again)
    return decided


def _count_attempt(row_ids: list[int], worker_id: str) -> None:
    """One attempt more, written before the message is handed to SMTP: a worker that dies mid-send still
    spends the row's retry budget, so a message that kills workers cannot loop forever.

    On PostgreSQL this one commit does not wait for the disk (synchronous_commit off for its transaction,
    set inside the UPDATE itself, so the write is one statement in autocommit):
    waiting for it was half of a message's time there (docs/benchmarks.md). The count is visible to every
    other worker at once and survives any worker's death; only a crash of the database server itself in
    the next fraction of a second could lose it, and then one message gets one try more. The record of a
    sent message is never written this way: it commits to disk before the next message (promise 7)."""
    lazy = connection.vendor == "postgresql"
    _fenced_update(row_ids, worker_id, {}, increment_attempts=True, commit_without_waiting=lazy)


def _send(group: _Ready, batch: _Batch, connection: Any, stats: DeliveryStats) -> None:
    kind, address = group.kind, group.address
    rows = _still_ours(group.rows, batch)
    if not rows:
        return
    lead = rows[0]
    worker_id = batch.worker_id
    try:
        rendered = render(rows, kind, forwarded_to=address if address != lead.recipient.email else None)
        email = build_email(lead, kind, rendered, to=address)
    except Exception as exc:
        # A template or context bug affects every row of the kind: stop the kind, keep the rows.
        logger.exception("rendering %s failed", lead.reference)
        guards.trip_breaker(kind=kind.name, reason=f"rendering failed on row {lead.reference}: {exc!r}"[:480])
        _settle_many([row.pk for row in rows], worker_id, state=NotificationState.HELD, reason="render_error")
        for row in rows:
            stats.note(row.pk, "held")
        return
    _count_attempt([row.pk for row in rows], worker_id)
    attempts = max(row.attempts for row in rows) + 1
    try:
        # Opening it ourselves keeps one SMTP session for the whole batch (send_messages closes a
        # connection only if it opened it); open() is a no-op when the session is already up.
        connection.open()
        connection.send_messages([email])
    except Exception as exc:  # noqa: BLE001 - every transport error is classified below
        # After an error the session may be unusable (a timeout mid-DATA): start afresh next time.
        with contextlib.suppress(Exception):
            connection.close()
        for row in rows:
            _record_failure(row, attempts, worker_id, exc, stats)
        return
    # The one duplicate window (docs/safety.md promise 7): the server accepted, and we die before recording.
    # The lease expires and another worker re-sends. docs/notifications.md measures this window.
    fault_point("after_accept")
    sent = {
        "state": NotificationState.SENT,
        "reason": "" if len(rows) == 1 else f"digest of {len(rows)}",
        "sent_at": timezone.now(),
        "sent_to": address,
        "subject": rendered.subject[:300],
        "message_id": str(email.extra_headers["Message-ID"]),
    }
    # The lead row keeps what went out, for the recipient's notification centre (one UPDATE per message).
    _settle_many([lead.pk], worker_id, body_text=rendered.text, body_html=rendered.html, **sent)
    if len(rows) > 1:
        _settle_many([row.pk for row in rows[1:]], worker_id, **sent)
    for row in rows:
        stats.note(row.pk, "sent")
    stats.messages += 1
    fault_point("after_record")


def _still_ours(rows: list[Notification], batch: _Batch) -> list[Notification]:
    """The rows of a group we may send. While more than half of the lease is left, no other worker can
    have taken them (a claim needs an expired lease), so no query is needed; past that, extend the lease
    on every row we still hold and drop any another worker has re-claimed (a slow batch), so two workers
    never both send one row."""
    now = timezone.now()
    lease = timedelta(seconds=conf.lease_seconds())
    if now < batch.lease_until - lease / 2:
        return rows
    ids = [row.pk for row in rows]
    until = now + lease
    with transaction.atomic():
        Notification.objects.filter(
            pk__in=ids, state=NotificationState.SENDING, lease_owner=batch.worker_id
        ).update(lease_expires_at=until)
        still_ours = set(
            Notification.objects.filter(
                pk__in=ids, state=NotificationState.SENDING, lease_owner=batch.worker_id
            ).values_list("pk", flat=True)
        )
    return [row for row in rows if row.pk in still_ours]


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return max(codes) if codes else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


def _record_failure(
    row: Notification, attempts: int, worker_id: str, exc: Exception, stats: DeliveryStats
) -> None:
    from gratitude.notifications.sending.suppression import suppression_add

    code = _smtp_code(exc)
    if code is not None and 500 <= code < 600:
        # Permanent: this address will not take mail; stop trying it for every kind.
        with transaction.atomic():
            _settle(row.pk, worker_id, state=NotificationState.FAILED, reason=f"smtp_{code}")
            suppression_add(address=row.recipient.email, reason="hard_bounce", detail=f"SMTP {code}")
        stats.note(row.pk, "failed")
        logger.warning("permanent failure for %s (%s): %s", row.reference, code, exc)
        return
    if attempts >= conf.send_retry_budget():
        _settle(row.pk, worker_id, state=NotificationState.FAILED, reason="retry_budget_spent")
        stats.note(row.pk, "failed")
        logger.error("gave up on %s after %d attempts: %s", row.reference, attempts, exc)
        return
    backoff = min(2**row.attempts * 30, 3600)
    _settle(
        row.pk,
        worker_id,
        state=NotificationState.PENDING,
        due_at=timezone.now() + timedelta(seconds=backoff),
        reason=f"retry: {type(exc).__name__}"[:200],
    )
    stats.note(row.pk, "retrying")
    logger.info("temporary failure for %s, retry in %ds: %s", row.reference, backoff, exc)


def deliver_due(*, worker_id: str, limit: int = CLAIM_BATCH) -> DeliveryStats:
    """Claim and deliver one batch of due rows."""
    ids = claim_due(worker_id=worker_id, limit=limit)
    return deliver_claimed(row_ids=ids, worker_id=worker_id, batch_was_full=len(ids) >= limit)
