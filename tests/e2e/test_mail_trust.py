"""Mail people can trust, end to end (docs/safety.md promises 12, 13, 14): a gift alert goes through the real
outbox and worker to a real SMTP server (aiosmtpd), DKIM-signed; what arrives verifies with dkimpy against
the record `gratitude dkim dns-record` prints; its reference code is in the recipient's notification centre
and nobody else's; every link in it works for the recipient; its one-click unsubscribe works without
cookies, and the next alert is stopped at send time while the person's own requests still come.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from urllib.parse import urlsplit

import dkim
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from gratitude.accounts.services import password_reset_request
from gratitude.notifications.models import Notification, NotificationState, Unsubscribe
from gratitude.notifications.rendering.bait_checks import scan_html, text_links
from gratitude.notifications.tests.mail_support import (
    RawSmtpSink,
    dns_answering,
    install_dkim_key,
    published_records,
)
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def sink(settings, tmp_path):
    """A real SMTP server, the signing SMTP backend pointed at it, and a DKIM key."""
    install_dkim_key(settings, tmp_path)
    server = RawSmtpSink()
    server.start()
    settings.EMAIL_BACKEND = "gratitude.notifications.transport.backends.SigningSmtpBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _links(message: EmailMessage) -> set[str]:
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    assert html is not None and text is not None
    return set(scan_html(html.get_content()).links) | set(text_links(text.get_content()))


def test_a_gift_alert_is_authentic_verifiable_and_one_click_unsubscribable(sink):
    alex = make_user(display_name="Alex Rivera")
    alex.set_password(PASSWORD)
    alex.save()
    registry = make_registry(owner=alex, title="Alex & Sam's wedding")
    make_gift(item=make_item(registry=registry, title="Wooden salad bowl"), giver_name="Aunt Robin")

    call_command("worker", drain=True, verbosity=0)

    # 1. Authentic: what arrived is signed, aligned, and verifies against the published record.
    assert sink.wait_for(1)
    raw = sink.raw[0]
    records = published_records()
    assert dkim.verify(raw, dnsfunc=dns_answering(records))
    message = _parse(raw)
    assert message["From"].addresses[0].domain == "gratitude.example"
    assert re.search(rb"\bd=gratitude\.example;", raw)
    assert message["Message-ID"].endswith("@gratitude.example>")
    row = Notification.objects.get(recipient=alex, kind="gift_alert")
    assert (row.state, row.message_id) == (NotificationState.SENT, message["Message-ID"])

    # 2. Verifiable: greeted by name, registry named, the code in the mail is in Alex's centre only.
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    text = plain.get_content()
    assert text.startswith("Hi Alex Rivera,") and "Alex & Sam's wedding" in text
    assert f"Reference code: {row.reference}." in text
    assert message["X-Gratitude-Reference"] == row.reference
    as_alex, as_sam = Client(), Client()
    as_alex.force_login(alex)
    as_sam.force_login(make_user())
    assert row.reference.encode() in as_alex.get(reverse("notifications:centre")).content
    check = reverse("notifications:check")
    assert b"Yes: we sent you this email" in as_alex.post(check, {"code": row.reference}).content
    assert b"We find no email with this code" in as_sam.post(check, {"code": row.reference}).content
    assert b"We find no email with this code" in Client().post(check, {"code": row.reference}).content

    # 3. No bait: every link is ours and works for Alex.
    for link in _links(message):
        assert urlsplit(link).netloc == "127.0.0.1:8000", link
        assert as_alex.get(urlsplit(link).path, follow=True).status_code == 200, link

    # 4. One-click: the header's URL, POSTed the way a mail client does (no cookies), twice.
    header = message["List-Unsubscribe"]
    assert (
        b"\r\nList-Unsubscribe: <" in raw and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )
    target = urlsplit(header.strip("<>")).path
    client = Client(enforce_csrf_checks=True)
    for _ in range(2):
        response = client.post(
            target, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200
    assert Unsubscribe.objects.filter(user=alex).count() == 1

    # 5. The next alert is stopped at send time; Alex's own password reset still comes, signed, unlisted.
    later = make_gift(item=make_item(registry=registry, title="Linen napkins"), giver_name="Kim")
    with transaction.atomic():
        password_reset_request(email=alex.email)
    call_command("worker", drain=True, verbosity=0)

    stopped = Notification.objects.get(gift=later, recipient=alex)
    assert (stopped.state, stopped.reason) == (NotificationState.SUPPRESSED, "unsubscribed: event")
    assert sink.wait_for(2)
    assert len(sink.raw) == 2
    reset = _parse(sink.raw[1])
    assert reset["X-Gratitude-Kind"] == "password_reset" and reset["List-Unsubscribe"] is None
    assert dkim.verify(sink.raw[1], dnsfunc=dns_answering(records))
