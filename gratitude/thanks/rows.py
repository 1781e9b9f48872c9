"""The rows of the Thank You List's table, rendered by a Jinja2 macro (thanks/jinja2/thanks/gift_rows.html).

Why: with 30 to 50 gifts a page, Django's template engine spent most of the page's time on the rows (a dozen
variable lookups, three date filters and an include per row). The dates, links and filtered text are worked
out here once per row; the macro prints them and escapes everything a person typed, as Django does
(gratitude/core/fragments.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.template.defaultfilters import linebreaksbr
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.timezone import localtime

from gratitude.core.fragments import macro
from gratitude.gifts.models import Gift

ROWS_TEMPLATE = "thanks/gift_rows.html"


class _Days(dict[date, str]):
    """Dates as the template's {{ value|date:"j M Y" }} writes them (in the current time zone), each day
    formatted once per page: a page's gifts share a few days, and formatting is the costly part."""

    def __call__(self, value: datetime | None) -> str:
        if value is None:
            return ""
        day = localtime(value).date()
        text = self.get(day)
        if text is None:
            text = self[day] = date_format(day, "j M Y")
        return text


def gift_table_rows(
    gifts: list[Gift], *, thanks_url: str, giver_link_query: str, hidden: bool
) -> list[SafeString]:
    """<tr>s for the list by gift. `gifts` come from selectors.thank_you_page (giver, status and note
    attached); `giver_link_query` is the current filters to keep when a giver's name is followed."""
    row_html = macro(ROWS_TEMPLATE, "gift_row")
    days = _Days()
    return [
        row_html(gift, _values(gift, days, thanks_url, giver_link_query, hidden), hidden) for gift in gifts
    ]


def _values(gift: Any, day: _Days, thanks_url: str, giver_link_query: str, hidden: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "given": day(gift.created_at),
        "received": day(gift.received_at),
        "status_date": day(gift.status_date),
    }
    if hidden:
        return row
    request = gift.address_request
    row.update(
        link=f"{thanks_url}gifts/{gift.pk}/",
        # As {{ key|urlencode }}: quote() keeping "/".
        giver_link=f"?{giver_link_query}giver={quote(gift.giver.key, safe='/')}",
        asked=day(request.requested_at) if request else "",
        message=linebreaksbr(gift.message, autoescape=True) if gift.message else "",
        note=Truncator(gift.note).chars(80) if gift.note else "",
    )
    return row
