"""Statements the ORM builds and compiles once per shape, then run again with each request's values.

Search asks the same few questions with different words (selectors.registry_search): building and compiling
its ORM querysets cost more than running them. Here a queryset is built the first time a process meets its
shape (how many words, which narrowing, how many ids), with a marker where each request value goes; the SQL
Django compiles for it is kept, with the positions of the markers among its parameters, and every later
statement of that shape is that SQL with the request's values in those positions. The ORM stays the one
definition of each query (privacy rules included), so what runs is the ORM's SQL to the letter, on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# A text marker can only be met where it was put: a NUL is in no word, and none in fixed SQL parameters.
_TEXT = "\x00{}\x00"
# Ids and dates no row holds, one per marker.
_FIRST_ID_MARKER = -(10**15)
_FIRST_DATE_MARKER = date(1, 1, 1)


def text_marker(name: str) -> str:
    return _TEXT.format(name)


def id_marker(index: int) -> int:
    return _FIRST_ID_MARKER - index


def date_marker(index: int) -> date:
    return date.fromordinal(_FIRST_DATE_MARKER.toordinal() + index)


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: tuple[Any, ...]  # the fixed parameters, with markers where the request's values go
    # (position in params, value name, the parameter around a text marker or None for the value itself)
    slots: tuple[tuple[int, str, str | None], ...]

    def rows(self, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        params = list(self.params)
        for position, name, around in self.slots:
            params[position] = (
                values[name] if around is None else around.replace(text_marker(name), values[name])
            )
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall()


_compiled: dict[Hashable, CompiledQuery] = {}


def compiled(
    shape: Hashable,
    build: Callable[..., QuerySet[Any]],
    markers: dict[str, Any],
    columns: Sequence[str],
    *,
    counted: bool = False,
) -> CompiledQuery:
    """The statement `build(**markers)` compiles to on this database, compiled once per `shape` (which must
    name everything the statement depends on besides the markers' values). `columns` is what the statement
    must select, in order: a queryset that selects otherwise is refused rather than misread. `counted`:
    the statement answers one row, the number of rows the queryset's would be."""
    key = (connection.vendor, shape, counted)
    found = _compiled.get(key)
    if found is None:
        found = _compile(build(**markers), markers, tuple(columns))
        if counted:
            # What QuerySet.count() runs for a sliced queryset, without running it. The inner SQL is the
            # ORM's, every request value a parameter of it.
            counting = f"SELECT COUNT(*) FROM ({found.sql}) counted"  # noqa: S608
            found = CompiledQuery(sql=counting, params=found.params, slots=found.slots)
        _compiled[key] = found
    return found


def _compile(queryset: QuerySet[Any], markers: dict[str, Any], columns: tuple[str, ...]) -> CompiledQuery:
    query = queryset.query
    selected = (*query.extra_select, *query.values_select, *query.annotation_select)
    if selected != columns:
        raise ValueError(f"the statement selects {selected}, not {columns}")
    sql, params = query.get_compiler(connection=connection).as_sql()
    wanted = {_as_parameter(value): name for name, value in markers.items() if not isinstance(value, str)}
    slots: list[tuple[int, str, str | None]] = []
    for position, param in enumerate(params):
        if _hashable(param) and param in wanted:
            slots.append((position, wanted[param], None))
        elif isinstance(param, str):
            slots.extend(
                (position, name, param)
                for name, value in markers.items()
                if isinstance(value, str) and text_marker(name) in param
            )
    missing = set(markers) - {name for _, name, _ in slots}
    if missing:
        raise ValueError(f"markers {sorted(missing)} are not parameters of the compiled statement")
    return CompiledQuery(sql=sql, params=tuple(params), slots=tuple(slots))


def _as_parameter(value: Any) -> Any:
    """A marker as the ORM passes it to the driver (a date is text on SQLite)."""
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def date_parameter(value: date) -> Any:
    """A request's date as the compiled statement's parameter (as the ORM would have passed it)."""
    return connection.ops.adapt_datefield_value(value)


def iexact_parameter(value: str) -> str:
    """A request's text for an `__iexact` lookup, as the ORM would have passed it (escaped for LIKE on
    SQLite)."""
    return str(connection.ops.prep_for_iexact_query(value))


def read_date(value: date | str | None) -> date | None:
    """A date column as the ORM would give it (SQLite answers text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
