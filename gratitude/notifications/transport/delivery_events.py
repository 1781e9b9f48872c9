"""Provider delivery events, through django-anymail's normalised `tracking` signal: every event is logged
against its message (DeliveryEvent), and bounces, complaints and unsubscribes feed suppression.

Anymail's webhook views (notifications/web/urls.py) check the basic-auth secret
(GRATITUDE_MAIL_WEBHOOK_SECRET) before any event reaches this module. Events find their outbox row by the
reference we attach as metadata when sending (rendering.build_email). See docs/deliverability.md.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.dispatch import receiver

from gratitude.core.email_addresses import normalize_email_address
from gratitude.notifications.models import DeliveryEvent, Notification
from gratitude.notifications.outbox.kinds import kind_named
from gratitude.notifications.sending.suppression import category_unsubscribe, suppression_add
from gratitude.notifications.web.unsubscribe import UNSUBSCRIBABLE

logger = logging.getLogger("gratitude.notifications")

# What stops mail to an address for good. A "bounced" event is anymail's permanent failure; a temporary
# one is "deferred" and changes nothing.
_SUPPRESSING = {EventType.BOUNCED: "hard_bounce", EventType.COMPLAINED: "complaint"}
_REJECTIONS = {RejectReason.BOUNCED: "hard_bounce", RejectReason.SPAM: "complaint"}


def _row_for(event: AnymailTrackingEvent) -> Notification | None:
    reference = (event.metadata or {}).get("gratitude_reference")
    if reference:
        return Notification.objects.filter(reference=str(reference)).first()
    if event.message_id:
        return Notification.objects.filter(message_id=str(event.message_id)).first()
    return None


def record_event(*, event: AnymailTrackingEvent, esp_name: str) -> DeliveryEvent | None:
    """Log one event and apply it. A provider retrying a webhook sends the same event id: applied once."""
    row = _row_for(event)
    recipient = normalize_email_address(event.recipient or (row.sent_to if row else ""))
    try:
        with transaction.atomic():
            logged = DeliveryEvent.objects.create(
                notification=row,
                esp_name=esp_name[:40],
                event_type=str(event.event_type)[:40],
                event_id=str(event.event_id or "")[:200],
                provider_message_id=str(event.message_id or "")[:300],
                recipient=recipient[:254],
                occurred_at=event.timestamp,
                reject_reason=str(event.reject_reason or "")[:40],
                description=str(event.description or event.mta_response or "")[:300],
            )
            _apply(event=event, row=row, recipient=recipient, esp_name=esp_name)
    except IntegrityError:
        logger.info("duplicate %s event %s ignored", esp_name, event.event_id)
        return None
    return logged


def _apply(*, event: AnymailTrackingEvent, row: Notification | None, recipient: str, esp_name: str) -> None:
    if not recipient:
        return
    reason = _SUPPRESSING.get(event.event_type)
    if reason is None and event.event_type == EventType.REJECTED:
        reason = _REJECTIONS.get(event.reject_reason or "")
    if reason is not None:
        suppression_add(address=recipient, reason=reason, detail=f"{esp_name}: {event.description or ''}")
        logger.warning("%s for %s reported by %s", reason, recipient, esp_name)
        return
    if event.event_type == EventType.UNSUBSCRIBED or (
        event.event_type == EventType.REJECTED and event.reject_reason == RejectReason.UNSUBSCRIBED
    ):
        _unsubscribe(row=row, recipient=recipient)


def _unsubscribe(*, row: Notification | None, recipient: str) -> None:
    """The provider's own unsubscribe: the category of that message when we know it, else every category
    that can be stopped (never transactional mail, which the person asks for)."""
    person = row.recipient if row is not None else get_user_model().objects.filter(email=recipient).first()
    if person is None:
        return
    kind = kind_named(row.kind) if row is not None else None
    if kind is not None and kind.unsubscribable:
        categories = [str(kind.category)]
    else:
        categories = [str(choice.category) for choice in UNSUBSCRIBABLE]
    for category in categories:
        category_unsubscribe(user=person, category=category, source="provider")


@receiver(tracking, dispatch_uid="gratitude.notifications.transport.delivery_events.on_tracking")
def on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    record_event(event=event, esp_name=esp_name)
