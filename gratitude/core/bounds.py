"""Bounds of what the databases can hold, for forms to check typed numbers against before any query: a
number past them is a 400 with a message, never an overflow (a 500) inside the database driver."""

from __future__ import annotations

import re

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
