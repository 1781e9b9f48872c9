"""Provider webhooks (django-anymail): bounces, complaints and unsubscribes feed suppression, every event is
logged against its message, and a request without the webhook secret is refused."""

from __future__ import annotations

import base64
import json

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from gratitude.notifications.models import (
    DeliveryEvent,
    Notification,
    NotificationState,
    SuppressedAddress,
    Unsubscribe,
)
from gratitude.notifications.rendering.messages import MailMessage
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "gratitude:s3cret-for-tests"
POSTMARK = reverse("notifications:provider_webhook", args=["postmark"])


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    # The site mounts the configured provider's webhook only.
    settings.GRATITUDE_MAIL_PROVIDER = "postmark"


@pytest.fixture
def alert(settings):
    """A gift alert the worker sent to its registry's owner."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = make_user()
    gift = make_gift(item=make_item(registry=make_registry(owner=owner)))
    call_command("worker", drain=True, verbosity=0)
    row = Notification.objects.get(gift=gift, recipient=owner)
    assert row.state == NotificationState.SENT
    return row


def _event(row: Notification, event_type: str, **extra) -> None:
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(
            event_type=event_type,
            recipient=row.sent_to,
            metadata={"gratitude_reference": row.reference},
            message_id="provider-123",
            **extra,
        ),
        esp_name="Postmark",
    )


def test_the_sent_message_carries_the_reference_for_providers_and_no_click_tracking(alert):
    message = mail.outbox[0]
    assert isinstance(message, MailMessage)
    assert message.metadata == {"gratitude_reference": alert.reference}
    assert message.tags == ["gift_alert"]
    assert message.track_clicks is False and message.track_opens is False


@pytest.mark.parametrize(("event_type", "reason"), [("bounced", "hard_bounce"), ("complained", "complaint")])
def test_bounces_and_complaints_suppress_the_address(alert, event_type, reason):
    _event(alert, event_type, event_id="ev-1", description="mailbox does not exist")

    assert SuppressedAddress.objects.get(address=alert.sent_to).reason == reason
    logged = DeliveryEvent.objects.get()
    assert (logged.notification, logged.event_type, logged.provider_message_id) == (
        alert,
        event_type,
        "provider-123",
    )


def test_a_rejection_for_a_past_complaint_suppresses_too(alert):
    _event(alert, "rejected", reject_reason="spam")
    assert SuppressedAddress.objects.get(address=alert.sent_to).reason == "complaint"


def test_a_provider_unsubscribe_stops_that_messages_category_only(alert):
    _event(alert, "unsubscribed")
    assert list(Unsubscribe.objects.values_list("user_id", "category", "source")) == [
        (alert.recipient_id, "event", "provider")
    ]
    assert not SuppressedAddress.objects.exists()


def test_delivery_events_are_only_logged_and_a_retried_webhook_counts_once(alert):
    _event(alert, "delivered", event_id="ev-9")
    _event(alert, "delivered", event_id="ev-9")
    _event(alert, "deferred", event_id="ev-10")

    assert list(alert.delivery_events.order_by("pk").values_list("event_type", flat=True)) == [
        "delivered",
        "deferred",
    ]
    assert not SuppressedAddress.objects.exists() and not Unsubscribe.objects.exists()


def test_a_queued_message_to_a_bounced_address_is_suppressed_at_send_time(alert):
    _event(alert, "bounced")
    later = make_gift(item=make_item(registry=alert.registry))
    call_command("worker", drain=True, verbosity=0)
    row = Notification.objects.get(gift=later, recipient=alert.recipient)
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "suppressed: hard_bounce")


def _postmark_bounce(row: Notification) -> str:
    return json.dumps(
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "ID": 4323372036854775807,
            "Email": row.sent_to,
            "BouncedAt": "2026-01-02T03:04:05Z",
            "Description": "The server was unable to deliver your message",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Metadata": {"gratitude_reference": row.reference},
        }
    )


def _auth(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


@pytest.mark.parametrize("secret", [None, "gratitude:wrong", "s3cret-for-tests"])
def test_a_webhook_without_the_secret_is_refused(alert, secret):
    client = Client(headers={"Authorization": _auth(secret)} if secret else None)
    response = client.post(POSTMARK, _postmark_bounce(alert), content_type="application/json")

    assert 400 <= response.status_code < 500
    assert not DeliveryEvent.objects.exists() and not SuppressedAddress.objects.exists()


def test_a_webhook_with_the_secret_is_logged_and_suppresses(alert):
    response = Client().post(
        POSTMARK, _postmark_bounce(alert), content_type="application/json", HTTP_AUTHORIZATION=_auth(SECRET)
    )

    assert response.status_code == 200
    assert SuppressedAddress.objects.get(address=alert.sent_to).reason == "hard_bounce"
    assert DeliveryEvent.objects.get().notification == alert


def test_without_a_configured_secret_every_webhook_is_refused(settings, alert):
    # The default when GRATITUDE_MAIL_WEBHOOK_SECRET is unset: a random secret nobody holds.
    settings.ANYMAIL = {"WEBHOOK_SECRET": "unset:random"}
    response = Client().post(
        POSTMARK, _postmark_bounce(alert), content_type="application/json", HTTP_AUTHORIZATION=_auth(SECRET)
    )
    assert response.status_code == 400
