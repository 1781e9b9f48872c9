"""Creating a registry and changing its own settings: title, dates, sharing, photo."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from gratitude.accounts.models import User
from gratitude.core.bounds import DATE_RANGE_MESSAGE, date_in_range
from gratitude.core.errors import GratitudeError, refuse_links
from gratitude.registries import pictures
from gratitude.registries.locks import lock_registry
from gratitude.registries.models import (
    MemberRole,
    Occasion,
    Registry,
    RegistryMember,
    Surprise,
    Visibility,
    new_share_key,
    time_zone_names,
)
from gratitude.registries.services.add_from_store import picture_create_from_upload
from gratitude.registries.services.lifecycle import _plan_archive
from gratitude.registries.services.search import registry_search_names_refresh
from gratitude.registries.services.shared import SETTINGS_ROLES, _clean_and_save, _require_open, _require_role


def _check_words_for_givers(*, title: str, welcome_note: str) -> None:
    # The title rides in every message's Subject and the note reaches givers: no links in either
    # (docs/safety.md promise 16).
    refuse_links(field="title", text=title, what="A registry's title")
    refuse_links(field="welcome_note", text=welcome_note, what="A note for your givers")


def registry_create(
    *,
    owner: User,
    title: str,
    occasion: str,
    event_date: date | None = None,
    visibility: str = Visibility.LINK,
    surprise: str = Surprise.SHOW_ALL,
    welcome_note: str = "",
    currency: str = "EUR",
) -> Registry:
    """Create a registry with its owner as the first member (alerts on, instantly)."""
    if occasion not in Occasion.values:
        raise GratitudeError(f"choose one of {', '.join(Occasion.values)}", field="occasion")
    _check_words_for_givers(title=title, welcome_note=welcome_note)
    _check_dates(event_date=event_date)
    with transaction.atomic():
        registry = Registry(
            title=title.strip(),
            occasion=occasion,
            event_date=event_date,
            visibility=visibility,
            surprise=surprise,
            welcome_note=welcome_note.strip(),
            time_zone=owner.timezone if owner.timezone in time_zone_names() else "UTC",
            currency=currency.strip().upper(),
        )
        _clean_and_save(registry)
        RegistryMember.objects.create(registry=registry, user=owner, role=MemberRole.OWNER)
        registry_search_names_refresh(registry=registry)
        _plan_archive(registry)
    return registry


def registry_update(
    *,
    registry: Registry,
    by: User,
    title: str,
    occasion: str,
    event_date: date | None,
    welcome_note: str = "",
    visibility: str = Visibility.LINK,
    surprise: str = Surprise.SHOW_ALL,
    reveal_on: date | None = None,
    shipping_address: str = "",
    city: str = "",
    region: str = "",
    show_city_region: bool = False,
    auto_archive: bool = True,
    time_zone: str = "",
    shipping_note: str = "",
    show_shipping_address: bool = False,
) -> Registry:
    """Change a registry's settings (owner and co-registrants). An empty `time_zone` keeps the current one."""
    if occasion not in Occasion.values:
        raise GratitudeError(f"choose one of {', '.join(Occasion.values)}", field="occasion")
    _check_words_for_givers(title=title, welcome_note=welcome_note)
    _check_dates(event_date=event_date, reveal_on=reveal_on)
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        _require_role(registry=locked, user=by, roles=SETTINGS_ROLES, action="change the registry's settings")
        _require_open(locked)
        locked.title = title.strip()
        locked.occasion = occasion
        locked.event_date = event_date
        locked.welcome_note = welcome_note.strip()
        locked.visibility = visibility
        locked.surprise = surprise
        locked.reveal_on = reveal_on
        locked.shipping_address = shipping_address.strip()
        locked.city = city.strip()
        locked.region = region.strip()
        locked.show_city_region = show_city_region
        locked.auto_archive = auto_archive
        if time_zone:
            locked.time_zone = time_zone
        locked.shipping_note = shipping_note.strip()
        locked.show_shipping_address = show_shipping_address
        _clean_and_save(locked)
        _plan_archive(locked)
    return locked


def _check_dates(*, event_date: date | None, reveal_on: date | None = None) -> None:
    # The archive plan adds days to the event date: a date near date.max would overflow (a 500).
    for field, value in (("event_date", event_date), ("reveal_on", reveal_on)):
        if not date_in_range(value):
            raise GratitudeError(DATE_RANGE_MESSAGE, field=field)


def registry_share_link_reset(*, registry: Registry) -> Registry:
    """Give the registry a new share key; every older link stops working at once."""
    registry.share_key = new_share_key()
    registry.save(update_fields=["share_key"])
    return registry


def registry_photo_set(*, registry: Registry, by: User, data: bytes) -> Registry:
    """The registrants' photo on the giver's page and in link previews (owner and co-registrants)."""
    _require_role(registry=registry, user=by, roles=SETTINGS_ROLES, action="change the registry's photo")
    _require_open(registry)
    photo = picture_create_from_upload(registry=registry, data=data)
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        old = locked.photo
        locked.photo = photo
        locked.save(update_fields=["photo"])
        if old is not None:
            pictures.delete(old)
    return locked


def registry_photo_remove(*, registry: Registry, by: User) -> Registry:
    _require_role(registry=registry, user=by, roles=SETTINGS_ROLES, action="change the registry's photo")
    with transaction.atomic():
        locked = lock_registry(registry.pk)
        assert locked is not None
        if locked.photo is not None:
            old = locked.photo
            locked.photo = None
            locked.save(update_fields=["photo"])
            pictures.delete(old)
    return locked
