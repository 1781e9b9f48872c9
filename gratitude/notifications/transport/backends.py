"""Mail transports of our own: direct SMTP with DKIM signing, and the dev mailbox (.eml files in var/mailbox).

Both sign with every key configured (transport/dkim.py), so what a developer reads in the dev mailbox is what
a receiver would get. A provider through django-anymail signs on its own side (docs/deliverability.md).
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils import timezone

from gratitude.notifications.transport.dkim import sign_message
from gratitude.notifications.transport.message_bytes import compose, header_address
from gratitude.notifications.transport.pipelining import sendmail


def signed_bytes(message: EmailMessage) -> bytes:
    """The message exactly as it goes on the wire (CRLF), with its DKIM signature(s) in front."""
    raw = compose(message) if isinstance(message, EmailMultiAlternatives) else None
    if raw is None:
        raw = message.message().as_bytes(linesep="\r\n")
    return sign_message(raw)


class SigningSmtpBackend(SmtpBackend):
    """Django's SMTP backend, sending the DKIM-signed bytes (signed last, so nothing changes them after),
    with MAIL, RCPT and DATA pipelined where the server allows it (transport/pipelining.py)."""

    def _send(self, email_message: EmailMessage) -> bool:
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = header_address(email_message.from_email, encoding)
        recipients = [header_address(address, encoding) for address in email_message.recipients()]
        assert self.connection is not None
        try:
            sendmail(self.connection, from_email, recipients, signed_bytes(email_message))
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


class DevMailboxBackend(BaseEmailBackend):
    """Capture mail to files readable at /dev/mailbox, so `make run` needs no mail server."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.directory = Path(settings.DEV_MAILBOX_DIR)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(signed_bytes(message))
        return len(email_messages)
