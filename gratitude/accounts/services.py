"""Every change to a person's account: sign-up, email verification, password-reset requests, quiet mode
and the trusted delegates who may switch it (docs/quiet-mode.md)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from gratitude.accounts.models import PendingSignup, QuietDelegate, User, normalize_email_address
from gratitude.accounts.signals import display_name_changed, quiet_mode_enabled
from gratitude.accounts.tokens import VERIFY_MAX_AGE_SECONDS, read_verify_token
from gratitude.core.errors import GratitudeError, PermissionDenied, refuse_links

VERIFICATION_RESENDS_PER_HOUR = 3
PASSWORD_RESETS_PER_HOUR = 3
# Messages sign-up sends to one address in an hour, whoever typed it and whatever its state.
SIGNUP_MAILS_PER_HOUR = 3
SIGNUP_MAIL_KINDS = ("email_verify", "signup_existing")
MAX_DISPLAY_NAME = 120
# A waiting sign-up outlives the last link that could finish it by this much: the link is made when the
# message goes, which pacing (quiet hours) or a halt may put well after the sign-up.
UNFINISHED_SIGNUP_GRACE = timedelta(days=7)


class EmailAlreadyRegistered(GratitudeError):
    pass


class SignupLinkInvalid(GratitudeError):
    pass


def user_create(
    *,
    email: str,
    password: str | None = None,
    display_name: str = "",
    timezone: str = "UTC",
) -> User:
    """Create an account. The caller decides whether to ask for verification (see user_signup)."""
    address = normalize_email_address(email)
    with transaction.atomic():
        if User.objects.filter(email=address).exists():
            raise EmailAlreadyRegistered("An account with this email address already exists.")
        return User.objects.create_user(
            address, password, display_name=display_name.strip(), timezone=timezone
        )


def account_for_address(*, email: str) -> User:
    """The account mail to this address goes to: theirs, or one made for the address with no password and
    no name.

    The outbox's recipient is always an account (docs/registries.md explains why an invitee or a giver who
    asked for mail gets one). An account made here cannot log in until its owner proves the address: by
    accepting an invitation through its signed link, or by a password reset once they have one. Whatever
    name the giver or inviter typed is never its name: only the person chooses theirs (signing up, or on
    their account page), and until then mail greets them "Hello," (docs/safety.md promise 16).
    """
    address = normalize_email_address(email)
    existing = User.objects.filter(email=address).first()
    if existing is not None:
        return existing
    return user_create(email=address, password=None)


def account_claim_for_invitation(*, invitee: User, display_name: str, password: str) -> User:
    """The person an invitation was mailed to, whose account has no password yet (`account_for_address`),
    chooses their name and a password: the one way both kinds of invitation (a registry's, a trusted
    delegate's) give an account its owner. The caller accepts the invitation in the same transaction.

    Only the signed link reaches this, so the address is theirs; an account that already has a password
    logs in to accept instead.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=invitee.pk)
        if locked.has_usable_password():
            raise GratitudeError("This address already has an account: log in to accept the invitation.")
        if not display_name.strip():
            raise GratitudeError("say what your name is", field="display_name")
        locked.display_name = display_name.strip()[:MAX_DISPLAY_NAME]
        try:
            validate_password(password, locked)
        except ValidationError as exc:
            raise GratitudeError(f"{exc.messages[0]}", field="password") from exc
        locked.set_password(password)
        locked.save(update_fields=["display_name", "password"])
    return locked


def user_rename(*, user: User, display_name: str) -> User:
    """The person chooses the name their mail greets them by, and others see (docs/safety.md promise 16:
    only the person ever chooses it)."""
    name = display_name.strip()
    if not name:
        raise GratitudeError("say what your name is", field="display_name")
    if len(name) > MAX_DISPLAY_NAME:
        raise GratitudeError(f"at most {MAX_DISPLAY_NAME} characters", field="display_name")
    # Other people's mail names them (an invitation, an address request): no links in a name.
    refuse_links(field="display_name", text=name, what="A name")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.display_name = name
        locked.save(update_fields=["display_name"])
        display_name_changed.send(sender=User, user=locked)
    return locked


