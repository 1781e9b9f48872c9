"""Operator actions on sending: halt, resume, the breaker that halts a kind by itself, acknowledging alerts,
granting and revoking the staff role, and the audit entry every one of them writes.

Campaigns live in campaigns.py, recalls in recall.py; both record through `audit_record` here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from gratitude.core.errors import GratitudeError, PermissionDenied

# The worker trips breakers itself, so breaker_trip lives with the sending path
# (notifications/sending/breakers.py); re-exported here beside the operator's own halt and resume.
from gratitude.notifications.sending.breakers import breaker_trip as breaker_trip
from gratitude.notifications.sending.breakers import quarantine_kind as quarantine_kind
from gratitude.operations.models import ALL_KINDS, AuditEntry, OperatorAlert, SendControl

if TYPE_CHECKING:
    from gratitude.accounts.models import User

logger = logging.getLogger("gratitude.operations")


def actor_for(user: User) -> str:
    """How a staff member appears in the audit log and on send controls."""
    return f"staff:{user.email}"


def require_staff(user: User) -> None:
    if not (user.is_active and user.is_staff):
        raise PermissionDenied("only staff operators may do this")


def audit_record(
    *, actor: str, action: str, target: str = "", reason: str = "", user: User | None = None
) -> AuditEntry:
    """Add one entry to the append-only audit log: who (`actor`, and the account if any), what, why."""
    return AuditEntry.objects.create(
        actor=actor[:200], action=action[:60], target=target[:200], reason=reason, user=user
    )


def _scope(kind: str | None) -> str:
    from gratitude.notifications.outbox.kinds import KINDS

    if kind is None or kind == ALL_KINDS:
        return ALL_KINDS
    if kind not in KINDS:
        raise GratitudeError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    return kind


def sends_halt(*, kind: str | None = None, reason: str, by: str, user: User | None = None) -> SendControl:
    """Halt one kind or everything. Workers check the switch before every message; queued rows are held."""
    if not reason.strip():
        raise GratitudeError("a reason is required to halt sending")
    scope = _scope(kind)
    with transaction.atomic():
        control, _ = SendControl.objects.select_for_update().get_or_create(
            kind=scope, defaults={"changed_at": timezone.now()}
        )
        control.halted = True
        control.source = SendControl.Source.OPERATOR
        control.reason = reason.strip()
        control.changed_at = timezone.now()
        control.changed_by = by
        control.save()
        audit_record(actor=by, action="sends.halt", target=scope, reason=reason, user=user)
    logger.warning("sending halted for %s by %s: %s", scope, by, reason)
    return control


def sends_resume(*, kind: str | None = None, by: str, reason: str = "", user: User | None = None) -> int:
    """Resume one kind or everything; held rows become due again. Returns how many were released."""
    from gratitude.notifications.models import Notification, NotificationState

    scope = _scope(kind)
    with transaction.atomic():
        SendControl.objects.filter(kind=scope).update(
            halted=False, reason="", changed_at=timezone.now(), changed_by=by
        )
        held = Notification.objects.filter(state=NotificationState.HELD)
        if scope != ALL_KINDS:
            held = held.filter(kind=scope)
        # Rows of a kind that is still halted on its own switch stay held.
        still_halted = SendControl.objects.filter(halted=True).values_list("kind", flat=True)
        held = held.exclude(kind__in=list(still_halted))
        released = held.update(state=NotificationState.PENDING, due_at=timezone.now(), reason="")
        audit_record(actor=by, action="sends.resume", target=scope, reason=reason, user=user)
    logger.warning("sending resumed for %s by %s (%d held rows released)", scope, by, released)
    return released


def operator_alert_acknowledge(*, alert: OperatorAlert, by: User, note: str = "") -> OperatorAlert:
    """Mark an alert as seen by an operator (it stays listed, with who and when)."""
    require_staff(by)
    with transaction.atomic():
        alert = OperatorAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            return alert
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor_for(by)
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(
            actor=actor_for(by), action="alert.acknowledge", target=f"alert:{alert.pk}", reason=note, user=by
        )
    return alert


def staff_role_set(*, user: User, staff: bool, by: str, reason: str, by_user: User | None = None) -> bool:
    """Grant or revoke the staff role (the console, campaigns, approvals). Returns whether it changed."""
    from gratitude.accounts.models import User as UserModel

    if not reason.strip():
        raise GratitudeError("a reason is required to change someone's role")
    with transaction.atomic():
        user = UserModel.objects.select_for_update().get(pk=user.pk)
        if user.is_staff == staff:
            return False
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
        audit_record(
            actor=by,
            action="role.grant_staff" if staff else "role.revoke_staff",
            target=f"user:{user.pk} {user.email}",
            reason=reason.strip(),
            user=by_user,
        )
    logger.warning("%s %s staff for %s: %s", by, "granted" if staff else "revoked", user.email, reason)
    return True
