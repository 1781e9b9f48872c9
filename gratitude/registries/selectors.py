"""Reads of registries, always scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.registries.models import Item, Registry, RegistryMember, Visibility


def registries_for_member(*, user: User) -> QuerySet[Registry]:
    return Registry.objects.filter(members__user=user).order_by("-created_at")


def registry_for_member(*, user: User, registry_id: int) -> Registry:
    """The registry if `user` is a member of it; 404 otherwise (never reveal that it exists)."""
    registry = Registry.objects.filter(pk=registry_id, members__user=user).first()
    if registry is None:
        raise Http404("No such registry")
    return registry


def membership_for(*, user: User, registry: Registry) -> RegistryMember | None:
    return RegistryMember.objects.filter(registry=registry, user=user).first()


def registry_for_share_key(*, share_key: str) -> Registry | None:
    """The registry a guest's link opens, or None for a wrong, reset or private link."""
    registry = Registry.objects.filter(share_key=share_key).first()
    if registry is None or registry.visibility == Visibility.PRIVATE:
        return None
    return registry


@dataclass(frozen=True)
class ItemAvailability:
    item: Item
    given: int
    reserved: int

    @property
    def still_wanted(self) -> int:
        return max(self.item.quantity - self.given - self.reserved, 0)


def item_availability(*, item: Item) -> ItemAvailability:
    return _availability([item])[0]


def items_with_availability(*, registry: Registry) -> list[ItemAvailability]:
    return _availability(list(registry.items.all()))


def _availability(items: list[Item]) -> list[ItemAvailability]:
    from gratitude.gifts.models import Gift, GiftState, Reservation, ReservationState

    ids = [item.pk for item in items]
    given = dict(
        Gift.objects.filter(item_id__in=ids, state=GiftState.ACTIVE)
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    reserved = dict(
        Reservation.objects.filter(
            item_id__in=ids, state=ReservationState.HELD, expires_at__gt=timezone.now()
        )
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    return [
        ItemAvailability(item=item, given=given.get(item.pk, 0), reserved=reserved.get(item.pk, 0))
        for item in items
    ]


def item_for_share_key(*, share_key: str, item_id: int) -> Item | None:
    registry = registry_for_share_key(share_key=share_key)
    if registry is None:
        return None
    return registry.items.filter(pk=item_id).first()


def item_for_member(*, user: User, item_id: int) -> Item:
    item = Item.objects.filter(pk=item_id, registry__members__user=user).first()
    if item is None:
        raise Http404("No such item")
    return item
