"""Why a row may not be sent: the value every kind's provenance check returns (see outbox/kinds.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """A reason not to send. A breach means the row should never have existed: a bug upstream or a forged
    row, so the kind's breaker trips (docs/safety.md promises 1 and 3)."""

    reason: str
    breach: bool = False
