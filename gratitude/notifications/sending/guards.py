"""The send-time guard chain for one row: send controls -> provenance -> suppression -> unsubscribed
category -> care (quiet mode, paused registry, occasion opt-outs) -> allowlist -> the cap on mail to an
address nobody confirmed (sending/unconfirmed_addresses.py).

Each guard looks at the row as the world is *now*, not as it was when the row was queued. The first
guard that objects decides the row's fate; pacing (sending/pacing.py) then applies to the rows that may go, as
a group. One exception to the order: a provenance *breach* is suppressed even while the kind is halted, so a
later resume can never release a forged row. See docs/notifications.md.
"""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from gratitude.notifications import conf
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import kind_named
from gratitude.notifications.sending import batch_facts, occasion_opt_outs, quiet_mode, unconfirmed_addresses
from gratitude.notifications.sending.breakers import breaker_trip, halt_for
from gratitude.notifications.sending.controls import ALL_KINDS, SendControl
from gratitude.notifications.sending.suppression import is_unsubscribed, suppression_reason_for

logger = logging.getLogger("gratitude.notifications")


class Action(Enum):
    SEND = "send"
    HOLD = "hold"  # a halt: kept, sent after an operator resumes
    SUPPRESS = "suppress"  # never sent, reason recorded
    DEFER = "defer"  # not yet: due again at `until`


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str = ""
    until: datetime | None = None
    # Where a SEND goes when not to the row's recipient: a quiet person's trusted delegate
    # (sending/quiet_mode.py).
    address: str | None = None


SEND = Verdict(Action.SEND)


def check(row: Notification) -> Verdict:
    kind = kind_named(row.kind)
    if kind is None:
        # A row of a kind nobody declared was not written by any service of ours.
        trip_breaker(kind=row.kind, reason=f"undeclared kind on row {row.reference}")
        return Verdict(Action.SUPPRESS, "undeclared_kind")

    halt = halt_reason(row.kind)
    refusal = kind.provenance(row)
    if refusal is not None and refusal.breach:
        # Even while halted: a row that should never exist is suppressed, so a resume cannot release it.
        trip_breaker(kind=kind.name, reason=f"provenance failed ({refusal.reason}) on row {row.reference}")
        return Verdict(Action.SUPPRESS, refusal.reason)
    if halt is not None:
        return Verdict(Action.HOLD, f"halted: {halt}"[:200])
    if refusal is not None:
        return Verdict(Action.SUPPRESS, refusal.reason)

    suppressed = suppression_reason_for(address=row.recipient.email)
    if suppressed is not None:
        return Verdict(Action.SUPPRESS, f"suppressed: {suppressed}")

    if kind.unsubscribable and is_unsubscribed(user_id=row.recipient_id, category=kind.category):
        return Verdict(Action.SUPPRESS, f"unsubscribed: {kind.category}")

    # Quiet mode and paused registries (docs/safety.md promise 9): cancelled, never replayed; a message that
    # must still go may be redirected to the person's trusted delegate.
    cared = quiet_mode.verdict_for(row, kind)
    if cared is not None and cared.action != Action.SEND:
        return cared
    opted_out = occasion_opt_outs.opted_out(row, kind)
    if opted_out is not None:
        return Verdict(Action.SUPPRESS, opted_out)

    address = cared.address if cared is not None and cared.address else row.recipient.email
    if address != row.recipient.email:
        redirected_suppressed = suppression_reason_for(address=address)
        if redirected_suppressed is not None:
            return Verdict(Action.SUPPRESS, f"suppressed: {redirected_suppressed}")
    if not allowlisted(address):
        logger.info("dropped %s to a non-allowlisted address outside prod", row.reference)
        return Verdict(Action.SUPPRESS, "not_allowlisted")

    if address == row.recipient.email:
        # Last, so that only rows about to go count against an unconfirmed address's cap (docs/safety.md
        # promise 16); a row redirected to a trusted delegate goes to a confirmed address instead.
        capped = unconfirmed_addresses.cap_reason(row)
        if capped is not None:
            return Verdict(Action.SUPPRESS, capped)
        unconfirmed_addresses.note_allowed(row)
    return cared if cared is not None else SEND


def trip_breaker(*, kind: str, reason: str) -> None:
    """Trip `kind`'s breaker, and make the rest of this worker's batch see it halted at once. The breaker's
    quarantine re-checks queued rows outside the batch, so it runs without the batch's facts."""
    with batch_facts.suspended():
        breaker_trip(kind=kind, reason=reason)
    batch_facts.note_halt(kind)


def halt_reason(kind: str) -> str | None:
    """Why `kind` may not send right now (a global or per-kind halt, or a breaker), or None."""
    facts = batch_facts.current()
    if facts is None:
        halt = halt_for(kind=kind)
        return halt.reason if halt is not None else None
    if kind in facts.halted_here:
        return "breaker tripped in this batch"
    halts = facts.get("halts", _halts_now, max_age=batch_facts.HALT_MAX_AGE_SECONDS)
    control = halts.get(ALL_KINDS) or halts.get(kind)
    return control.reason if control is not None else None


def _halts_now(rows: list[Notification]) -> dict[str, SendControl]:
    return {control.kind: control for control in SendControl.objects.filter(halted=True)}


def allowlisted(address: str) -> bool:
    """Outside prod, only addresses matching GRATITUDE_MAIL_ALLOWLIST get mail (docs/safety.md promise 5)."""
    if conf.env() == "prod":
        return True
    return any(fnmatch.fnmatch(address.lower(), p.lower()) for p in conf.mail_allowlist())
