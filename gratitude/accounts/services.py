"""Every change to a person's account: sign-up, email verification, password-reset requests."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User, normalize_email_address
from gratitude.accounts.tokens import read_verify_token
from gratitude.core.errors import GratitudeError

VERIFICATION_RESENDS_PER_HOUR = 3
PASSWORD_RESETS_PER_HOUR = 3


class EmailAlreadyRegistered(GratitudeError):
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


def user_signup(*, email: str, password: str, display_name: str = "") -> User:
    """Create an account and, in the same transaction, queue the verification message."""
    from gratitude.notifications.services import notification_enqueue_account_mail

    with transaction.atomic():
        user = user_create(email=email, password=password, display_name=display_name)
        notification_enqueue_account_mail(kind="email_verify", user=user)
    return user


def user_verify_email(*, token: str) -> User | None:
    """Mark the address verified if the token is valid for the account as it is now."""
    parsed = read_verify_token(token)
    if parsed is None:
        return None
    user_id, email = parsed
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, email=email).first()
        if user is None:
            return None
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
    return user


def password_reset_request(*, email: str) -> None:
    """Queue a reset message if an active account has this address; say nothing either way."""
    from gratitude.notifications.services import notification_enqueue_account_mail

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
            notification_enqueue_account_mail(kind="password_reset", user=user)


def verification_resend(*, user: User) -> None:
    """Queue a fresh confirmation link, at most a few an hour so the button cannot be used to spam."""
    from gratitude.notifications.models import Notification
    from gratitude.notifications.services import notification_enqueue_account_mail

    recent = Notification.objects.filter(
        kind="email_verify",
        recipient=user,
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= VERIFICATION_RESENDS_PER_HOUR:
        raise GratitudeError("We already sent several links this hour; please check your inbox.")
    with transaction.atomic():
        notification_enqueue_account_mail(kind="email_verify", user=user)
