"""Account mail (address confirmation, password reset, "you already have an account", trusted-delegate
invitation): the `email_verify`, `password_reset`, `signup_existing` and `quiet_delegate_invitation` kinds,
what they need from the accounts domain, their outbox writes and their preview samples.

Also the sample people every domain's preview samples use (`sample_person`).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from gratitude.accounts.models import PendingSignup, QuietDelegate, User, normalize_email_address
from gratitude.accounts.tokens import invitation_stamp, make_quiet_delegate_token, make_verify_token, stamp_of
from gratitude.core.links import site_url
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import Category, Kind, one_recipient, register
from gratitude.notifications.outbox.refusals import Refusal
from gratitude.notifications.outbox.writes import Trigger, outbox_write

# Sign-up and password-reset mail: a request made for the person's own address.
ACCOUNT_MAIL_KINDS = frozenset({"email_verify", "password_reset", "signup_existing"})


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


def _quiet_delegation_for(row: Notification) -> tuple[QuietDelegate, int] | None:
    """The delegation the row's trigger names, and which sending of its invitation the row is."""
    if row.trigger_type != "quiet_delegate" or row.trigger_id is None or row.trigger_at is None:
        return None
    delegation = QuietDelegate.objects.select_related("user").filter(pk=row.trigger_id).first()
    return (delegation, stamp_of(row.trigger_at)) if delegation is not None else None


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


# --- The outbox writes (only accounts.services calls these, in the request's transaction) ---------------


def account_mail_enqueue(*, kind: str, user: User) -> Notification:
    """Sign-up mail (the verification link, or "you already have an account") and password-reset mail: the
    trigger is a request made for the person's own address."""
    if kind not in ACCOUNT_MAIL_KINDS:
        raise ValueError(f"{kind!r} is not an account mail kind")
    # Each request is its own trigger; the token inside is made at send time, so it is always fresh.
    request = uuid.uuid4().hex
    return outbox_write(
        kind=kind,
        trigger=Trigger(type="user", id=user.pk),
        recipients=[user.pk],
        key=lambda user_id: f"{kind}:user:{user_id}:request:{request}",
    )[0]


def quiet_delegate_invitation_enqueue(*, delegation: QuietDelegate, invitee: User) -> Notification:
    """The invitation to be someone's trusted delegate, to the account of the address they named. Each
    sending of the invitation is its own trigger (a re-sent one gets a new link; the old one stops)."""
    if invitee.email != delegation.email:
        raise ValueError("the invitation goes to the address the person named, and only there")
    sent = invitation_stamp(delegation)
    return outbox_write(
        kind=QUIET_DELEGATE_INVITATION.name,
        trigger=Trigger(type="quiet_delegate", id=delegation.pk, at=delegation.invited_at),
        recipients=[invitee.pk],
        key=lambda user_id: f"quiet_delegate_invitation:delegation:{delegation.pk}:sent:{sent}",
    )[0]


# --- Preview samples (notifications/devtools/samples.py rolls each back)
# -----------------------------------------


def sample_address(local: str) -> str:
    """A reserved-domain address no real account has (a preview may run on a database with data)."""
    address = f"{local}@example.test"
    if User.objects.filter(email=address).exists():
        address = f"{local}+preview-{secrets.token_hex(3)}@example.test"
    return address


def sample_person(local: str, name: str) -> User:
    from gratitude.accounts.services import user_create

    user = user_create(email=sample_address(local), password=secrets.token_urlsafe(16), display_name=name)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return user


def _email_verify_sample() -> list[Notification]:
    from gratitude.accounts.services import user_signup

    address = sample_address("jordan.lee")
    user_signup(email=address)
    return list(Notification.objects.filter(kind="email_verify", recipient__email=address))


def _signup_existing_sample() -> list[Notification]:
    from gratitude.accounts.services import user_signup

    user = sample_person("sam.okafor", "Sam Okafor")
    user_signup(email=user.email)
    return list(Notification.objects.filter(kind="signup_existing", recipient=user))


def _password_reset_sample() -> list[Notification]:
    from gratitude.accounts.services import password_reset_request

    user = sample_person("sam.okafor", "Sam Okafor")
    password_reset_request(email=user.email)
    return list(Notification.objects.filter(kind="password_reset", recipient=user))


def _quiet_delegate_invitation_sample() -> list[Notification]:
    from gratitude.accounts.services import quiet_delegate_invite

    person = sample_person("alex.rivera", "Alex Rivera")
    trusted = sample_person("sam.okafor", "Sam Okafor")
    quiet_delegate_invite(user=person, email=trusted.email, receives_must_go=True)
    return list(Notification.objects.filter(kind="quiet_delegate_invitation", recipient=trusted))


# --- The kinds ------------------------------------------------------------------------------------------

EMAIL_VERIFY = register(
    Kind(
        name="email_verify",
        category=Category.TRANSACTIONAL,
        trigger="user",
        provenance=email_verify_provenance,
        recipients_per_trigger=one_recipient,
        template="email_verify",
        context=email_verify_context,
        event_backed=True,
        label="a link to confirm an email address",
        sample=_email_verify_sample,
    )
)
PASSWORD_RESET = register(
    Kind(
        name="password_reset",
        category=Category.TRANSACTIONAL,
        trigger="user",
        provenance=password_reset_provenance,
        recipients_per_trigger=one_recipient,
        template="password_reset",
        context=password_reset_context,
        event_backed=True,
        label="a password reset link",
        sample=_password_reset_sample,
    )
)
# A sign-up with an address that already has an account: instead of saying "taken" on the page (which tells
# whoever typed the address that it is known here), the address is told, and shown the ways back in. Written
# only by accounts.services.user_signup.
SIGNUP_EXISTING = register(
    Kind(
        name="signup_existing",
        category=Category.TRANSACTIONAL,
        trigger="user",
        provenance=signup_existing_provenance,
        recipients_per_trigger=one_recipient,
        template="signup_existing",
        context=signup_existing_context,
        event_backed=True,
        label="a note that this address already has an account",
        sample=_signup_existing_sample,
    )
)
# An invitation to be someone's trusted delegate for quiet mode, caused by that person's own action and
# speaking of no registry or occasion. Written only by accounts.services.quiet_delegate_invite.
QUIET_DELEGATE_INVITATION = register(
    Kind(
        name="quiet_delegate_invitation",
        category=Category.TRANSACTIONAL,
        trigger="quiet_delegate",
        provenance=quiet_delegate_invitation_provenance,
        recipients_per_trigger=one_recipient,
        template="quiet_delegate_invitation",
        context=quiet_delegate_invitation_context,
        event_backed=True,
        label="an invitation to be someone's trusted person",
        sample=_quiet_delegate_invitation_sample,
    )
)
