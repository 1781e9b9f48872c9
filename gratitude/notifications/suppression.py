"""Addresses that must not get mail (hard bounces, complaints), checked at send time for every kind."""

from __future__ import annotations

from gratitude.accounts.models import normalize_email_address
from gratitude.notifications.models import SuppressedAddress


def suppression_add(*, address: str, reason: str, detail: str = "") -> SuppressedAddress:
    entry, _ = SuppressedAddress.objects.get_or_create(
        address=normalize_email_address(address), defaults={"reason": reason, "detail": detail[:300]}
    )
    return entry


def suppression_reason_for(*, address: str) -> str | None:
    entry = SuppressedAddress.objects.filter(address=normalize_email_address(address)).first()
    return entry.reason if entry else None
