"""The webhook's own statements, written once as SQL: the store's signing row, the items an event names, and
the pending event's insert. The request path runs them tens of times a second per process; the ORM would
compile each one again every time (most of the request's CPU, docs/benchmarks.md "Store webhooks").

Nothing here is cached between requests: a rotated secret or a removed store takes effect on the next
request. The SQL is built from the models' metadata, so a renamed column cannot drift from it."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gratitude.api.models import EventOutcome, Store, StoreEvent
from gratitude.registries.models import Item


def _columns(model: type[Model], names: list[str]) -> list[str]:
    fields = [model._meta.get_field(name) for name in names]
    return [connection.ops.quote_name(field.column) for field in fields if isinstance(field, Field)]


@cache
def _store_sql() -> str:
    columns = ", ".join(_columns(Store, ["id", "name", "secret", "previous_secret", "previous_valid_until"]))
    public_id = _columns(Store, ["public_id"])[0]
    table = connection.ops.quote_name(Store._meta.db_table)
    # Identifiers from the models' metadata, quoted; every value is a bound parameter.
    return f"SELECT {columns} FROM {table} WHERE {public_id} = %s"  # noqa: S608


def store_for_signature(public_id: str) -> Store | None:
    """The store `public_id` names, with what verifying its signature needs; None if there is none."""
    with connection.cursor() as cursor:
        cursor.execute(_store_sql(), [public_id])
        row = cursor.fetchone()
    if row is None:
        return None
    store_id, name, secret, previous_secret, previous_valid_until = row
    if isinstance(previous_valid_until, str):  # SQLite without its converter
        previous_valid_until = parse_datetime(previous_valid_until)
    if previous_valid_until is not None and timezone.is_naive(previous_valid_until):
        # SQLite keeps UTC without its zone; PostgreSQL answers an aware time already.
        previous_valid_until = timezone.make_aware(previous_valid_until, UTC)
    return Store(
        id=store_id,
        public_id=public_id,
        name=name,
        secret=secret,
        previous_secret=previous_secret,
        previous_valid_until=previous_valid_until,
    )


def items_found(item_ids: set[int]) -> set[int]:
    """Which of `item_ids` still exist: one statement whatever their number."""
    if not item_ids:
        return set()
    table = connection.ops.quote_name(Item._meta.db_table)
    pk = _columns(Item, ["id"])[0]
    marks = ", ".join(["%s"] * len(item_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk} FROM {table} WHERE {pk} IN ({marks})", list(item_ids))  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


_INSERTED = ["store", "signature", "signed_at", "received_at", "event", "order_id", "outcome", "status_code"]
_INSERTED_TOO = ["detail", "body", "result"]


@cache
def _insert_sql() -> str:
    table = connection.ops.quote_name(StoreEvent._meta.db_table)
    columns = ", ".join(_columns(StoreEvent, _INSERTED + _INSERTED_TOO))
    # detail empty, result the empty JSON object (the model's defaults); the body is the verified request's.
    values = ", ".join(["%s"] * len(_INSERTED)) + ", '', %s, '{}'"
    returning = _columns(StoreEvent, ["id"])[0]
    return f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {returning}"  # noqa: S608


def pending_event_insert(
    *,
    store_id: int,
    signature: str,
    signed_at: datetime,
    received_at: datetime,
    event: str,
    order_id: str,
    body: str,
) -> int:
    """Store one verified event as pending (status 202) with its body; returns its id. IntegrityError if
    this signature was received before (the unique (store, signature))."""
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [
        store_id,
        signature,
        adapt(signed_at),
        adapt(received_at),
        event,
        order_id,
        EventOutcome.PENDING,
        202,
        body,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(), params)
        return int(cursor.fetchone()[0])
