"""What account mail (address confirmation, password reset) needs from the accounts domain.

Declared as the `email_verify` and `password_reset` kinds in gratitude/notifications/kinds.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from gratitude.accounts.tokens import make_verify_token
from gratitude.core.links import site_link
from gratitude.notifications.models import Notification
from gratitude.notifications.refusals import Refusal


def _account_mail_provenance(row: Notification) -> Refusal | None:
    if row.gift_id is not None or row.registry_id is not None:
        return Refusal("unexpected_trigger", breach=True)
    if not row.recipient.is_active:
        return Refusal("recipient_inactive")
    return None


def email_verify_provenance(row: Notification) -> Refusal | None:
    refusal = _account_mail_provenance(row)
    if refusal is None and row.recipient.email_verified:
        return Refusal("already_verified")
    return refusal


def password_reset_provenance(row: Notification) -> Refusal | None:
    refusal = _account_mail_provenance(row)
    if refusal is None and not row.recipient.has_usable_password():
        return Refusal("no_password")
    return refusal


def email_verify_context(rows: list[Notification]) -> dict[str, Any]:
    # Made at send time, so the link is always fresh and bound to the address as it is now.
    token = make_verify_token(rows[0].recipient)
    return {"verify_url": site_link(reverse("accounts:verify", args=[token]))}


def password_reset_context(rows: list[Notification]) -> dict[str, Any]:
    user = rows[0].recipient
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return {"reset_url": site_link(reverse("accounts:password_reset_confirm", args=[uid, token]))}
