"""Sample messages of every kind, for `gratitude mail preview KIND`, the dev preview page and the tests.

A sample is a real event made through the real services (so its outbox rows come from the one writer,
notifications/outbox/writes.py), rendered, and rolled back: nothing of it stays in the database. Each kind
brings its own sample builder (`Kind.sample`, declared beside the kind in its app); the tests render, sign and
check every registered kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction

from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import Kind, kind_named
from gratitude.notifications.rendering.messages import RenderedMessage, build_email, render
from gratitude.notifications.transport.backends import signed_bytes


class NoSample(LookupError):
    pass


@contextmanager
def sample_rows(kind_name: str) -> Iterator[tuple[Kind, list[Notification]]]:
    """The outbox rows a sample event writes for `kind_name`, rolled back when the block ends."""
    kind = kind_named(kind_name)
    if kind is None:
        raise NoSample(f"no kind {kind_name!r} is registered, so there is no sample of it")
    with transaction.atomic():
        try:
            rows = kind.sample()
            if not rows:
                raise NoSample(f"the sample for {kind_name!r} wrote no outbox row")
            yield kind, rows
        finally:
            transaction.set_rollback(True)


@dataclass(frozen=True)
class Preview:
    kind: Kind
    recipient_email: str
    rendered: RenderedMessage
    # The whole message as a transport would send it (signed when a DKIM key is configured).
    raw: bytes


def preview(kind_name: str) -> Preview:
    with sample_rows(kind_name) as (kind, rows):
        rendered = render(rows, kind)
        email = build_email(rows[0], kind, rendered)
        return Preview(
            kind=kind, recipient_email=rows[0].recipient.email, rendered=rendered, raw=signed_bytes(email)
        )
