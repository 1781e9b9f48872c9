"""The User: an email address is the login, and the name they gave is how mail greets them."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone as django_timezone

# Re-exported: the one canonical form lives in core, where the sending path can use it too.
from gratitude.core.email_addresses import normalize_email_address as normalize_email_address


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=normalize_email_address(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=120, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Quiet mode: while set, no registry or occasion message goes to this person.
    quiet_since = models.DateTimeField(null=True, blank=True)
    # Who switched quiet mode on (the person, or their trusted delegate) and the reason, if one was given.
    quiet_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    quiet_reason = models.CharField(max_length=500, blank=True)
    # Occasions this person never wants mail about ("baby", "wedding", "mothers_day", ...); quiet mode.
    occasion_opt_outs = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=django_timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        indexes = [
            # The few people in quiet mode, for "is this registry's owner quiet?" (registries.selectors.
            # stepped_back): PostgreSQL answers it for a whole search at once, which without this index
            # meant reading every account (20 to 50 ms at 100,000 people).
            models.Index(
                fields=["quiet_since"], condition=models.Q(quiet_since__isnull=False), name="user_quiet_since"
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def name(self) -> str:
        """How we address this person: the name they gave, else the part of the address before @."""
        return self.display_name or self.email.split("@", 1)[0]

    @property
    def verified_name(self) -> str:
        """The name to show someone else in mail (an inviter, a registrant asking for an address): the one
        this person chose, once they proved their address; "" before that, when the name on the account may
        have been typed by whoever typed the address (docs/deliverability.md)."""
        return self.display_name.strip() if self.email_verified else ""

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class QuietDelegate(models.Model):
    """A person someone trusts to switch quiet mode on and off for them (docs/quiet-mode.md).

    Named by email; acts only after accepting. While the person is quiet, a message that must still go
    (a security notice, a receipt they asked for) goes to the delegate instead if `receives_must_go`.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="quiet_delegates")
    email = models.EmailField()
    delegate = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="quiet_delegations"
    )
    invited_at = models.DateTimeField(default=django_timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    receives_must_go = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "email"], name="quiet_delegate_once_per_address")
        ]

    def __str__(self) -> str:
        return f"{self.email} for {self.user_id}"


class PendingSignup(models.Model):
    """A sign-up waiting for its address to be proven: someone signed up with an address that has no
    account, or whose account has no password yet (one made for an invitee or a giver, docs/registries.md).
    Nothing typed at sign-up is kept: the name and the password are chosen by whoever opens the link mailed
    to the address (accounts.services.user_signup_finish), since only the address's owner can. A newer
    sign-up for the address only renews this mark; finishing removes it.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="pending_signup")
    created_at = models.DateTimeField(default=django_timezone.now)

    def __str__(self) -> str:
        return f"pending sign-up for {self.user_id}"
