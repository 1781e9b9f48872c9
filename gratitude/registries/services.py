"""Every change to registries, their members and their items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError
from gratitude.registries.models import (
    FormerMember,
    Item,
    MemberRole,
    Occasion,
    Registry,
    RegistryMember,
    Surprise,
    Visibility,
    new_share_key,
)


def _clean_and_save(obj: Registry | Item | RegistryMember) -> None:
    """Run the model's validators so a service called from the CLI or API refuses what a form would."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise GratitudeError(_first_message(exc)) from exc
    obj.save()


def _first_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        field, messages = next(iter(exc.message_dict.items()))
        return f"{field}: {messages[0]}"
    return exc.messages[0]


def registry_create(
    *,
    owner: User,
    title: str,
    occasion: str,
    event_date: date | None = None,
    visibility: str = Visibility.LINK,
    surprise: str = Surprise.SHOW_ALL,
) -> Registry:
    """Create a registry with its owner as the first member (alerts on, instantly)."""
    if occasion not in Occasion.values:
        raise GratitudeError(f"occasion: choose one of {', '.join(Occasion.values)}")
    with transaction.atomic():
        registry = Registry(
            title=title.strip(),
            occasion=occasion,
            event_date=event_date,
            visibility=visibility,
            surprise=surprise,
        )
        _clean_and_save(registry)
        RegistryMember.objects.create(registry=registry, user=owner, role=MemberRole.OWNER)
    return registry


def registry_member_add(
    *, registry: Registry, user: User, role: str = MemberRole.CO_REGISTRANT
) -> RegistryMember:
    if role not in MemberRole.values:
        raise GratitudeError(f"role: choose one of {', '.join(MemberRole.values)}")
    with transaction.atomic():
        if RegistryMember.objects.filter(registry=registry, user=user).exists():
            raise GratitudeError(f"{user.email} is already a member of this registry.")
        # A delegate helps manage the registry but is not alerted unless they choose to be.
        alerts = "off" if role == MemberRole.DELEGATE else "instant"
        member = RegistryMember(registry=registry, user=user, role=role, alerts=alerts)
        _clean_and_save(member)
    return member


def registry_member_remove(*, member: RegistryMember) -> None:
    if member.role == MemberRole.OWNER:
        raise GratitudeError("The owner cannot be removed from their own registry.")
    with transaction.atomic():
        FormerMember.objects.create(
            registry_id=member.registry_id, user_id=member.user_id, left_at=timezone.now()
        )
        member.delete()


def registry_member_set_alerts(*, member: RegistryMember, alerts: str) -> RegistryMember:
    member.alerts = alerts
    _clean_and_save(member)
    return member


def registry_share_link_reset(*, registry: Registry) -> Registry:
    """Give the registry a new share key; every older link stops working at once."""
    registry.share_key = new_share_key()
    registry.save(update_fields=["share_key"])
    return registry


def item_add(
    *,
    registry: Registry,
    title: str,
    quantity: int = 1,
    price: Decimal | None = None,
    url: str = "",
) -> Item:
    # bool is an int in Python; a quantity of True is a bug in the caller, not "1".
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise GratitudeError("quantity: must be a whole number of at least 1")
    item = Item(registry=registry, title=title.strip(), quantity=quantity, price=price, url=url)
    with transaction.atomic():
        _clean_and_save(item)
    return item
