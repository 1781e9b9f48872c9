"""The rows of an item list (the registrant's page, the items page, the guest's share page), prepared once per
request in plain Python.

A registry page with 500 items must answer in well under 50 ms (docs/benchmarks.md). Django's templates
spend most of such a page on per-row work: {% include %}, {% url %} and localising numbers. So each row's
text and links are worked out here, and the templates only print them (and still escape them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypedDict

from django.core.files.storage import storages
from django.urls import reverse
from django.utils.safestring import SafeString

from gratitude.core.fragments import macro
from gratitude.registries.item_refs import buy_link
from gratitude.registries.models import Picture, Priority
from gratitude.registries.selectors import ItemAvailability

# Stands in for an item's id while reversing a URL once; then each row only swaps in its own id.
ITEM = 987654321


def url_for_each(name: str, args: Sequence[object]) -> Callable[[int], str]:
    """A function item_id -> URL for `name`, where `args` holds the placeholder ITEM for the item's id."""
    head, tail = reverse(name, args=list(args)).rsplit(str(ITEM), 1)
    return lambda item_id: f"{head}{item_id}{tail}"


class ItemRow(TypedDict):
    """A dict, not an object: the template engine tries a key lookup first, and a miss costs an exception."""

    pk: int
    title: str
    url: str
    # The kept picture (pictures.py): its smallest variant, every variant as a srcset, and its size there.
    picture_src: str
    picture_srcset: str
    picture_width: int
    picture_height: int
    notes: str
    most_wanted: bool
    nice_to_have: bool
    group_gift: bool
    quantity: str
    price: str
    currency: str
    reserved: str
    given: str
    still_wanted: int
    still_wanted_text: str
    # Group gifts: "45.00 of 200.00" and how far along, in percent.
    progress: str
    percent: int
    links: dict[str, str]


def item_rows(
    rows: list[ItemAvailability], links: dict[str, Callable[[int], str]] | None = None
) -> list[ItemRow]:
    """One ItemRow per item, with the links named in `links` (e.g. {"give": url_for_each(...)})."""
    makers = links or {}
    picture_url = picture_url_maker()
    return [_row(row, makers, picture_url) for row in rows]


_KEY, _WIDTH = "zzpicturekeyzz", 987654


def picture_url_maker() -> Callable[[str, int], str]:
    """(picture key, width) -> URL. Asking the storage costs about 12 µs a call, 25 ms for 500 items with
    four widths each; so the URL is worked out once and each picture swaps in its key and width, unless
    the storage signs its URLs (a query string), where each URL must come from the storage itself."""
    storage = storages["default"]
    sample = str(storage.url(Picture(key=_KEY).name(_WIDTH)))
    if "?" in sample or sample.count(_KEY) != 1 or sample.count(str(_WIDTH)) != 1:
        return lambda key, width: str(storage.url(Picture(key=key).name(width)))
    head, rest = sample.split(_KEY)
    middle, tail = rest.split(str(_WIDTH))
    return lambda key, width: f"{head}{key}{middle}{width}{tail}"


def _row(
    row: ItemAvailability, makers: dict[str, Callable[[int], str]], picture_url: Callable[[str, int], str]
) -> ItemRow:
    item = row.item
    still_wanted = row.still_wanted
    # Prices come back from the database with their two decimal places, so str() is their display form.
    price = "" if item.price is None else str(item.price)
    picture = item.picture
    src, srcset, width, height = _picture(picture, picture_url) if picture is not None else ("", "", 0, 0)
    return {
        "pk": item.pk,
        "title": item.title,
        "url": item.url,
        "picture_src": src,
        "picture_srcset": srcset,
        "picture_width": width,
        "picture_height": height,
        "notes": item.notes,
        "most_wanted": item.priority == Priority.MOST_WANTED,
        "nice_to_have": item.priority == Priority.NICE_TO_HAVE,
        "group_gift": item.group_gift,
        "quantity": str(item.quantity),
        "price": price,
        "currency": item.currency,
        "reserved": str(row.reserved),
        "given": str(row.given),
        "still_wanted": still_wanted,
        "still_wanted_text": f"{still_wanted} of {item.quantity}",
        "progress": f"{row.contributed:.2f} of {price} {item.currency}" if item.group_gift else "",
        "percent": row.percent_funded if item.group_gift else 0,
        "links": {name: make(item.pk) for name, make in makers.items()},
    }


def _picture(picture: Picture, picture_url: Callable[[str, int], str]) -> tuple[str, str, int, int]:
    urls = [(picture_url(picture.key, width), width) for width in picture.widths]
    smallest = picture.widths[0]
    return (
        urls[0][0],
        ", ".join(f"{url} {width}w" for url, width in urls),
        smallest,
        picture.height_at(smallest),
    )


# The two long tables (the registrant's page and the guest's share page): each row is one call of a Jinja2
# macro (registries/jinja2/registries/item_rows.html, the "fragments" engine of gratitude/core/fragments.py),
# given the values above; it escapes every value a person entered, as Django does. At 500 items Django's
# template variables alone would cost more than the whole 50 ms budget; the compiled macros take about
# 17 µs a registrant row and 22 µs a guest row (CPU time on a busy two-core machine), against 5 and 11 µs
# for the f-strings in Python they replace: a few ms on a 500-item page (budget: docs/benchmarks.md).
ROWS_TEMPLATE = "registries/item_rows.html"


def registrant_table_rows(rows: list[ItemRow], *, hide_details: bool) -> list[SafeString]:
    """<tr>s for the registrant's page: Item, Wanted, [Reserved, Given,] Price. "Covered only" drops the
    two status columns, so nothing on the page says which item was given."""
    row_html = macro(ROWS_TEMPLATE, "registrant_row")
    return [row_html(row, hide_details) for row in rows]


def guest_table_rows(
    rows: list[ItemRow],
    *,
    show_status: bool,
    actions: bool,
    held_here: dict[int, tuple[str, str]] | None = None,
) -> list[SafeString]:
    """<tr>s for the share page: Item, [Still wanted,] Price, [what a giver can do]. `held_here` maps an item
    to this browser's own hold on it (its page, and when it ends): that row says "You reserved this"."""
    row_html = macro(ROWS_TEMPLATE, "guest_row")
    yours = held_here or {}
    return [
        row_html(
            row,
            # A giver's "buy" link carries the item's signed reference, which a store sends back with the
            # order.
            buy_link(row["url"], item_id=row["pk"]) if row["url"] else "",
            _lines(row["notes"]),
            yours.get(row["pk"]),
            show_status,
            actions,
        )
        for row in rows
    ]


def _lines(notes: str) -> list[str]:
    """The notes' lines, each printed escaped with a <br> between them."""
    return notes.replace("\r\n", "\n").split("\n") if notes else []
