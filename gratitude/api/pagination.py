"""Cursor pagination: each page ends with an opaque, signed cursor naming the last row, so pages stay right
while rows are added, and a made-up cursor is a 400 rather than a look at someone else's rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core import signing
from django.db.models import Model, QuerySet
from ninja.errors import HttpError

CURSOR_SALT = "gratitude.api.cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100

M = TypeVar("M", bound=Model)


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        value: Any = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise HttpError(400, "cursor: not a cursor this API gave out") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise HttpError(400, "cursor: not a cursor this API gave out")
    return value


def _next(rows: Sequence[Model], more: bool) -> str | None:
    return signing.dumps(rows[-1].pk, salt=CURSOR_SALT, compress=True) if more and rows else None


def page_queryset(rows: QuerySet[M], *, cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """Newest first by primary key: the rows after the cursor, and the cursor of the page after this one."""
    after = _after(cursor)
    if after is not None:
        rows = rows.filter(pk__lt=after)
    found = list(rows.order_by("-pk")[: limit + 1])
    return found[:limit], _next(found[:limit], len(found) > limit)


def page_list(rows: Sequence[M], *, cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """The same over rows a selector already chose (newest first by primary key)."""
    after = _after(cursor)
    ordered = sorted(rows, key=lambda row: row.pk, reverse=True)
    if after is not None:
        ordered = [row for row in ordered if row.pk < after]
    return ordered[:limit], _next(ordered[:limit], len(ordered) > limit)
