"""Reading the halt switches and tripping a breaker: what the worker does itself (docs/safety.md, the
halt and breaker promises). Operators halt and resume through operations (`sends_halt`, `sends_resume`),
which write the same `SendControl` rows (sending/controls.py)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from gratitude.notifications.sending.controls import ALL_KINDS, OperatorAlert, SendControl

# The operators' logger, as before the move: their log alerts on breaker trips keep matching.
logger = logging.getLogger("gratitude.operations")


def halt_for(*, kind: str) -> SendControl | None:
    """The switch that stops `kind` right now (the global one first), or None if it may send."""
    controls = {c.kind: c for c in SendControl.objects.filter(kind__in=[ALL_KINDS, kind], halted=True)}
    return controls.get(ALL_KINDS) or controls.get(kind)


def breaker_trip(*, kind: str, reason: str) -> None:
    """Halt a kind because something that should never happen did; only an operator resumes it."""
    with transaction.atomic():
        control, _ = SendControl.objects.select_for_update().get_or_create(
            kind=kind, defaults={"changed_at": timezone.now()}
        )
        already_open = control.halted and control.source == SendControl.Source.BREAKER
        if already_open:
            # The first reason is the one an operator needs (what opened it); later trips add nothing.
            return
        control.halted = True
        control.source = SendControl.Source.BREAKER
        control.reason = reason
        control.changed_at = timezone.now()
        control.changed_by = "breaker"
        control.save()
        OperatorAlert.objects.create(kind=kind, message=f"Breaker tripped for {kind}: {reason}")
    logger.error("breaker tripped for %s: %s", kind, reason)
    quarantined = quarantine_kind(kind=kind)
    logger.error("breaker for %s: %d queued rows failed provenance and were suppressed", kind, quarantined)


def quarantine_kind(*, kind: str) -> int:
    """Re-check every queued row of `kind` and suppress those that fail provenance as a breach, so the
    operator's later resume releases only genuine rows. Returns how many were suppressed."""
    from gratitude.notifications.models import Notification, NotificationState
    from gratitude.notifications.outbox.kinds import kind_named

    declared = kind_named(kind)
    queued = Notification.objects.filter(
        kind=kind, state__in=[NotificationState.PENDING, NotificationState.HELD]
    ).select_related("recipient", "gift")
    suppressed = 0
    for row in queued.iterator(chunk_size=500):
        refusal = declared.provenance(row) if declared is not None else None
        if declared is None or (refusal is not None and refusal.breach):
            reason = refusal.reason if refusal is not None else "undeclared_kind"
            suppressed += Notification.objects.filter(pk=row.pk, state=row.state).update(
                state=NotificationState.SUPPRESSED, reason=reason
            )
    return suppressed
