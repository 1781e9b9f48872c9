"""The rows of an item list (the registrant's page, the items page, the guest's share page), prepared once per
request in plain Python.

A registry page with 500 items must answer in well under 50 ms (docs/benchmarks.md). Django's templates
spend most of such a page on per-row work: {% include %}, {% url %} and localising numbers. So each row's
text and links are worked out here, and the templates only print them (and still escape them).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TypedDict

from django.core.files.storage import storages
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

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


# The two long tables (the registrant's page and the guest's share page) are built here, cell by cell, the
# way Django's admin builds its change list: at 500 items, template variables alone would cost more than the
# whole 50 ms budget, and so would format_html's lazy-string checks. Every value a person entered goes
# through _escape (the standard library's html.escape, which Django's own escape wraps), so it is text.

_MOST_WANTED = ' <span class="badge">Most wanted</span>'
_GROUP_GIFT = ' <span class="badge">Group gift</span>'


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _multiline(value: str) -> str:
    return _escape(value.replace("\r\n", "\n")).replace("\n", "<br>")


def _title_cell(row: ItemRow, *, with_notes: bool = False, href: str | None = None) -> str:
    title = _escape(row["title"])
    link = row["url"] if href is None else href
    if link:
        title = f'<a href="{_escape(link)}" rel="noopener noreferrer">{title}</a>'
    image = notes = ""
    if row["picture_src"]:
        # Ours, never hot-linked; alt is the item's title (docs/registries.md, "Pictures").
        image = (
            f'<img class="thumb" src="{_escape(row["picture_src"])}" '
            f'srcset="{_escape(row["picture_srcset"])}" '
            f'sizes="96px" width="{row["picture_width"]}" height="{row["picture_height"]}" '
            f'alt="{_escape(row["title"])}" loading="lazy" decoding="async">'
        )
    if with_notes and row["notes"]:
        notes = f'<div class="notes">{_multiline(row["notes"])}</div>'
    badges = (_MOST_WANTED if row["most_wanted"] else "") + (_GROUP_GIFT if row["group_gift"] else "")
    return f"<td>{image}{title}{badges}{notes}</td>"


def registrant_table_rows(rows: list[ItemRow], *, hide_details: bool) -> list[SafeString]:
    """<tr>s for the registrant's page: Item, Wanted, [Reserved, Given,] Price. "Covered only" drops the
    two status columns, so nothing on the page says which item was given."""
    html_rows = []
    for row in rows:
        if hide_details:
            status = ""
        elif row["group_gift"]:
            status = (
                f'<td data-label="Reserved">–</td><td data-label="Funded">{_escape(row["progress"])}</td>'
            )
        else:
            status = (
                f'<td data-label="Reserved">{row["reserved"]}</td><td data-label="Given">{row["given"]}</td>'
            )
        price = f"{_escape(row['price'])} {_escape(row['currency'])}" if row["price"] else ""
        label = ' data-label="Price"' if price else ""
        cells = (
            f'{_title_cell(row)}<td data-label="Wanted">{row["quantity"]}</td>{status}'
            f'<td class="price"{label}>{price}</td>'
        )
        html_rows.append(mark_safe(f"<tr>{cells}</tr>"))  # noqa: S308 - every value above is escaped
    return html_rows


def guest_table_rows(
    rows: list[ItemRow],
    *,
    show_status: bool,
    actions: bool,
    held_here: dict[int, tuple[str, str]] | None = None,
) -> list[SafeString]:
    """<tr>s for the share page: Item, [Still wanted,] Price, [what a giver can do]. `held_here` maps an item
    to this browser's own hold on it (its page, and when it ends): that row says "You reserved this"."""
    html_rows = []
    yours = held_here or {}
    for row in rows:
        status = ""
        if show_status and row["group_gift"]:
            percent = int(row["percent"])
            funded = _escape(row["progress"])
            # A <progress> element, named, so a screen reader says what the bar measures (axe-core's
            # aria-progressbar-name) and no inline style is needed to draw it.
            status = (
                f'<td data-label="Funded">{funded}<progress class="funding" max="100" value="{percent}" '
                f'aria-label="{funded} funded">{percent}%</progress></td>'
            )
        elif show_status:
            status = f'<td data-label="Still wanted">{_escape(row["still_wanted_text"])}</td>'
        price = f"{_escape(row['price'])} {_escape(row['currency'])}" if row["price"] else ""
        price_cell = (
            f'<td class="price" data-label="Price">{price}</td>' if price else '<td class="price"></td>'
        )
        action = f'<td class="giver-actions">{_guest_action(row)}</td>' if show_status and actions else ""
        # A giver's "buy" link carries the item's signed reference, which a store sends back with the order.
        buy = buy_link(row["url"], item_id=row["pk"]) if row["url"] else ""
        title = _title_cell(row, with_notes=True, href=buy)
        if row["pk"] in yours:
            hold_url, until = yours[row["pk"]]
            title = title[: -len("</td>")] + (
                f'<p class="yours" data-testid="you-reserved">You reserved this until {_escape(until)}. '
                f'<a href="{_escape(hold_url)}">Your hold</a></p></td>'
            )
        cells = f"{title}{status}{price_cell}{action}"
        html_rows.append(mark_safe(f'<tr data-testid="item-row">{cells}</tr>'))  # noqa: S308 - escaped above
    return html_rows


def _guest_action(row: ItemRow) -> str:
    if not row["still_wanted"]:
        return '<span class="muted">Covered</span>'
    links = row["links"]
    if row["group_gift"]:
        return f'<a class="button" href="{_escape(links["contribute"])}">Contribute</a>'
    return (
        f'<div class="actions"><a class="button" href="{_escape(links["give"])}">I bought this</a>'
        f'<a class="button secondary" href="{_escape(links["reserve"])}">Reserve</a></div>'
    )
