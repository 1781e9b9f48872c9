"""Reads for the Thank You List, scoped to a member of the registry."""

from __future__ import annotations

from django.db.models import QuerySet

from gratitude.gifts.models import Gift, GiftState
from gratitude.registries.models import Registry


def thank_you_list(*, registry: Registry) -> QuerySet[Gift]:
    """Every active gift on the registry, newest first. The caller has checked membership."""
    return (
        Gift.objects.filter(registry=registry, state=GiftState.ACTIVE)
        .select_related("item")
        .order_by("-created_at", "-pk")
    )
