"""Build the message for one outbox row: subject / text / HTML templates, headers, the reference code.

Each kind has a template triplet under templates/notifications/email/<template>/ (Zulip's discipline),
rendered by the "mail" engine: Jinja2, as Zulip's emails are (rendering/template_engine.py). The context names
only what the recipient or the giver entered; see docs/notifications.md.

What every kind gets from here, whoever declared it (docs/deliverability.md):
- the common footer: where to find this message again (the notification centre), how to check a code, for
  every message about a registry "Pause all messages about this registry" (web/pause_link.py), for every
  kind that is not transactional, a one-click unsubscribe link and the preferences page, and for every
  message to an address nobody confirmed, "never email me again" (sending/unconfirmed_addresses.py);
- the HTML with its CSS inlined (css-inline), dark-mode rules kept, and checked for bait
  (rendering/bait_checks.py);
- headers: a unique Message-ID on our From domain, X-Gratitude-Kind / -Reference, and for non-transactional
  kinds the RFC 8058 pair List-Unsubscribe (one https URL, never folded) and List-Unsubscribe-Post.
The transport signs the result with DKIM (transport/dkim.py, transport/backends.py).

A message the guards redirect to a quiet person's trusted delegate (sending/quiet_mode.py) is rendered
`forwarded_to` them: a line at the top says so, and the footer leaves out every link that would act for the
person (pause, unsubscribe, preferences) or that only the person can open (their notification centre, the code
check). See docs/quiet-mode.md, "Must-go messages".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email.utils import parseaddr
from functools import cache
from typing import Any

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import utf8_charset_qp

from gratitude.core.links import site_url
from gratitude.core.untrusted_text import defang, single_line
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import Kind
from gratitude.notifications.rendering.bait_checks import check_html
from gratitude.notifications.rendering.template_engine import render_mail
from gratitude.notifications.sending.unconfirmed_addresses import is_unconfirmed, never_email_url
from gratitude.notifications.web.pause_link import pause_url
from gratitude.notifications.web.unsubscribe import choice_for, preferences_url, unsubscribe_url

ONE_CLICK = "List-Unsubscribe=One-Click"
UNFOLDED_HEADERS = ("List-Unsubscribe",)


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    # The RFC 8058 target, for kinds that are not transactional; "" otherwise.
    unsubscribe_url: str = ""


def _mail_domain() -> str:
    """Our From address's domain: Message-IDs live there, aligned with From and DKIM's d=."""
    return _domain_of(settings.DEFAULT_FROM_EMAIL)


@cache
def _domain_of(from_email: str) -> str:
    # Keyed on the setting's value, so a changed setting (tests, a reload) is never answered from memory.
    return parseaddr(from_email)[1].rpartition("@")[2].lower() or "localhost"


def new_message_id(reference: str) -> str:
    # 96 random bits make every Message-ID unique on its own; the reference makes it traceable.
    return f"<{secrets.token_hex(12)}.{reference}@{_mail_domain()}>"


@cache
def _inliner() -> css_inline.CSSInliner:
    # Media queries (dark mode, narrow screens) cannot be inlined: keep them in a <style> block.
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def footer_context(
    rows: list[Notification], kind: Kind, *, forwarded_to: str | None = None
) -> dict[str, object]:
    recipient = rows[0].recipient
    # Someone we only hold as a contact (a giver who never made an account) cannot open signed-in pages,
    # so their mail does not point at them; nor does mail forwarded to someone else, whose centre it is not
    # in. The code check answers anyone with the code and the address the message came to: always linked.
    can_sign_in = recipient.is_active and recipient.has_usable_password() and not forwarded_to
    context: dict[str, object] = {
        "forwarded_to": forwarded_to or "",
        "can_sign_in": can_sign_in,
        "centre_url": site_url("notifications:centre") if can_sign_in else "",
        "check_url": site_url("notifications:check"),
        "unsubscribe_url": "",
        "preferences_url": "",
        "category_label": "",
        "pause_url": "",
        "never_email_url": "",
    }
    if forwarded_to:
        # The pause and unsubscribe links are signed for the person: in a delegate's hands (or their mail
        # client's one-click List-Unsubscribe) they would change the person's mail, not the delegate's.
        return context
    if is_unconfirmed(recipient):
        # Nobody proved they read this address: its owner may stop all our mail, for good, in one click.
        context["never_email_url"] = never_email_url(user=recipient)
    registry = rows[0].registry
    if registry is not None:
        # "Pause all messages about this registry", two clicks from any message about one (quiet mode): the
        # signed link works without signing in (web/pause_link.py).
        context["pause_url"] = pause_url(user=recipient, registry=registry)
    choice = choice_for(kind.category)
    if kind.unsubscribable and choice is not None:
        context["unsubscribe_url"] = unsubscribe_url(user=recipient, category=kind.category)
        context["category_label"] = choice.label.lower()
        context["preferences_url"] = preferences_url() if can_sign_in else ""
    return context


def greeting(recipient: Any) -> str:
    """ "Hi <the name they chose>," or, for an account whose owner has not chosen one yet (made for a giver or
    an invitee: whatever name someone else typed is never kept, docs/safety.md promise 16), "Hello,"."""
    name = single_line(defang(recipient.display_name)).strip()
    return f"Hi {name}," if name else "Hello,"


def render(rows: list[Notification], kind: Kind, *, forwarded_to: str | None = None) -> RenderedMessage:
    """One message for a group of rows to one recipient (one row, or a digest of several), or, with
    `forwarded_to`, that message as sent to the address the guards redirected it to (a trusted delegate)."""
    lead = rows[0]
    unconfirmed = is_unconfirmed(lead.recipient) and not forwarded_to
    context = {
        # To an address nobody confirmed, the greeting names nobody: the account's name, if any, was typed
        # by whoever typed the address (docs/deliverability.md, "Mail to an address nobody confirmed").
        # Nor does it print the address: whoever typed it chose it, and an address can hold a domain
        # ("go.to.paypal-secure.example/x@catch-all.example"); "this address" says the same to its owner.
        "recipient": Greeted(name="", email="this address") if unconfirmed else lead.recipient,
        "greeting": "Hello," if unconfirmed else greeting(lead.recipient),
        "unconfirmed": unconfirmed,
        "reference": lead.reference,
        "site_url": settings.SITE_URL,
        **kind.context(rows),
        **footer_context(rows, kind, forwarded_to=forwarded_to),
    }
    base = f"notifications/email/{kind.template}"
    # One line whatever the templates print: a line break in a Subject would start a header of its own.
    subject = " ".join(single_line(render_mail(f"{base}/subject.txt", context)).split())
    # Every kind's text ends with its own reference and why line; the common footer follows it.
    text = render_mail(f"{base}/body.txt", context).rstrip() + "\n"
    if forwarded_to:
        # Before the greeting, which still names the person: the delegate reads first whose mail this is.
        text = render_mail("notifications/email/forwarded.txt", context).strip() + "\n\n" + text
    text += render_mail("notifications/email/footer.txt", context)
    html = _inliner().inline(render_mail(f"{base}/body.html", context))
    check_html(html)
    return RenderedMessage(
        subject=subject, text=text, html=html, unsubscribe_url=str(context["unsubscribe_url"])
    )


@dataclass(frozen=True)
class Greeted:
    """A message to an unconfirmed address names nobody ("Hello,") and calls the address "this address"."""

    name: str
    email: str


class _Unfolded:
    """A header value the generator writes on one line, whatever its length (under RFC 5322's 998). The
    stdlib folds long values onto a continuation line; a folded List-Unsubscribe has broken DKIM at Gmail."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __str__(self) -> str:
        return self.value

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None, **kwargs: object) -> str:
        return self.value


