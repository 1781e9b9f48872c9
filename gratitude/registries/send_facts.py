"""What registries tell the sending path at send time: paused registries, members of paused ones, digest
choices. Plugged into notifications' ports (notifications/sending/ports.py) from registries/apps.py, so the
guards ask these without importing registries (docs/architecture.md, the layers)."""

from __future__ import annotations

from collections.abc import Collection

from gratitude.notifications.sending.ports import RegistryFacts
from gratitude.registries.membership import member_for
from gratitude.registries.models import AlertPreference, Registry, RegistryMember


def paused_among(registry_ids: Collection[int]) -> set[int]:
    return set(
        Registry.objects.filter(pk__in=list(registry_ids), paused_at__isnull=False).values_list(
            "pk", flat=True
        )
    )


def members_of_paused(user_ids: Collection[int]) -> set[int]:
    return set(
        RegistryMember.objects.filter(
            user_id__in=list(user_ids), registry__paused_at__isnull=False
        ).values_list("user_id", flat=True)
    )


def prefers_digest(registry_id: int, user_id: int) -> bool:
    # member_for answers from the worker batch's membership facts, the ones provenance reads too.
    member = member_for(registry_id=registry_id, user_id=user_id)
    return member is not None and member.alerts == AlertPreference.DIGEST


REGISTRY_FACTS = RegistryFacts(
    paused_among=paused_among, members_of_paused=members_of_paused, prefers_digest=prefers_digest
)
