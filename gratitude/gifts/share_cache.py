"""The share page's list and names, kept in the shared cache under the registry's version
(registries/versions.py), so the guests who open one link do not each rebuild the same list.

What is kept is the same for every visitor: the item rows and the registrants' names. What depends on who
asks (a registrant keeping the surprise, "you reserved this" for this browser's holds) and the registry row
itself (so a reset or private link, a pause or an archive is seen at once) are read on every request.
An entry never outlives the data: every write that changes the list bumps the version after its commit,
and a hold that ends by itself ends the entry with it (the entry expires when the first held hold does).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db.models import Min
from django.utils import timezone

from gratitude.gifts.models import Reservation, ReservationState
from gratitude.registries import selectors
from gratitude.registries.listing import ItemRow, item_rows
from gratitude.registries.models import Registry
from gratitude.registries.versions import registry_version

# The longest an entry is kept without any write: a bound on anything else the list depends on by time.
SHARE_PAGE_SECONDS = 300


def share_page_rows(
    *, registry: Registry, links: dict[str, Callable[[int], str]]
) -> tuple[list[ItemRow], list[str], float]:
    """(the item rows with their guest links, the registrants' names, the time (epoch seconds) they stop
    being current without any write: the first held hold's end), from the cache when current."""
    # The version is read before the rows: a write committed after this read bumps it, so rows read
    # before that write are stored under a version no request asks for again.
    version = registry_version(registry_id=registry.pk)
    key = f"share-rows:{registry.pk}:{version}:{registry.share_key}"
    cached: tuple[list[ItemRow], list[str], float] | None = cache.get(key)
    if cached is not None:
        return cached
    now = timezone.now()
    rows = item_rows(selectors.items_with_availability(registry=registry), links)
    names = selectors.registrant_names(registry=registry)
    next_end = Reservation.objects.filter(
        item__registry_id=registry.pk, state=ReservationState.HELD, expires_at__gt=now
    ).aggregate(end=Min("expires_at"))["end"]
    seconds = SHARE_PAGE_SECONDS
    if next_end is not None:
        seconds = min(seconds, int((next_end - now).total_seconds()))
    kept_until = now.timestamp() + max(seconds, 0)
    if seconds > 0:
        cache.set(key, (rows, names, kept_until), timeout=seconds)
    return rows, names, kept_until
