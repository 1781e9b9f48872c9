"""Adding an item from any store's page, and the pictures items and registries carry."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from gratitude.core.errors import GratitudeError
from gratitude.registries import pictures
from gratitude.registries.fetch import ProductDetails, Resolver, clean_text, fetch_product
from gratitude.registries.locks import lock_items
from gratitude.registries.models import (
    Item,
    Picture,
    Registry,
)
from gratitude.registries.services.items import check_quantity, item_add
from gratitude.registries.services.shared import _require_open


def picture_create_from_upload(*, registry: Registry, data: bytes) -> Picture:
    """Keep an uploaded picture for this registry (checked, stripped, re-encoded: pictures.py)."""
    return pictures.store(pictures.prepare(data), registry=registry)


def picture_create_from_url(*, registry: Registry, url: str, resolver: Resolver | None = None) -> Picture:
    """Fetch a store's picture (with fetch.py's checks) and keep it for this registry."""
    data = pictures.fetch_picture_bytes(url, resolver=resolver)
    return pictures.store(pictures.prepare(data), registry=registry, source_url=url)


def product_fetch(*, registry: Registry, url: str, resolver: Resolver | None = None) -> ProductDetails:
    """Read a store's product page for the "add from a link" form; FetchError says why it could not."""
    _require_open(registry)
    return fetch_product(url, resolver=resolver)


def item_add_from_url(*, registry: Registry, url: str, quantity: int = 1) -> Item:
    """Fetch the product page, keep its picture, and add the item, in one step.

    A page that is not a product, too large, too slow, unreachable or pointing into a private network
    raises FetchError. A picture that cannot be kept does not stop the item: it is added without one.
    """
    check_quantity(quantity)
    product = product_fetch(registry=registry, url=url)
    picture = None
    if product.image_url:
        try:
            picture = picture_create_from_url(registry=registry, url=product.image_url)
        except GratitudeError:
            picture = None
    try:
        return item_add(
            registry=registry,
            title=clean_text(product.title),
            quantity=quantity,
            price=product.price,
            url=product.url,
            currency=product.currency or registry.currency,
            picture=picture,
        )
    except GratitudeError:
        if picture is not None:
            pictures.delete(picture)
        raise


# A picture kept from a store link waits this long for the registrant to confirm the item.
UNUSED_PICTURE_HOURS = 24


def pictures_unused_clear() -> int:
    """Delete pictures no item and no registry uses, a day after they were kept (a store link fetched but
    never confirmed, a replaced picture). Run hourly by the worker; safe to run any number of times."""
    cutoff = timezone.now() - timedelta(hours=UNUSED_PICTURE_HOURS)
    unused = (
        Picture.objects.filter(created_at__lt=cutoff)
        .exclude(Exists(Item.objects.filter(picture_id=OuterRef("pk"))))
        .exclude(Exists(Registry.objects.filter(photo_id=OuterRef("pk"))))
    )
    count = 0
    for picture in unused.iterator():
        with transaction.atomic():
            pictures.delete(picture)
        count += 1
    return count


def item_pasted_picture_fetch(*, item: Item) -> Item:
    """Turn a picture link pasted before pictures were kept by us into a kept picture, through the same
    checks as "add from any store". The link is cleared either way: it is never shown, and a link we could
    not fetch safely once is not retried."""
    if not item.pasted_image_url:
        return item
    picture = None
    try:
        picture = picture_create_from_url(registry=item.registry, url=item.pasted_image_url)
    finally:
        with transaction.atomic():
            [locked] = lock_items([item.pk])
            locked.pasted_image_url = ""
            if picture is not None and locked.picture_id is None:
                locked.picture = picture
            locked.save(update_fields=["pasted_image_url", "picture"])
    return locked
