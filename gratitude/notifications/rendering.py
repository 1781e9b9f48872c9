"""Build the message for one outbox row: subject / text / HTML templates, headers, the reference code.

Each kind has a template triplet under templates/notifications/email/<template>/ (Zulip's discipline). The
context names only what the recipient or the giver entered; see docs/notifications.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from gratitude.notifications.kinds import Kind
from gratitude.notifications.models import Notification


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def render(rows: list[Notification], kind: Kind) -> RenderedMessage:
    """One message for a group of rows to one recipient (one row, or a digest of several)."""
    lead = rows[0]
    context = {
        "recipient": lead.recipient,
        "reference": lead.reference,
        "site_url": settings.SITE_URL,
        **kind.context(rows),
    }
    base = f"notifications/email/{kind.template}"
    subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
    return RenderedMessage(
        subject=subject,
        text=render_to_string(f"{base}/body.txt", context),
        html=render_to_string(f"{base}/body.html", context),
    )


def build_email(row: Notification, kind: Kind, rendered: RenderedMessage) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient.email],
        headers={
            "Message-ID": make_msgid(idstring=row.reference, domain=_mail_domain()),
            # Support and recall trace any forwarded message back to its outbox row with these.
            "X-Gratitude-Kind": kind.name,
            "X-Gratitude-Reference": row.reference,
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(rendered.html, "text/html")
    return message
