"""Build the message for one outbox row: subject / text / HTML templates, headers, the reference code.

Each kind has a template triplet under templates/notifications/email/<template>/ (Zulip's discipline). The
context names only what the recipient or the giver entered; see docs/notifications.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from gratitude.accounts.tokens import make_verify_token
from gratitude.notifications.kinds import Kind
from gratitude.notifications.models import Notification
from gratitude.registries.models import Surprise


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


def site_link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _gift_alert_context(rows: list[Notification]) -> dict[str, Any]:
    gifts = [row.gift for row in rows if row.gift is not None]
    assert len(gifts) == len(rows)  # provenance has checked every row before rendering
    registry = gifts[0].registry
    return {
        "registry": registry,
        "gifts": gifts,
        "first_recorded": min(gift.created_at for gift in gifts),
        # "Covered only": the alert must not reveal what or by whom, as the list itself does not.
        "hide_details": registry.surprise == Surprise.COVERED_ONLY,
        "thank_you_list_url": site_link(reverse("thanks:list", args=[registry.pk])),
    }


def _email_verify_context(rows: list[Notification]) -> dict[str, Any]:
    token = make_verify_token(rows[0].recipient)
    return {"verify_url": site_link(reverse("accounts:verify", args=[token]))}


def _password_reset_context(rows: list[Notification]) -> dict[str, Any]:
    user = rows[0].recipient
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return {"reset_url": site_link(reverse("accounts:password_reset_confirm", args=[uid, token]))}


_CONTEXT_BUILDERS = {
    "gift_alert": _gift_alert_context,
    "email_verify": _email_verify_context,
    "password_reset": _password_reset_context,
}


def render(rows: list[Notification], kind: Kind) -> RenderedMessage:
    """One message for a group of rows to one recipient (one row, or a digest of several)."""
    lead = rows[0]
    context = {
        "recipient": lead.recipient,
        "reference": lead.reference,
        "site_url": settings.SITE_URL,
        **_CONTEXT_BUILDERS[kind.name](rows),
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
