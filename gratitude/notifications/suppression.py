"""Who must not get what, checked at send time: addresses that bounced or complained (every kind), and
people who stopped a category of mail (non-transactional kinds only)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from gratitude.accounts.models import User, normalize_email_address
from gratitude.notifications.models import SuppressedAddress, Unsubscribe


def suppression_add(*, address: str, reason: str, detail: str = "") -> SuppressedAddress:
    entry, _ = SuppressedAddress.objects.get_or_create(
        address=normalize_email_address(address), defaults={"reason": reason, "detail": detail[:300]}
    )
    return entry


def suppression_reason_for(*, address: str) -> str | None:
    entry = SuppressedAddress.objects.filter(address=normalize_email_address(address)).first()
    return entry.reason if entry else None


def category_unsubscribe(*, user: User, category: str, source: str) -> bool:
    """Stop one category of mail for this person. Idempotent: True only the first time."""
    try:
        with transaction.atomic():
            _, created = Unsubscribe.objects.get_or_create(
                user=user, category=category, defaults={"source": source}
            )
    except IntegrityError:
        # Two clicks at once: the other request recorded it.
        return False
    return created


def category_resubscribe(*, user: User, category: str) -> bool:
    deleted, _ = Unsubscribe.objects.filter(user=user, category=category).delete()
    return deleted > 0


def unsubscribed_categories(*, user: User) -> set[str]:
    return set(Unsubscribe.objects.filter(user=user).values_list("category", flat=True))


def is_unsubscribed(*, user_id: int, category: str) -> bool:
    return Unsubscribe.objects.filter(user_id=user_id, category=category).exists()
