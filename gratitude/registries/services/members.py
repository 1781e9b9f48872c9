"""Adding and removing a registry's members, and the alerts each one chooses."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError
from gratitude.registries.models import (
    FormerMember,
    MemberRole,
    Registry,
    RegistryMember,
)
from gratitude.registries.services.search import registry_search_names_refresh
from gratitude.registries.services.shared import OWNER_ONLY, _clean_and_save, _require_role


def registry_member_add(
    *, registry: Registry, user: User, role: str = MemberRole.CO_REGISTRANT
) -> RegistryMember:
    if role not in MemberRole.values:
        raise GratitudeError(f"choose one of {', '.join(MemberRole.values)}", field="role")
    with transaction.atomic():
        if RegistryMember.objects.filter(registry=registry, user=user).exists():
            raise GratitudeError(f"{user.email} is already a member of this registry.")
        # A delegate helps manage the registry but is not alerted unless they choose to be.
        alerts = "off" if role == MemberRole.DELEGATE else "instant"
        member = RegistryMember(registry=registry, user=user, role=role, alerts=alerts)
        _clean_and_save(member)
        registry_search_names_refresh(registry=registry)
    return member


def registry_member_remove(*, member: RegistryMember, by: User | None = None) -> None:
    """Remove a member. `by` (when a person asks) must be the owner, or the member leaving themselves."""
    if member.role == MemberRole.OWNER:
        raise GratitudeError("The owner cannot be removed from their own registry.")
    with transaction.atomic():
        if by is not None and by.pk != member.user_id:
            _require_role(registry=member.registry, user=by, roles=OWNER_ONLY, action="remove people")
        FormerMember.objects.create(
            registry_id=member.registry_id, user_id=member.user_id, left_at=timezone.now()
        )
        member.delete()
        registry_search_names_refresh(registry=member.registry)


def registry_member_set_alerts(*, member: RegistryMember, alerts: str) -> RegistryMember:
    """A member's own choice: instant, daily digest, or off (gifts still reach the Thank You List)."""
    member.alerts = alerts
    _clean_and_save(member)
    return member
