"""One rule for every CSV we hand out (the Thank You List, the audit log, a recall's recipients): a cell a
spreadsheet would run as a formula becomes text (CSV injection)."""

from __future__ import annotations

# A spreadsheet runs a cell that starts with one of these as a formula; tab and CR can smuggle one past a
# leading-character check, and Excel in some locales reads the full-width forms (＝ ＋ － ＠) too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula, by making it text (a leading apostrophe)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