def user_signup(*, email: str) -> bool:
    """Sign up with an address: one message goes to it, the same whatever the address's state, so that
    sign-up never tells anyone whether an address is known here (docs/registries.md, "Signing up"). Nobody
    is logged in, and nothing typed here reaches an account: the name and the password are chosen on the
    page the mailed link opens, by whoever proves they read mail at the address (`user_signup_finish`).

    - no account yet, or one with no password (made for an invitee or a giver, docs/registries.md): the
      account (made now, with no password and no name, if there was none) is marked as waiting for a
      sign-up (`PendingSignup`), and `email_verify` mails the link;
    - an account with a password, or a deactivated one: `signup_existing` tells the address that it already
      has an account and how to get back into it (the send-time check drops it for a deactivated account).

    Returns whether a message was queued: False when the address already had SIGNUP_MAILS_PER_HOUR sign-up
    messages this hour (whatever its state, so the answer says nothing about an account), asked us never to
    write to it, or, unconfirmed, already had its share of mail
    (notifications/sending/unconfirmed_addresses.py: the send-time guard would refuse one more). The page then
    says nothing was sent, never "we sent".
    """
    from gratitude.accounts.notifications import account_mail_enqueue
    from gratitude.notifications.models import Notification
    from gratitude.notifications.sending.suppression import suppression_reason_for
    from gratitude.notifications.sending.unconfirmed_addresses import at_cap as unconfirmed_at_cap

    address = normalize_email_address(email)
    with transaction.atomic():
        user = _account_for_signup(address=address)
        recent = Notification.objects.filter(
            kind__in=SIGNUP_MAIL_KINDS, recipient=user, created_at__gte=timezone.now() - timedelta(hours=1)
        ).count()
        if (
            recent >= SIGNUP_MAILS_PER_HOUR
            or suppression_reason_for(address=address) is not None
            or unconfirmed_at_cap(user)
        ):
            return False
        if user.is_active and not user.has_usable_password():
            PendingSignup.objects.update_or_create(user=user, defaults={"created_at": timezone.now()})
            account_mail_enqueue(kind="email_verify", user=user)
        else:
            account_mail_enqueue(kind="signup_existing", user=user)
    return True


def _account_for_signup(*, address: str) -> User:
    """The address's account, locked; made now if there is none, with no password and no name: both come
    only from the person who opens the mailed link (`user_signup_finish`)."""
    user = User.objects.select_for_update().filter(email=address).first()
    if user is not None:
        return user
    try:
        # A savepoint: a sign-up for the same address running at the same moment may make it first.
        with transaction.atomic():
            return user_create(email=address)
    except (IntegrityError, EmailAlreadyRegistered):
        return User.objects.select_for_update().get(email=address)


def signup_awaits_password(*, user: User) -> bool:
    """Is this account waiting for a sign-up to be finished (`user_signup_finish`)?"""
    return not user.has_usable_password() and PendingSignup.objects.filter(user=user).exists()


def user_verify_email(*, token: str) -> User | None:
    """Mark the address verified if the token is valid for the account as it is now.

    An account waiting for a sign-up to be finished is returned unchanged: the page the link opens asks for
    a name and a password first (`user_signup_finish`), and mail scanners open links too.
    """
    parsed = read_verify_token(token)
    if parsed is None:
        return None
    user_id, email = parsed
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, email=email).first()
        if user is None:
            return None
        if signup_awaits_password(user=user):
            return user
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
    return user


