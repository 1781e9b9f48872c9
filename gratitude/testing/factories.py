"""factory-boy factories that go through the services, so test data obeys the same rules as real data."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.accounts.services import user_create
from gratitude.gifts.models import Gift
from gratitude.gifts.services import gift_record
from gratitude.registries.models import Item, Registry
from gratitude.registries.services.items import item_add
from gratitude.registries.services.registries import registry_create

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def make_user(*, verified: bool = True, **overrides: Any) -> User:
    n = _next()
    fields: dict[str, Any] = {"email": f"person{n}@example.test", "display_name": f"Person {n}"}
    fields.update(overrides)
    user = user_create(**fields)
    if verified:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def make_registry(*, owner: User | None = None, **overrides: Any) -> Registry:
    fields: dict[str, Any] = {"title": f"Registry {_next()}", "occasion": "birthday"}
    fields.update(overrides)
    return registry_create(owner=owner or make_user(), **fields)


def make_item(*, registry: Registry | None = None, **overrides: Any) -> Item:
    fields: dict[str, Any] = {"title": f"Item {_next()}", "quantity": 5}
    fields.update(overrides)
    return item_add(registry=registry or make_registry(), **fields)


def make_gift(*, item: Item | None = None, **overrides: Any) -> Gift:
    fields: dict[str, Any] = {"giver_name": "Robin Giver", "giver_email": "robin@example.test"}
    fields.update(overrides)
    return gift_record(item=item or make_item(), **fields)
