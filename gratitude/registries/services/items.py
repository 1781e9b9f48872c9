"""A registry's items: adding, editing, ordering, archiving and restoring them."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from gratitude.core.errors import GratitudeError
from gratitude.registries.locks import lock_items
from gratitude.registries.models import (
    Item,
    Picture,
    Priority,
    Registry,
)
from gratitude.registries.services.shared import _clean_and_save, _require_open
from gratitude.registries.versions import registry_version_bump

# The most of one item a registry can want, or a gift or hold can be (forms say so too).
MAX_QUANTITY = 10_000


def check_quantity(quantity: int) -> None:
    """A quantity of an item, a gift or a hold: a whole number from 1 to MAX_QUANTITY. The cap keeps numbers
    like 2**31 or 2**63 - 1 from ever reaching the database (an error there, not a clear answer)."""
    # bool is an int in Python; a quantity of True is a bug in the caller, not "1".
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise GratitudeError("must be a whole number of at least 1", field="quantity")
    if quantity > MAX_QUANTITY:
        raise GratitudeError(f"at most {MAX_QUANTITY:,}", field="quantity")


def _check_group_gift(*, group_gift: bool, price: Decimal | None, quantity: int) -> None:
    if group_gift and (price is None or price <= 0):
        raise GratitudeError(
            "a group gift needs a price, so givers can see how far it has come", field="price"
        )
    if group_gift and quantity != 1:
        raise GratitudeError(
            "a group gift is one item that several givers pay for together", field="quantity"
        )


def item_add(
    *,
    registry: Registry,
    title: str,
    quantity: int = 1,
    price: Decimal | None = None,
    url: str = "",
    currency: str = "",
    priority: str = Priority.NORMAL,
    notes: str = "",
    picture: Picture | None = None,
    group_gift: bool = False,
) -> Item:
    """Put an item at the end of the list. Whether it is a group gift is decided here, once.

    `currency` defaults to the registry's; `picture` must be one of this registry's kept pictures.
    """
    check_quantity(quantity)
    _check_group_gift(group_gift=group_gift, price=price, quantity=quantity)
    _check_picture(registry=registry, picture=picture)
    with transaction.atomic():
        _require_open(registry)
        last = Item.objects.filter(registry=registry).aggregate(last=Max("position"))["last"]
        item = Item(
            registry=registry,
            title=title.strip(),
            quantity=quantity,
            price=price,
            url=url.strip(),
            currency=(currency.strip() or registry.currency).upper(),
            priority=priority,
            notes=notes.strip(),
            picture=picture,
            group_gift=group_gift,
            position=(last or 0) + 1,
        )
        _clean_and_save(item)
    return item


def _check_picture(*, registry: Registry, picture: Picture | None) -> None:
    # A picture belongs to the registry it was made for: another registry's would show its owner's photo.
    if picture is not None and picture.registry_id != registry.pk:
        raise GratitudeError("that picture belongs to another registry", field="picture")


def item_update(
    *,
    item: Item,
    title: str,
    quantity: int,
    price: Decimal | None,
    url: str = "",
    currency: str = "",
    priority: str = Priority.NORMAL,
    notes: str = "",
    picture: Picture | None = None,
    remove_picture: bool = False,
) -> Item:
    """Edit an item. Lowering the quantity below what givers already took is allowed: it shows as covered.

    (Refusing it would tell a registrant who keeps gifts a surprise how many were given.) A new `picture`
    replaces the old one; `remove_picture` drops it; neither keeps it.
    """
    check_quantity(quantity)
    with transaction.atomic():
        [locked] = lock_items([item.pk])
        _require_open(locked.registry)
        _check_group_gift(group_gift=locked.group_gift, price=price, quantity=quantity)
        _check_picture(registry=locked.registry, picture=picture)
        locked.title = title.strip()
        locked.quantity = quantity
        locked.price = price
        locked.url = url.strip()
        locked.currency = (currency.strip() or locked.registry.currency).upper()
        locked.priority = priority
        locked.notes = notes.strip()
        if picture is not None:
            locked.picture = picture
        elif remove_picture:
            locked.picture = None
        _clean_and_save(locked)
    return locked


def item_move(*, item: Item, direction: str) -> Item:
    """Move an item one place up or down the list the givers see."""
    if direction not in ("up", "down"):
        raise GratitudeError("up or down", field="direction")
    with transaction.atomic():
        _require_open(item.registry)
        on_list = Item.objects.filter(registry_id=item.registry_id, archived_at__isnull=True, off_list=False)
        # Renumbering touches several items: lock them all, in primary-key order.
        locked = {row.pk: row for row in lock_items(on_list.values_list("pk", flat=True))}
        ordered = sorted(locked.values(), key=lambda row: (row.position, row.pk))
        index = next((i for i, row in enumerate(ordered) if row.pk == item.pk), None)
        if index is None:
            raise GratitudeError("Only items on the list can be moved.")
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(ordered):
            ordered[index], ordered[target] = ordered[target], ordered[index]
        changed = []
        for position, row in enumerate(ordered, start=1):
            if row.position != position:
                row.position = position
                changed.append(row)
        Item.objects.bulk_update(changed, ["position"])
        # bulk_update sends no save signal: the share page's cache version is bumped here.
        registry_version_bump(item.registry_id)
    return locked[item.pk]


def item_archive(*, item: Item) -> Item:
    """Take an item off the list. Its gifts stay on the Thank You List; it can be restored."""
    with transaction.atomic():
        [locked] = lock_items([item.pk])
        _require_open(locked.registry)
        if locked.archived_at is None:
            locked.archived_at = timezone.now()
            locked.save(update_fields=["archived_at"])
    return locked


def item_restore(*, item: Item) -> Item:
    """Put an archived item back, at the end of the list."""
    with transaction.atomic():
        [locked] = lock_items([item.pk])
        _require_open(locked.registry)
        if locked.archived_at is not None:
            last = Item.objects.filter(registry_id=locked.registry_id).aggregate(last=Max("position"))["last"]
            locked.archived_at = None
            locked.position = (last or 0) + 1
            locked.save(update_fields=["archived_at", "position"])
    return locked


def item_add_off_list(*, registry: Registry, title: str, quantity: int = 1) -> Item:
    """An item for a gift that came off the registry: it exists for the Thank You List, never for givers."""
    check_quantity(quantity)
    item = Item(registry=registry, title=title.strip(), quantity=quantity, off_list=True)
    with transaction.atomic():
        _clean_and_save(item)
    return item