def user_signup_finish(*, token: str, display_name: str, password: str) -> User:
    """Finish a sign-up (for a new address, or for an account made for an invitee or a giver: one flow, so
    not even the pages after the link tell them apart). Whoever opened the link mailed to the address
    (`token`) proved they read its mail, so they choose the account's name and password now, and the
    address is verified, in one step.

    Every sign-up for the address is then over: the waiting mark is gone and the account has a password,
    so any earlier link only confirms the address. Nobody else can block it either: sign-ups by someone who
    does not read the address's mail only send the owner another link, and never carry a password.
    Raises SignupLinkInvalid for a link that opens nothing (any more), GratitudeError("display_name: ...")
    or GratitudeError("password: ...") for a name or password to fix; nothing changes then.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    parsed = read_verify_token(token)
    if parsed is None:
        raise SignupLinkInvalid("This confirmation link is not valid.")
    user_id, email = parsed
    name = display_name.strip()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, email=email, is_active=True).first()
        if user is None or not signup_awaits_password(user=user):
            raise SignupLinkInvalid("This confirmation link is not valid.")
        if not name:
            raise GratitudeError("Say how we should greet you.", field="display_name")
        refuse_links(field="display_name", text=name, what="A name")
        user.display_name = name[:120]
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise GratitudeError(f"{' '.join(exc.messages)}", field="password") from exc
        user.set_password(password)
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
        user.save(update_fields=["password", "display_name", "email_verified_at"])
        PendingSignup.objects.filter(user=user).delete()
    return user


def unfinished_signups_clear() -> int:
    """The periodic job (notifications worker): forget sign-ups nobody finished once no link that could
    finish them can still be open. The account itself stays as an address with no password, like one made
    for a giver, so what was mailed to it stays on record (a recall lists it). Returns how many were
    cleared."""
    cutoff = timezone.now() - timedelta(seconds=VERIFY_MAX_AGE_SECONDS) - UNFINISHED_SIGNUP_GRACE
    cleared, _ = PendingSignup.objects.filter(created_at__lt=cutoff).delete()
    return cleared


def password_reset_request(*, email: str) -> None:
    """Queue a reset message if an active account has this address; say nothing either way."""
    from gratitude.accounts.notifications import account_mail_enqueue

    address = normalize_email_address(email)
    with transaction.atomic():
        user = User.objects.filter(email=address, is_active=True).first()
        if user is None or not user.has_usable_password():
            return
        from gratitude.notifications.models import Notification

        recent = Notification.objects.filter(
            kind="password_reset",
            recipient=user,
            created_at__gte=timezone.now() - timedelta(hours=1),
        ).count()
        # Past the limit we stay silent, exactly as for an unknown address.
        if recent < PASSWORD_RESETS_PER_HOUR:
            account_mail_enqueue(kind="password_reset", user=user)


def verification_resend(*, user: User) -> None:
    """Queue a fresh confirmation link, at most a few an hour so the button cannot be used to spam."""
    from gratitude.accounts.notifications import account_mail_enqueue
    from gratitude.notifications.models import Notification

    recent = Notification.objects.filter(
        kind="email_verify",
        recipient=user,
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= VERIFICATION_RESENDS_PER_HOUR:
        raise GratitudeError("We already sent several links this hour; please check your inbox.")
    with transaction.atomic():
        account_mail_enqueue(kind="email_verify", user=user)


# --- Quiet mode and trusted delegates (docs/quiet-mode.md) -------------------------------------------
#
# Quiet mode stops every registry and occasion message to a person at once: rows already waiting are
# cancelled in the same transaction (notifications/sending/quiet_mode.py), and the send-time guard refuses
# anything that is written later. Switching it on asks nothing and requires no reason; switching it off
# replays nothing.

QUIET_REASON_MAX = 500
QUIET_DELEGATES_PER_PERSON = 5
QUIET_DELEGATE_INVITATIONS_PER_ADDRESS_PER_DAY = 3
# One person names at most this many different people a day (each re-sent at most the per-address limit), so
# naming, withdrawing and naming again cannot turn the invitation into a way to mail strangers.
QUIET_DELEGATE_INVITATIONS_PER_PERSON_PER_DAY = 10


def _may_switch_quiet_mode(*, user: User, by: User) -> bool:
    """The person, or a trusted delegate they named themselves who accepted and was not withdrawn.

    Quiet mode is account-wide: it silences every registry the person is on. A role on one registry
    (delegate, co-registrant) was given by that registry's owner, not by the person, so it never reaches
    it; a registry's members pause that registry only (docs/quiet-mode.md, "Who may do what")."""
    if by.pk == user.pk:
        return True
    if not by.is_active:
        return False
    return QuietDelegate.objects.filter(
        user_id=user.pk, delegate_id=by.pk, accepted_at__isnull=False, revoked_at__isnull=True
    ).exists()


def _require_quiet_switch(*, user: User, by: User | None) -> User:
    actor = by if by is not None else user
    if not _may_switch_quiet_mode(user=user, by=actor):
        raise PermissionDenied("Only the person, or someone they trust with it, may switch quiet mode.")
    return actor


