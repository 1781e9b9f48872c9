"""Row locks for items, always taken in primary-key order (as Saleor's lock_objects.py), so two
transactions that touch the same items wait for each other instead of deadlocking.

On PostgreSQL these are `SELECT ... FOR UPDATE`; on SQLite they do nothing, and the IMMEDIATE transaction
(config/settings/base.py) serialises writers instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from gratitude.registries.models import Item, Registry


def lock_items(item_ids: Iterable[int]) -> list[Item]:
    """Lock these items and return them in primary-key order. Call inside a transaction."""
    assert transaction.get_connection().in_atomic_block, "locks only hold inside a transaction"
    return list(Item.objects.select_for_update().filter(pk__in=set(item_ids)).order_by("pk"))


def lock_item(item_id: int) -> Item:
    items = lock_items([item_id])
    if not items:
        raise Item.DoesNotExist(f"item {item_id}")
    return items[0]


def lock_registry(registry_id: int) -> Registry | None:
    # A registry is locked before its items whenever both are needed: one fixed order across the code.
    assert transaction.get_connection().in_atomic_block, "locks only hold inside a transaction"
    return Registry.objects.select_for_update().filter(pk=registry_id).first()
