"""What the gift alert needs from the gifts domain: who may receive it, how many may, and what it says.

Declared as the `gift_alert` kind in gratitude/notifications/kinds.py.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from gratitude.core.links import site_link
from gratitude.notifications.models import Notification
from gratitude.notifications.refusals import Refusal


def gift_alert_provenance(row: Notification) -> Refusal | None:
    """The gift exists, is active, and the recipient is an alert-enabled member of its registry now."""
    from gratitude.gifts.models import GiftState
    from gratitude.registries.models import AlertPreference, FormerMember, RegistryMember

    gift = row.gift
    if gift is None:
        return Refusal("no_gift", breach=True)
    if row.registry_id != gift.registry_id:
        return Refusal("registry_mismatch", breach=True)
    if gift.state != GiftState.ACTIVE:
        return Refusal("gift_cancelled")
    member = RegistryMember.objects.filter(registry_id=gift.registry_id, user_id=row.recipient_id).first()
    if member is None:
        # Someone who left after the row was written is a normal change; anyone else never belonged.
        left_since = FormerMember.objects.filter(
            registry_id=gift.registry_id, user_id=row.recipient_id, left_at__gte=row.created_at
        ).exists()
        return Refusal("member_left") if left_since else Refusal("not_a_member", breach=True)
    if member.alerts == AlertPreference.OFF:
        return Refusal("alerts_off")
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    if not row.recipient.email_verified:
        return Refusal("email_unverified")
    return None


def gift_alert_recipients_per_trigger(row: Notification) -> int:
    """Everyone who is, or was since the gift, a member of the gift's registry."""
    from gratitude.registries.models import FormerMember, RegistryMember

    if row.gift is None:
        return 0
    current = RegistryMember.objects.filter(registry_id=row.gift.registry_id).count()
    former = FormerMember.objects.filter(
        registry_id=row.gift.registry_id, left_at__gte=row.gift.created_at
    ).count()
    return current + former


def gift_alert_context(rows: list[Notification]) -> dict[str, Any]:
    from gratitude.registries.models import Surprise

    gifts = [row.gift for row in rows if row.gift is not None]
    assert len(gifts) == len(rows)  # provenance has checked every row before rendering
    registry = gifts[0].registry
    return {
        "registry": registry,
        "gifts": gifts,
        "first_recorded": min(gift.created_at for gift in gifts),
        # "Covered only": the alert must not reveal what or by whom, as the list itself does not.
        "hide_details": registry.surprise == Surprise.COVERED_ONLY,
        "thank_you_list_url": site_link(reverse("thanks:list", args=[registry.pk])),
    }
