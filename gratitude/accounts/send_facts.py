"""What accounts tell the sending path at send time: a quiet person's trusted delegate for must-go messages.
Plugged into notifications' ports (notifications/sending/ports.py) from accounts/apps.py
(docs/quiet-mode.md)."""

from __future__ import annotations

from collections.abc import Collection

from gratitude.accounts.models import QuietDelegate
from gratitude.notifications.sending.ports import PeopleFacts


def must_go_delegates(user_ids: Collection[int]) -> dict[int, str]:
    """For each person, the delegate they trusted with must-go messages (the earliest accepted one, still
    active), by address; one query for all of them."""
    delegations = (
        QuietDelegate.objects.filter(
            user_id__in=list(user_ids),
            receives_must_go=True,
            accepted_at__isnull=False,
            revoked_at__isnull=True,
            delegate__isnull=False,
            delegate__is_active=True,
        )
        .select_related("delegate")
        .order_by("accepted_at", "pk")
    )
    delegates: dict[int, str] = {}
    for delegation in delegations:
        if delegation.delegate is not None:
            delegates.setdefault(delegation.user_id, delegation.delegate.email)
    return delegates


PEOPLE_FACTS = PeopleFacts(must_go_delegates=must_go_delegates)
