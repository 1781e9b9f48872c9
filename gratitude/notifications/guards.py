"""The send-time guard chain for one row: send controls -> provenance -> suppression -> unsubscribed
category -> allowlist.

Each guard looks at the row as the world is *now*, not as it was when the row was queued. The first
guard that objects decides the row's fate; pacing (pacing.py) then applies to the rows that may go, as a
group. One exception to the order: a provenance *breach* is suppressed even while the kind is halted, so a
later resume can never release a forged row. See docs/notifications.md.
"""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.conf import settings

from gratitude.notifications.kinds import kind_named
from gratitude.notifications.models import Notification
from gratitude.notifications.suppression import is_unsubscribed, suppression_reason_for
from gratitude.operations.selectors import halt_for
from gratitude.operations.services import breaker_trip

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


SEND = Verdict(Action.SEND)


def check(row: Notification) -> Verdict:
    kind = kind_named(row.kind)
    if kind is None:
        # A row of a kind nobody declared was not written by any service of ours.
        breaker_trip(kind=row.kind, reason=f"undeclared kind on row {row.reference}")
        return Verdict(Action.SUPPRESS, "undeclared_kind")

    halt = halt_for(kind=row.kind)
    refusal = kind.provenance(row)
    if refusal is not None and refusal.breach:
        # Even while halted: a row that should never exist is suppressed, so a resume cannot release it.
        breaker_trip(kind=kind.name, reason=f"provenance failed ({refusal.reason}) on row {row.reference}")
        return Verdict(Action.SUPPRESS, refusal.reason)
    if halt is not None:
        return Verdict(Action.HOLD, f"halted: {halt.reason}"[:200])
    if refusal is not None:
        return Verdict(Action.SUPPRESS, refusal.reason)

    suppressed = suppression_reason_for(address=row.recipient.email)
    if suppressed is not None:
        return Verdict(Action.SUPPRESS, f"suppressed: {suppressed}")

    if kind.unsubscribable and is_unsubscribed(user_id=row.recipient_id, category=kind.category):
        return Verdict(Action.SUPPRESS, f"unsubscribed: {kind.category}")

    if not allowlisted(row.recipient.email):
        logger.info("dropped %s to a non-allowlisted address outside prod", row.reference)
        return Verdict(Action.SUPPRESS, "not_allowlisted")

    return SEND


def allowlisted(address: str) -> bool:
    """Outside prod, only addresses matching GRATITUDE_MAIL_ALLOWLIST get mail (SAFETY.md promise 5)."""
    if settings.GRATITUDE_ENV == "prod":
        return True
    return any(fnmatch.fnmatch(address.lower(), p.lower()) for p in settings.GRATITUDE_MAIL_ALLOWLIST)