def quiet_mode_enable(*, user: User, by: User | None = None, reason: str = "") -> User:
    """Stop every registry and occasion message to `user`, now. `by` is who pressed the button (None: the
    person themselves). Idempotent: a second press changes nothing and keeps the first time and reason.

    In one transaction: mark the person quiet, cancel their waiting messages (`quiet_mode`), and release the
    open holds on the registries they own, which leave search and show a neutral page from now on.
    """
    from gratitude.notifications.sending.quiet_mode import suppress_queued

    if len(reason.strip()) > QUIET_REASON_MAX:
        raise GratitudeError(f"at most {QUIET_REASON_MAX} characters", field="reason")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        actor = _require_quiet_switch(user=locked, by=by)
        if locked.quiet_since is None:
            locked.quiet_since = timezone.now()
            locked.quiet_by = actor
            locked.quiet_reason = reason.strip()
            locked.save(update_fields=["quiet_since", "quiet_by", "quiet_reason"])
        suppress_queued(user=locked)
        # The apps above release what waits on the person's registries, in this same transaction.
        quiet_mode_enabled.send(sender=User, user=locked)
    # The caller's object (often request.user) shows the change too.
    user.refresh_from_db(fields=["quiet_since", "quiet_by", "quiet_reason"])
    return locked


def quiet_mode_disable(*, user: User, by: User | None = None) -> User:
    """Let messages reach `user` again. Nothing held while quiet is sent afterwards: whatever is still
    waiting from the quiet time is cancelled first, then only new events alert. Idempotent."""
    from gratitude.notifications.sending.quiet_mode import suppress_queued

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        _require_quiet_switch(user=locked, by=by)
        if locked.quiet_since is not None:
            # Still quiet while this runs, so every row written during the quiet time is cancelled.
            suppress_queued(user=locked)
            locked.quiet_since = None
            locked.quiet_by = None
            locked.quiet_reason = ""
            locked.save(update_fields=["quiet_since", "quiet_by", "quiet_reason"])
    user.refresh_from_db(fields=["quiet_since", "quiet_by", "quiet_reason"])
    return locked


def quiet_delegate_invite(*, user: User, email: str, receives_must_go: bool = False) -> QuietDelegate:
    """Name someone, by email, who may switch quiet mode on and off for `user` once they accept; with
    `receives_must_go`, messages that must still go while `user` is quiet go to them instead.

    Naming the same address again re-sends a withdrawn or unanswered invitation and updates the choice;
    it never makes a second delegation.
    """
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from gratitude.accounts.notifications import quiet_delegate_invitation_enqueue
    from gratitude.notifications.models import Notification

    address = normalize_email_address(email)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise GratitudeError("enter a valid email address", field="email") from exc
    if address == normalize_email_address(user.email):
        raise GratitudeError("name someone other than yourself", field="email")
    with transaction.atomic():
        # The person's row is the lock that serialises their delegations (the limit below is a count).
        User.objects.select_for_update().get(pk=user.pk)
        delegation = QuietDelegate.objects.select_for_update().filter(user_id=user.pk, email=address).first()
        if delegation is None:
            live = QuietDelegate.objects.filter(user_id=user.pk, revoked_at__isnull=True).count()
            if live >= QUIET_DELEGATES_PER_PERSON:
                raise GratitudeError(
                    f"You can name up to {QUIET_DELEGATES_PER_PERSON} people; withdraw one to name another."
                )
            delegation = QuietDelegate(user=user, email=address)
        if delegation.accepted_at is not None and delegation.revoked_at is None:
            # Already trusted: only the choice about must-go messages can change; no new mail.
            delegation.receives_must_go = receives_must_go
            delegation.save(update_fields=["receives_must_go"])
            return delegation
        invitee = account_for_address(email=address)
        # Anyone can type any address: an address gets a few of these a day at most, whoever named it.
        recent = Notification.objects.filter(
            kind="quiet_delegate_invitation",
            recipient=invitee,
            created_at__gte=timezone.now() - timedelta(days=1),
        ).count()
        if recent >= QUIET_DELEGATE_INVITATIONS_PER_ADDRESS_PER_DAY:
            raise GratitudeError("We already sent several invitations to this address today; try tomorrow.")
        named_today = QuietDelegate.objects.filter(
            user_id=user.pk, invited_at__gte=timezone.now() - timedelta(days=1)
        ).exclude(pk=delegation.pk)
        if named_today.count() >= QUIET_DELEGATE_INVITATIONS_PER_PERSON_PER_DAY:
            raise GratitudeError(
                f"You invited {QUIET_DELEGATE_INVITATIONS_PER_PERSON_PER_DAY} people today, the most we send "
                "for one person in a day. Try again tomorrow."
            )
        delegation.receives_must_go = receives_must_go
        delegation.invited_at = timezone.now()
        delegation.accepted_at = None
        delegation.revoked_at = None
        delegation.delegate = None
        delegation.save()
        quiet_delegate_invitation_enqueue(delegation=delegation, invitee=invitee)
    return delegation


