"""Registries, the people who own them, and the items on them."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


def new_share_key() -> str:
    # 128 bits: a share link cannot be guessed, and resetting it revokes every older link at once.
    return secrets.token_urlsafe(16)


class Occasion(models.TextChoices):
    BABY = "baby", "Baby"
    WEDDING = "wedding", "Wedding"
    BIRTHDAY = "birthday", "Birthday"
    HOUSEWARMING = "housewarming", "Housewarming"
    GRADUATION = "graduation", "Graduation"
    OTHER = "other", "Other"


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
    # Paused (issue 7): no messages about this registry, hidden from search, share link shows a neutral page.
    paused_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    members: models.Manager[RegistryMember]
    items: models.Manager[Item]

    class Meta:
        verbose_name_plural = "registries"
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="registry_title_not_empty")]

    def __str__(self) -> str:
        return self.title


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
    url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="item_quantity_at_least_one"),
            models.CheckConstraint(condition=~Q(title=""), name="item_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title
