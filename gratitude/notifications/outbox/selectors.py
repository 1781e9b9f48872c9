"""Reads of the outbox for the person asking: their notification centre and the reference-code check.

Always scoped to the signed-in recipient: a code that exists but was sent to someone else reads exactly
like a code that never existed.
"""

from __future__ import annotations

from django.db.models import QuerySet

from gratitude.core.email_addresses import normalize_email_address
from gratitude.notifications.models import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    Notification,
    NotificationState,
)
from gratitude.notifications.sending.ports import Person


def sent_messages_for(*, user: Person) -> QuerySet[Notification]:
    """Every message sent to this person, newest first. One entry per message: a digest's content is
    kept on its lead row, whose reference is the one the message shows."""
    return (
        Notification.objects.filter(recipient_id=user.pk, state=NotificationState.SENT)
        .exclude(body_text="")
        .order_by("-sent_at", "-pk")
    )


def normalized_reference(code: str) -> str | None:
    """What people type: any case, spaces or dashes; None for anything that cannot be a reference."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    if len(cleaned) != REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in cleaned):
        return None
    return cleaned


def sent_message_for(*, user: Person, code: str) -> Notification | None:
    reference = normalized_reference(code)
    if reference is None:
        return None
    return sent_messages_for(user=user).filter(reference=reference).first()


def sent_message_to_address(*, address: str, code: str) -> Notification | None:
    """The message with this code, if it was sent to this very address (compared as we store addresses);
    None otherwise. For the signed-out check, where the code and the address together are the proof."""
    reference = normalized_reference(code)
    wanted = normalize_email_address(address)
    if reference is None or not wanted:
        return None
    message = (
        Notification.objects.filter(reference=reference, state=NotificationState.SENT)
        .exclude(body_text="")
        .only("reference", "kind", "sent_at", "sent_to")
        .first()
    )
    if message is None or normalize_email_address(message.sent_to) != wanted:
        return None
    return message
