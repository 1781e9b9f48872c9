"""Bounds of what the databases can hold, for forms to check typed numbers against before any query: a
number past them is a 400 with a message, never an overflow (a 500) inside the database driver."""

from __future__ import annotations

import re
from datetime import date

# A primary key (BigAutoField): a signed 64-bit integer on SQLite and PostgreSQL alike.
MAX_ID = 2**63 - 1
# An id typed into a form or a query string: ASCII digits only (str.isdigit() also takes "²" and "٣").
ID_PATTERN = re.compile(r"[0-9]{1,19}")


def parse_id(value: str) -> int | None:
    """The id `value` spells, or None when it is not one the database could hold."""
    if not ID_PATTERN.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


# Dates people type (an event, a reveal): far enough either way for any real occasion, and far enough from
# date.max that adding the archive delay or a reminder lead can never overflow.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
DATE_RANGE_MESSAGE = f"Enter a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}."


def date_in_range(value: date | None) -> bool:
    return value is None or EARLIEST_DATE <= value <= LATEST_DATE


class IdConverter:
    """The `<id:...>` path converter every URL uses for a primary key: like `<id:...>`, but at most 18
    digits, so a number no database row can have is a 404 before any query (Django's own `int` takes any
    length, and SQLite overflows on it: a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(value)
