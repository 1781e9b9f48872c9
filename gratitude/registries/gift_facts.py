"""What the registry pages need to know about gifts, declared here and answered by the gifts app.

Gifts sit above registries in the layers (docs/architecture.md): a gift points at an item, so registries may
not import gifts. Yet a registry's pages show how much of each item is still wanted, and the registrants'
page how many gifts arrived. So registries declares the two questions it asks, and gifts plugs its answers in
from its `AppConfig.ready()` (`register_gift_facts`), the same pattern as the sending path's ports
(notifications/sending/ports.py). A question nobody answers is a configuration error, raised loudly.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gratitude.registries.models import Registry


@dataclass(frozen=True)
class ItemTotals:
    """Per item id: units given and the money they brought (active gifts), and units held right now."""

    given: dict[int, int]
    contributed: dict[int, Decimal | None]
    held: dict[int, int]


@dataclass(frozen=True)
class GiftSummary:
    total: int
    # Gifts whose item and giver "covered only" keeps from the registrants for now.
    hidden: int


# (item ids, or None for every item of `registry_id`; registry_id or None) -> totals, in a fixed few queries.
TotalsFn = Callable[[Collection[int] | None, int | None], ItemTotals]
SummaryFn = Callable[["Registry"], GiftSummary]

_answers: dict[str, Callable[..., object]] = {}


def register_gift_facts(*, totals: TotalsFn, summary: SummaryFn) -> None:
    _answers["totals"] = totals
    _answers["summary"] = summary


def _answer(name: str) -> Callable[..., object]:
    try:
        return _answers[name]
    except KeyError:
        message = f"registries.gift_facts: nobody answers {name!r} (is gratitude.gifts installed?)"
        raise RuntimeError(message) from None


def item_totals(*, item_ids: Collection[int] | None, registry_id: int | None) -> ItemTotals:
    result = _answer("totals")(item_ids, registry_id)
    assert isinstance(result, ItemTotals)
    return result


def gift_summary(*, registry: Registry) -> GiftSummary:
    """How many gifts, and how many of them are hidden: all a registrant sees while "covered only" holds."""
    result = _answer("summary")(registry)
    assert isinstance(result, GiftSummary)
    return result
