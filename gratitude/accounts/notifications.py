"""What account mail (address confirmation, password reset, "you already have an account", trusted-delegate
invitation) needs from the accounts domain.

Declared as the `email_verify`, `password_reset`, `signup_existing` and `quiet_delegate_invitation` kinds in
gratitude/notifications/kinds.py.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from gratitude.accounts.models import PendingSignup, QuietDelegate, normalize_email_address
from gratitude.accounts.tokens import make_quiet_delegate_token, make_verify_token
from gratitude.core.links import site_url
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
    if refusal is None and row.recipient.email_verified and not _signup_waits(row):
        return Refusal("already_verified")
    return refusal


def _signup_waits(row: Notification) -> bool:
    # A sign-up waiting for its link needs the link even if the address was confirmed before (an account
    # with no password whose address the admin or demo data confirmed): without it, it can never finish.
    recipient = row.recipient
    return not recipient.has_usable_password() and PendingSignup.objects.filter(user_id=recipient.pk).exists()


def password_reset_provenance(row: Notification) -> Refusal | None:
    refusal = _account_mail_provenance(row)
    if refusal is None and not row.recipient.has_usable_password():
        return Refusal("no_password")
    return refusal


def signup_existing_provenance(row: Notification) -> Refusal | None:
    """The account still exists, is active and has a password: the message says it has one."""
    refusal = _account_mail_provenance(row)
    if refusal is None and not row.recipient.has_usable_password():
        return Refusal("no_password")
    return refusal


def email_verify_context(rows: list[Notification]) -> dict[str, Any]:
    # Made at send time, so the link is always fresh and bound to the address as it is now.
    token = make_verify_token(rows[0].recipient)
    return {"verify_url": site_url("accounts:verify", token)}


def signup_existing_context(rows: list[Notification]) -> dict[str, Any]:
    # Not the log-in or reset page itself: mail of ours never leads straight to a sign-in box
    # (docs/deliverability.md); this page names both ways in.
    return {"account_url": site_url("accounts:existing_account")}


def password_reset_context(rows: list[Notification]) -> dict[str, Any]:
    user = rows[0].recipient
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return {"reset_url": site_url("accounts:password_reset_confirm", uid, token)}


# --- An invitation to be someone's trusted delegate for quiet mode (docs/quiet-mode.md) ---------------

_QUIET_DELEGATE_KEY = re.compile(r"^quiet_delegate_invitation:delegation:(\d+):sent:(\d+)$")


def _quiet_delegation_for(row: Notification) -> tuple[QuietDelegate, int] | None:
    match = _QUIET_DELEGATE_KEY.match(row.idempotency_key)
    if match is None:
        return None
    delegation = QuietDelegate.objects.select_related("user").filter(pk=int(match.group(1))).first()
    return (delegation, int(match.group(2))) if delegation is not None else None


def quiet_delegate_invitation_provenance(row: Notification) -> Refusal | None:
    """The delegation exists, this row is its latest sending, the recipient owns the address the person
    named, and it is still unanswered and not withdrawn."""
    from gratitude.accounts.services import quiet_delegate_token_matches

    found = _quiet_delegation_for(row)
    if found is None or row.gift_id is not None or row.registry_id is not None:
        return Refusal("no_invitation", breach=True)
    delegation, sent = found
    if normalize_email_address(row.recipient.email) != delegation.email:
        return Refusal("not_the_invitee", breach=True)
    if delegation.revoked_at is not None:
        return Refusal("invitation_revoked")
    if not quiet_delegate_token_matches(delegation=delegation, invited_at=sent):
        return Refusal("invitation_replaced")
    if delegation.accepted_at is not None:
        return Refusal("invitation_accepted")
    if not delegation.user.is_active or not row.recipient.is_active:
        return Refusal("recipient_inactive")
    return None


def quiet_delegate_invitation_context(rows: list[Notification]) -> dict[str, Any]:
    found = _quiet_delegation_for(rows[0])
    assert found is not None  # provenance has checked the row before rendering
    delegation = found[0]
    # Made at send time, bound to this sending of the invitation and to the address it goes to.
    token = make_quiet_delegate_token(delegation)
    return {
        "person_name": delegation.user.verified_name or "A Gratitude member",
        "receives_must_go": delegation.receives_must_go,
        "accept_url": site_url("accounts:quiet_delegate", token),
    }