class MailMessage(EmailMultiAlternatives):
    """Django's message, made safe to sign: List-Unsubscribe kept on a single line, and text parts in
    quoted-printable rather than 8bit, so a relay that must downgrade 8bit cannot break the DKIM body hash
    (RFC 6376 5.3). The attributes below are read by django-anymail's backends and ignored by the others."""

    metadata: dict[str, str]
    tags: list[str]
    track_clicks: bool
    track_opens: bool

    def message(self, *args: Any, **kwargs: Any) -> Any:
        mime = super().message(*args, **kwargs)
        for name in UNFOLDED_HEADERS:
            if name in mime:
                mime.replace_header(name, _Unfolded(str(mime[name])))
        for part in mime.walk():
            if part.get_content_maintype() == "text" and part["Content-Transfer-Encoding"] == "8bit":
                text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                del part["Content-Transfer-Encoding"]
                part.set_payload(text, charset=utf8_charset_qp)
        return mime


def build_email(
    row: Notification, kind: Kind, rendered: RenderedMessage, *, to: str | None = None
) -> MailMessage:
    """The message to send for `row` (a group's lead row), to its recipient unless the guards redirected it
    (`to`: a quiet person's trusted delegate). The worker records its content on the row with the send
    (sending/delivery.py), so the recipient's notification centre shows exactly what went out."""
    headers = {
        "Message-ID": new_message_id(row.reference),
        # Support and recall trace any forwarded message back to its outbox row with these.
        "X-Gratitude-Kind": kind.name,
        "X-Gratitude-Reference": row.reference,
        "Auto-Submitted": "auto-generated",
    }
    if rendered.unsubscribe_url:
        # RFC 8058: an https URL that takes a cookie-less POST; a single URL keeps the header unfolded.
        headers["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = ONE_CLICK
    message = MailMessage(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to or row.recipient.email],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    # For providers through django-anymail: webhooks carry the reference back (transport/delivery_events.py),
    # and no click or open tracking rewrites our links to the provider's host.
    message.metadata = {"gratitude_reference": row.reference}
    message.tags = [kind.name]
    message.track_clicks = False
    message.track_opens = False
    return message
