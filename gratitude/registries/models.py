"""Registries, the people who own them, and the items on them."""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Defined in core so the sending path can name occasions too; registries use it as their own.
from gratitude.core.occasions import Occasion as Occasion


def new_share_key() -> str:
    # 128 bits: a share link cannot be guessed, and resetting it revokes every older link at once.
    return secrets.token_urlsafe(16)


# Links a giver's browser will follow or load: only http(s), never javascript:, data: or ftp:.
http_url = URLValidator(schemes=["http", "https"], message="Enter a link starting with http:// or https://")
currency_code = RegexValidator(r"^[A-Z]{3}$", "Enter a three-letter currency code, like EUR or USD.")


@cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA zone names this machine knows (e.g. "Europe/Paris"), sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


def known_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError("Choose a time zone from the list, like Europe/Paris or America/Chicago.")


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: findable by name"
    LINK = "link", "Anyone with the link"
    PRIVATE = "private", "Private: members only"


class Surprise(models.TextChoices):
    SHOW_ALL = "show_all", "Show me everything"
    COVERED_ONLY = "covered_only", "Only show that an item is covered"


class Registry(models.Model):
    title = models.CharField(max_length=200)
    occasion = models.CharField(max_length=20, choices=Occasion.choices)
    event_date = models.DateField(null=True, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.LINK)
    surprise = models.CharField(max_length=15, choices=Surprise.choices, default=Surprise.SHOW_ALL)
    share_key = models.CharField(max_length=32, unique=True, default=new_share_key)
    created_at = models.DateTimeField(auto_now_add=True)
    # Paused (quiet mode): no messages about this registry, hidden from search, share link shows a neutral
    # page.
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    # What the registrants wrote for their givers; shown on the share page.
    welcome_note = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    # Never shown to givers. City and region are, but only if the registrants allow it.
    shipping_address = models.TextField(blank=True, max_length=500, validators=[MaxLengthValidator(500)])
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    show_city_region = models.BooleanField(default=False)
    # Shipping guidance on the giver's page (docs/registries.md, "Sharing"): a note the registrants wrote,
    # and the address itself only if they chose to show it.
    shipping_note = models.TextField(blank=True, max_length=500, validators=[MaxLengthValidator(500)])
    show_shipping_address = models.BooleanField(default=False)
    # Every price on the registry is in this currency; chosen at creation (guessed from the browser).
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_code])
    # The registrants' photo on the giver's page and in link previews (kept by us: see pictures.py).
    photo = models.ForeignKey("Picture", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # "Covered only" hides what and by whom until this date (or the event date when it is empty).
    reveal_on = models.DateField(null=True, blank=True)
    # Lifecycle (docs/registries.md): archived some days after the event, after a notice 14 days ahead.
    auto_archive = models.BooleanField(default=True)
    # Times givers and members see about this registry (a hold's end, a receipt) are in this zone; it starts
    # as the owner's (registries.services.registries.registry_create).
    time_zone = models.CharField(max_length=64, default="UTC", validators=[known_time_zone])
    archive_on = models.DateField(null=True, blank=True)
    archive_notice_for = models.DateField(null=True, blank=True)
    archive_reason = models.CharField(max_length=20, blank=True)

    members: models.Manager[RegistryMember]
    items: models.Manager[Item]
    search_names: models.Manager[RegistrySearchName]
    invitations: models.Manager[RegistryInvitation]

    class Meta:
        verbose_name_plural = "registries"
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="registry_title_not_empty")]
        indexes = [
            # Search's walk over the findable registries in result order (latest event first), stopping at a
            # page of results: a common name is answered without reading its thousands of matches
            # (selectors.registry_search). Partial rather than keyed on archived_at and paused_at: PostgreSQL
            # takes "IS NULL" for a filter, not an equality, and would not see the order in such an index.
            models.Index(
                fields=["visibility", "-event_date", "id"],
                condition=Q(archived_at__isnull=True, paused_at__isnull=True),
                name="registry_search_order",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def reveal_date(self) -> date | None:
        return self.reveal_on or self.event_date

    def hides_gift_details(self, today: date | None = None) -> bool:
        """True while "covered only" must keep what was given, and by whom, from the registrants."""
        if self.surprise != Surprise.COVERED_ONLY:
            return False
        reveal = self.reveal_date()
        return reveal is None or (today or timezone.localdate()) < reveal


class RegistrySearchName(models.Model):
    """One word of a registrant's name, folded for search (public registries are found by name)."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="search_names")
    term = models.CharField(max_length=60)

    class Meta:
        indexes = [models.Index(fields=["term", "registry"], name="registry_search_term")]

    def __str__(self) -> str:
        return f"{self.term} -> {self.registry_id}"


class MemberRole(models.TextChoices):
    OWNER = "owner", "Owner"
    CO_REGISTRANT = "co_registrant", "Co-registrant"
    DELEGATE = "delegate", "Trusted delegate"


class AlertPreference(models.TextChoices):
    INSTANT = "instant", "As each gift arrives"
    DIGEST = "digest", "A daily digest"
    OFF = "off", "No gift alerts"


class RegistryMember(models.Model):
    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registry_memberships"
    )
    role = models.CharField(max_length=15, choices=MemberRole.choices)
    alerts = models.CharField(max_length=10, choices=AlertPreference.choices, default=AlertPreference.INSTANT)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registry", "user"], name="one_membership_per_person")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) on {self.registry}"


class FormerMember(models.Model):
    """A record that someone left a registry, so a later send can tell "left" from "never belonged"."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="former_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    left_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"user {self.user_id} left registry {self.registry_id}"


class Priority(models.TextChoices):
    MOST_WANTED = "most_wanted", "Most wanted"
    NORMAL = "normal", "Normal"
    NICE_TO_HAVE = "nice_to_have", "Nice to have"


class Item(models.Model):
    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_code])
    url = models.URLField(max_length=500, blank=True, validators=[http_url])
    # A picture link pasted before pictures were kept by us: never shown (hot-linking would tell a stranger's
    # server who looks at the list); `gratitude pictures fetch-pasted` turns it into a kept picture.
    pasted_image_url = models.URLField(max_length=500, blank=True, validators=[http_url])
    picture = models.ForeignKey("Picture", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    priority = models.CharField(max_length=15, choices=Priority.choices, default=Priority.NORMAL)
    notes = models.TextField(blank=True, max_length=1000, validators=[MaxLengthValidator(1000)])
    # The registrants' order; new items go last.
    position = models.PositiveIntegerField(default=0)
    # Archived items leave the list (givers no longer see them); their gifts stay on the Thank You List.
    archived_at = models.DateTimeField(null=True, blank=True)
    # A gift that came off the registry, recorded by hand: never on the list givers see.
    off_list = models.BooleanField(default=False)
    # Several givers contribute toward the price instead of one buying it.
    group_gift = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="item_quantity_at_least_one"),
            models.CheckConstraint(condition=~Q(title=""), name="item_title_not_empty"),
            models.CheckConstraint(
                condition=Q(group_gift=False) | (Q(price__gt=0) & Q(quantity=1)),
                name="item_group_gift_has_a_price",
                violation_error_message="A group gift needs a price, and is one item (quantity 1).",
            ),
        ]
        indexes = [models.Index(fields=["registry", "position"], name="item_registry_position")]

    def __str__(self) -> str:
        return self.title


