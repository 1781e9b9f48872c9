"""Who must not get what, checked at send time: addresses that bounced or complained (every kind), and
people who stopped a category of mail (non-transactional kinds only)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from gratitude.core.email_addresses import normalize_email_address
from gratitude.notifications.models import Notification, SuppressedAddress, Unsubscribe
from gratitude.notifications.sending import batch_facts
from gratitude.notifications.sending.ports import Person


def suppression_add(*, address: str, reason: str, detail: str = "") -> SuppressedAddress:
    entry, _ = SuppressedAddress.objects.get_or_create(
        address=normalize_email_address(address), defaults={"reason": reason, "detail": detail[:300]}
    )
    return entry


def never_email_record(*, user: Person, source: str) -> bool:
    """The owner of an address nobody confirmed asked for no more mail of any kind (the "never email me
    again" link, sending/unconfirmed_addresses.py). Recorded once, for good, with its reason; True only the
    first time. An address already suppressed for another reason (a bounce) keeps that row: it gets no mail
    either way."""
    from gratitude.notifications.sending.unconfirmed_addresses import NEVER_EMAIL_REASON

    address = normalize_email_address(user.email)
    try:
        with transaction.atomic():
            _, created = SuppressedAddress.objects.get_or_create(
                address=address, defaults={"reason": NEVER_EMAIL_REASON, "detail": source[:300]}
            )
    except IntegrityError:
        # Two presses at once: the other request recorded it.
        return False
    return created


def suppression_reason_for(*, address: str) -> str | None:
    """Why this address gets no mail (hard bounce, complaint), or None. Inside a worker batch, answered
    from one query for every recipient address of the batch (sending/batch_facts.py); otherwise one query."""
    normalized = normalize_email_address(address)
    facts = batch_facts.current()
    if facts is not None:
        known = facts.get("suppressed", _suppressions_of_batch)
        if normalized in known:
            return known[normalized]
    entry = SuppressedAddress.objects.filter(address=normalized).first()
    return entry.reason if entry else None


def _suppressions_of_batch(rows: list[Notification]) -> dict[str, str | None]:
    """Every recipient address of the batch -> its suppression reason, or None if it may get mail."""
    addresses = {normalize_email_address(row.recipient.email) for row in rows}
    known: dict[str, str | None] = dict.fromkeys(addresses)
    known.update(SuppressedAddress.objects.filter(address__in=addresses).values_list("address", "reason"))
    return known


def category_unsubscribe(*, user: Person, category: str, source: str) -> bool:
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


def category_resubscribe(*, user: Person, category: str) -> bool:
    deleted, _ = Unsubscribe.objects.filter(user_id=user.pk, category=category).delete()
    return deleted > 0


def unsubscribed_categories(*, user: Person) -> set[str]:
    return set(Unsubscribe.objects.filter(user_id=user.pk).values_list("category", flat=True))


def is_unsubscribed(*, user_id: int, category: str) -> bool:
    """Has this person stopped `category`? Inside a worker batch, answered from one query for the whole
    batch's recipients (sending/batch_facts.py); otherwise one query."""
    facts = batch_facts.current()
    if facts is not None:
        users, stopped = facts.get("unsubscribed", _unsubscribes_of_batch)
        if user_id in users:
            return (user_id, category) in stopped
    return Unsubscribe.objects.filter(user_id=user_id, category=category).exists()


def _unsubscribes_of_batch(rows: list[Notification]) -> tuple[set[int], set[tuple[int, str]]]:
    """(the batch's recipients, every (recipient, category) they stopped)."""
    users = {row.recipient_id for row in rows}
    stopped = set(Unsubscribe.objects.filter(user_id__in=users).values_list("user_id", "category"))
    return users, stopped
