"""What the send-time guards know about one claimed batch, read with a few queries instead of a few per row.

The worker claims up to a hundred rows at a time. Checking each one against the world "as it is now" used
to cost about thirty SQL statements per message; most of them asked the same questions (is this kind
halted? is this address suppressed? is this person still a member?) about rows that share answers. A
`BatchFacts` answers each question for the whole batch in one query, the first time any row asks, and
the worker drops its answers whenever they are older than MAX_AGE_SECONDS, just before the
guards run for a group of rows. So "re-checked at the moment of sending" holds to within that second.
A breaker the worker itself trips mid-batch is seen at once (`note_halt`).

Code that runs both inside and outside a batch (a kind's provenance, pacing) asks `current()`; outside a
batch it is None and the caller queries for its one row, as before. See docs/notifications.md, "Cost".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from gratitude.notifications.models import Notification

# A guard's answer may be this old when a row is sent; halts by an operator are promised within 60 s.
MAX_AGE_SECONDS = 1.0
# Halts are asked again before every message once this old: "halt" stops a batch in hand at once.
HALT_MAX_AGE_SECONDS = 0.2

T = TypeVar("T")

_current: ContextVar[BatchFacts | None] = ContextVar("gratitude_batch_facts", default=None)


class BatchFacts:
    def __init__(self, rows: list[Notification]) -> None:
        self.rows = rows
        self.taken_at = time.monotonic()
        self._answers: dict[str, Any] = {}
        self._asked_at: dict[str, float] = {}
        self.halted_here: set[str] = set()

    @property
    def stale(self) -> bool:
        return time.monotonic() - self.taken_at > MAX_AGE_SECONDS

    def get(
        self,
        question: str,
        answer_for_batch: Callable[[list[Notification]], T],
        *,
        max_age: float | None = None,
    ) -> T:
        """The answer to `question` for every row of the batch, computed once with `answer_for_batch`, or
        again when it is older than `max_age` seconds (for a question that must be fresher than the rest)."""
        now = time.monotonic()
        asked_at = self._asked_at.get(question)
        if asked_at is None or (max_age is not None and now - asked_at > max_age):
            self._answers[question] = answer_for_batch(self.rows)
            self._asked_at[question] = now
        answer: T = self._answers[question]
        return answer

    def refresh_if_stale(self) -> None:
        if self.stale:
            self._answers.clear()
            self._asked_at.clear()
            self.taken_at = time.monotonic()

    def note_halt(self, kind: str) -> None:
        """This worker just tripped `kind`'s breaker: the rest of the batch must see it halted."""
        self.halted_here.add(kind)


def current() -> BatchFacts | None:
    return _current.get()


@contextmanager
def facts_for(rows: list[Notification]) -> Iterator[BatchFacts]:
    facts = BatchFacts(rows)
    token = _current.set(facts)
    try:
        yield facts
    finally:
        _current.reset(token)


@contextmanager
def suspended() -> Iterator[None]:
    """Code that looks beyond the batch (the breaker's quarantine of every queued row) runs without it."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


def note_halt(kind: str) -> None:
    facts = current()
    if facts is not None:
        facts.note_halt(kind)
