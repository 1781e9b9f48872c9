"""Quiet mode and paused registries at send time (docs/safety.md promise 9, docs/quiet-mode.md).

`verdict_for` is one step of the guard chain (sending/guards.py): None when care has nothing to say about the
row. `suppress_queued` applies the same rule at once to rows already waiting, when quiet mode is switched on
or a registry is paused (and once more when they end), so nothing held is ever replayed.

The rule, in one place so the send-time check and the immediate cancellation can never disagree:
- a row about a paused registry is suppressed (`registry_paused`), whoever it is to, except the notice to a
  giver that their hold was released, which exists because of the pause;
- a row to a person in quiet mode is suppressed (`quiet_mode`), unless its kind is must-go:
  - the person's own requests for access (password reset, address confirmation) go to the person
    themselves, never to anyone else: such a link is a key to their account;
  - a receipt they asked for goes to their trusted delegate if one accepted and chose to receive such
    messages, else to the person;
  - an invitation to be someone's trusted delegate speaks of no registry or occasion, and is not theirs to
    be spared.
Everything else (gift alerts, digests, reminders, lifecycle notices, invitations, campaigns, corrections,
and any kind added later and not listed here) is held back: the default is quiet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import Kind, kind_named
from gratitude.notifications.sending import batch_facts
from gratitude.notifications.sending.ports import Identified, Person, people_facts, registry_facts

if TYPE_CHECKING:
    from gratitude.notifications.sending.guards import Verdict

QUIET_MODE = "quiet_mode"
REGISTRY_PAUSED = "registry_paused"

# Access to the person's own account (their requests, and notices about it): only ever to the person.
OWN_ACCESS_KINDS = frozenset({"email_verify", "password_reset", "signup_existing"})
# Must still go while the person is quiet; to their trusted delegate if they chose so.
MUST_GO_KINDS = frozenset({"gift_receipt"})
# Neither about a registry nor an occasion: quiet mode has nothing to say about them.
UNRELATED_KINDS = frozenset({"quiet_delegate_invitation"})
# Written because a registry was paused (its giver's hold was released): the pause must not stop it.
CAUSED_BY_PAUSE_KINDS = frozenset({"reservation_released"})
# Operator messages carry no registry on the row; they speak of occasions, so a person with a paused
# registry is spared them (their audience excludes such people too, operations/audience.py).
OPERATOR_KINDS = frozenset({"campaign", "correction"})

# Rows a worker has not yet taken: waiting, deferred by pacing, scheduled for later, or held by a halt.
_WAITING = (NotificationState.PENDING, NotificationState.HELD)


def verdict_for(row: Notification, kind: Kind) -> Verdict | None:
    """SUPPRESS (cancelled, never replayed) for a row about a paused registry or to a person in quiet mode;
    SEND with `address` set to redirect a must-go message to a trusted delegate; None otherwise."""
    from gratitude.notifications.sending.guards import Action, Verdict

    reason = _suppression_reason(row, kind)
    if reason is not None:
        return Verdict(Action.SUPPRESS, reason)
    recipient = row.recipient
    if recipient.quiet_since is not None and kind.name in MUST_GO_KINDS:
        address = must_go_address(user=recipient)
        if address != recipient.email:
            return Verdict(Action.SEND, address=address)
    return None


def _suppression_reason(row: Notification, kind: Kind) -> str | None:
    if kind.name not in CAUSED_BY_PAUSE_KINDS and _about_a_paused_registry(row, kind):
        return REGISTRY_PAUSED
    if row.recipient.quiet_since is not None and not _goes_while_quiet(kind.name):
        return QUIET_MODE
    return None


def _goes_while_quiet(kind_name: str) -> bool:
    return kind_name in OWN_ACCESS_KINDS | MUST_GO_KINDS | UNRELATED_KINDS


def _about_a_paused_registry(row: Notification, kind: Kind) -> bool:
    # Registries own "paused" (registries/send_facts.py, through notifications/sending/ports.py): one query
    # per batch inside a worker batch, one per row outside it.
    facts = batch_facts.current()
    if row.registry_id is not None:
        if facts is not None:
            among, paused = facts.get("paused_registries", _paused_registries_of_batch)
            if row.registry_id in among:
                return row.registry_id in paused
        return row.registry_id in registry_facts().paused_among([row.registry_id])
    if kind.name in OPERATOR_KINDS:
        if facts is not None:
            among, with_paused = facts.get("members_of_paused", _members_of_paused_of_batch)
            if row.recipient_id in among:
                return row.recipient_id in with_paused
        return row.recipient_id in registry_facts().members_of_paused([row.recipient_id])
    return False


def _paused_registries_of_batch(rows: list[Notification]) -> tuple[set[int], set[int]]:
    """(the registries the batch's rows are about, those of them paused now): one query per batch."""
    among = {row.registry_id for row in rows if row.registry_id is not None}
    return among, registry_facts().paused_among(among)


def _members_of_paused_of_batch(rows: list[Notification]) -> tuple[set[int], set[int]]:
    """(the batch's recipients of operator messages, those of them on a paused registry now)."""
    among = {row.recipient_id for row in rows if row.kind in OPERATOR_KINDS}
    return among, registry_facts().members_of_paused(among)


def must_go_address(*, user: Person) -> str:
    """Where a must-go message to a quiet person goes: the delegate they trusted with it, else themselves.
    Accounts own the delegations (accounts/send_facts.py, through notifications/sending/ports.py)."""
    return people_facts().must_go_delegates([user.pk]).get(user.pk, user.email)


def suppress_queued(
    *, user: Identified | None = None, registry: Identified | None = None, gift: Identified | None = None
) -> int:
    """Cancel, now, the waiting rows that care would refuse at send time: those to `user` (in quiet mode),
    about `registry` (paused), or for a `gift` just recorded on a paused registry or for a quiet person (so
    it lands on the Thank You List silently, with the reason on its alert rows). Call inside the
    transaction that switched quiet mode or the pause, or recorded the gift.

    Rows a worker holds under a lease are left to it: its send-time guard asks `verdict_for` again. Each
    update is conditional on the row still waiting, so it cannot overwrite a worker's outcome. Returns the
    number of rows cancelled.
    """
    if user is None and registry is None and gift is None:
        raise ValueError("say whose rows (user), or which registry's or gift's rows to cancel")
    # Only rows that could be refused at all: one cheap query when nobody is quiet and nothing is paused.
    could_be_refused = (
        Q(recipient__quiet_since__isnull=False)
        | Q(registry__paused_at__isnull=False)
        | Q(kind__in=OPERATOR_KINDS)
    )
    rows = Notification.objects.filter(could_be_refused, state__in=_WAITING).select_related("recipient")
    if gift is not None:
        rows = rows.filter(gift_id=gift.pk)
    if user is not None:
        rows = rows.filter(recipient_id=user.pk)
    if registry is not None:
        rows = rows.filter(Q(registry_id=registry.pk) | Q(gift__registry_id=registry.pk))
    by_reason: dict[str, list[int]] = {}
    for row in rows.order_by("pk"):
        kind = kind_named(row.kind)
        if kind is None:
            continue  # an undeclared kind is the guards' to suppress, and to trip a breaker over
        reason = _suppression_reason(row, kind)
        if reason is not None:
            by_reason.setdefault(reason, []).append(row.pk)
    cancelled = 0
    for reason, ids in by_reason.items():
        cancelled += Notification.objects.filter(pk__in=ids, state__in=_WAITING).update(
            state=NotificationState.SUPPRESSED,
            reason=reason,
            lease_owner="",
            lease_expires_at=None,
            updated_at=timezone.now(),
        )
    return cancelled