def quiet_delegate_accept(*, token: str, by: User) -> QuietDelegate:
    """Accept being someone's trusted delegate, through the signed link the invitation mail carried. Only
    the account with the address the invitation named may accept."""
    from gratitude.accounts.tokens import read_quiet_delegate_token

    parsed = read_quiet_delegate_token(token)
    if parsed is None:
        raise GratitudeError("This link has expired or is not complete. Ask for a new invitation.")
    delegation_id, invited_at = parsed
    with transaction.atomic():
        delegation = QuietDelegate.objects.select_for_update().filter(pk=delegation_id).first()
        if delegation is None or not quiet_delegate_token_matches(
            delegation=delegation, invited_at=invited_at
        ):
            raise GratitudeError("This invitation was withdrawn or replaced by a newer one.")
        if normalize_email_address(by.email) != delegation.email:
            raise PermissionDenied("This invitation was sent to a different email address.")
        if by.pk == delegation.user_id:
            raise GratitudeError("You cannot be your own trusted delegate.")
        if delegation.accepted_at is None:
            delegation.delegate = by
            delegation.accepted_at = timezone.now()
            delegation.save(update_fields=["delegate", "accepted_at"])
        elif delegation.delegate_id != by.pk:
            raise PermissionDenied("This invitation was accepted by someone else.")
        if by.email_verified_at is None:
            # The signed link only ever went to this address, so following it proves the address.
            by.email_verified_at = timezone.now()
            by.save(update_fields=["email_verified_at"])
    return delegation


def quiet_delegate_accept_with_new_password(*, token: str, display_name: str, password: str) -> User:
    """Accept for an invitee whose account has no password yet: they choose their name and a password."""
    from gratitude.accounts.tokens import read_quiet_delegate_token

    parsed = read_quiet_delegate_token(token)
    if parsed is None:
        raise GratitudeError("This link has expired or is not complete. Ask for a new invitation.")
    with transaction.atomic():
        delegation = QuietDelegate.objects.filter(pk=parsed[0]).first()
        if delegation is None:
            raise GratitudeError("This invitation was withdrawn or replaced by a newer one.")
        invitee = User.objects.filter(email=delegation.email).first()
        if invitee is None:
            raise GratitudeError("This invitation was withdrawn or replaced by a newer one.")
        invitee = account_claim_for_invitation(invitee=invitee, display_name=display_name, password=password)
        quiet_delegate_accept(token=token, by=invitee)
    return invitee


def quiet_delegate_revoke(*, delegation: QuietDelegate, by: User) -> QuietDelegate:
    """End a delegation: by the person who named the delegate, or by the delegate stepping down. From then
    on they may not switch quiet mode, must-go messages stop going to them, and an unanswered invitation's
    link stops working (its mail, if still queued, is never sent). Idempotent."""

    with transaction.atomic():
        locked = QuietDelegate.objects.select_for_update().get(pk=delegation.pk)
        if by.pk not in (locked.user_id, locked.delegate_id):
            raise PermissionDenied("Only the person who named this delegate, or the delegate, may end it.")
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
    return locked


def quiet_delegate_token_matches(*, delegation: QuietDelegate, invited_at: int) -> bool:
    """A link opens only the invitation it was made for: not one re-sent (or withdrawn) since."""
    from gratitude.accounts.tokens import invitation_stamp

    return delegation.revoked_at is None and invitation_stamp(delegation) == invited_at