def new_picture_key() -> str:
    # Random, so a picture's address tells nothing and cannot be guessed from another's.
    return secrets.token_urlsafe(12)


class Picture(models.Model):
    """A picture we keep: validated, stripped of metadata, re-encoded as WebP at a few widths
    (gratitude/registries/pictures.py), stored through Django's storage API and never hot-linked."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="pictures")
    key = models.CharField(max_length=32, unique=True, default=new_picture_key)
    # The stored widths, smallest first; `width`/`height` are the largest one's.
    widths = models.JSONField(default=list)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # Where a fetched picture came from (for the registrants' records; never an <img src>).
    source_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"picture {self.key} of registry {self.registry_id}"

    def name(self, width: int) -> str:
        return f"pictures/{self.key}/{width}.webp"

    def height_at(self, width: int) -> int:
        return max(1, round(self.height * width / self.width))


class InvitationState(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Withdrawn"
    EXPIRED = "expired", "Expired"


class RegistryInvitation(models.Model):
    """An invitation to help run a registry, sent to an email address and accepted through a signed link."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    # The person the mail goes to: their account, or an account made for the address (docs/registries.md).
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    role = models.CharField(max_length=15, choices=MemberRole.choices)
    state = models.CharField(max_length=10, choices=InvitationState.choices, default=InvitationState.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "email"],
                condition=Q(state="pending"),
                name="one_pending_invitation_per_address",
            ),
            models.CheckConstraint(condition=~Q(role="owner"), name="invitation_never_makes_an_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.email} invited to {self.registry_id} as {self.role} [{self.state}]"

    def is_open(self, now: datetime | None = None) -> bool:
        return self.state == InvitationState.PENDING and (now or timezone.now()) < self.expires_at
