"""A version per registry in the shared cache, changed after every write that changes what its share page
shows, so a cached share page is keyed by it and never outlives the data it was built from.

Why here and through model signals (docs/benchmarks.md, "The share page cache"): every write that changes
the page goes through a model's save() or delete() (registry, item, gift, hold, membership, picture, a
person's name or quiet mode), whoever makes it (services, the API, the admin, a management command), so one
receiver per model catches all of them without each service remembering to. The one bulk write that
bypasses save(), reordering items, bumps it itself (registries/services/items.py item_move).

The version is a random token, not a counter: if the cache loses the key (eviction, a flushed Redis), the
next read makes a new token, so an entry built under an older one can never be found again.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from django.core.cache import cache
from django.db import transaction

_KEY = "registry-version:{}"
_AFTER_COMMIT_TRIES = 3
_KEPT_AT_MOST_SECONDS = 300  # gifts/share_cache.py SHARE_PAGE_SECONDS: no share page is kept longer
logger = logging.getLogger("gratitude.registries")


def registry_version_key(registry_id: int) -> str:
    """The version's key in the shared cache, for a reader that fetches it with other keys in one trip."""
    return _KEY.format(registry_id)


def registry_version(*, registry_id: int) -> str:
    """The registry's current version; read it BEFORE reading the data a cached entry is built from."""
    key = _KEY.format(registry_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        version = cache.get(key)
    return str(version)


def registry_version_bump(registry_id: int | None) -> None:
    """Give the registry a new version now, and again once the current transaction commits.

    The bump after the commit is the one that counts: a reader between the first bump and the commit
    reads the old rows and may store them under the new version, which the second bump retires. The bump
    now keeps a transaction's own later reads (and tests, whose transactions never commit) current."""
    if registry_id is None:
        return
    key = _KEY.format(registry_id)
    cache.set(key, secrets.token_hex(8), timeout=None)
    transaction.on_commit(lambda: _bump_after_commit(key))


def _bump_after_commit(key: str) -> None:
    """The bump that counts, tried again on a passing cache failure: without it a page kept between the two
    bumps (a link just made private, a registry just paused) would be served until its entry expires."""
    for attempt in range(1, _AFTER_COMMIT_TRIES + 1):
        try:
            cache.set(key, secrets.token_hex(8), timeout=None)
            return
        except Exception:
            if attempt == _AFTER_COMMIT_TRIES:
                # The write is committed; failing its request now would not undo it. Operators are told.
                logger.exception(
                    "%s not changed after a commit: kept share pages may show older data for up to %s s",
                    key,
                    _KEPT_AT_MOST_SECONDS,
                )
                return
            time.sleep(0.05 * attempt)


# --- Receivers (connected in RegistriesConfig.ready) ------------------------------------------------


def _registry_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    registry_version_bump(instance.pk)


def child_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An item, gift, membership or picture: they carry registry_id. Gifts connects its own models
    (GiftsConfig.ready): registries names no model of the apps above it."""
    registry_version_bump(instance.registry_id)


def reservation_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from gratitude.registries.models import Item

    registry_id = Item.objects.filter(pk=instance.item_id).values_list("registry_id", flat=True).first()
    registry_version_bump(registry_id)


def _person_changed(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """A name shown on the share page, or quiet mode (which rests the share page of every registry owned)."""
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a login changes nothing a guest sees
    from gratitude.registries.models import RegistryMember

    for registry_id in RegistryMember.objects.filter(user_id=instance.pk).values_list(
        "registry_id", flat=True
    ):
        registry_version_bump(registry_id)


def connect(receivers: list[tuple[str, Any]] | None = None) -> None:
    """Connect the receivers for registries' own models and the people on them; an app above registries
    passes its own (`receivers`) from its AppConfig.ready()."""
    from django.db.models.signals import post_delete, post_save

    if receivers is not None:
        _connect(receivers, post_save, post_delete)
        return

    receivers = [
        ("registries.Registry", _registry_changed),
        ("registries.Item", child_changed),
        ("registries.RegistryMember", child_changed),
        ("registries.Picture", child_changed),
        ("accounts.User", _person_changed),
    ]
    _connect(receivers, post_save, post_delete)


def _connect(receivers: list[tuple[str, Any]], post_save: Any, post_delete: Any) -> None:
    for sender, receiver in receivers:
        post_save.connect(receiver, sender=sender, dispatch_uid=f"registry-version:{sender}:save")
        post_delete.connect(receiver, sender=sender, dispatch_uid=f"registry-version:{sender}:delete")
