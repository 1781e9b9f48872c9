"""The Thank You List's own records: each gift's thank-you status and note, the history that lets a mark be
undone, and the registrants' requests for a giver's mailing address. See docs/thank-you-list.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from gratitude.gifts.models import Gift
from gratitude.registries.models import Registry


class ThankYouStatus(models.TextChoices):
    TODO = "todo", "To do"
    WRITTEN = "written", "Written"
    SENT = "sent", "Sent"


class ThankYou(models.Model):
    """A gift's thank-you status and private note. No row means "to do, no note": most gifts start there,
    so the list never has to create rows just to show them."""

    gift = models.OneToOneField(Gift, primary_key=True, on_delete=models.CASCADE, related_name="thank_you")
    status = models.CharField(max_length=10, choices=ThankYouStatus.choices, default=ThankYouStatus.TODO)
    written_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Only the registry's members see it: what to write, or what the gift was if it came unlabelled.
    note = models.TextField(blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status"], name="thanks_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ThankYouStatus.SENT) | Q(sent_at__isnull=False),
                name="thanks_sent_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"thank-you for gift {self.gift_id}: {self.status}"


class ThankYouChange(models.Model):
    """One gift's status change, as part of one mark (`batch`): who changed it, from what, to what. Undo
    puts back the `from_*` values of a batch; the rows also tell co-registrants who marked what."""

    batch = models.UUIDField(db_index=True)
    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=10, choices=ThankYouStatus.choices)
    from_written_at = models.DateTimeField(null=True, blank=True)
    from_sent_at = models.DateTimeField(null=True, blank=True)
    to_status = models.CharField(max_length=10, choices=ThankYouStatus.choices)
    undone_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"gift {self.gift_id}: {self.from_status} -> {self.to_status}"


class AddressRequest(models.Model):
    """A registrant asked a giver (who left an email but no address) where to send the thank-you note.

    At most one per giver (by email) per registry, ever. `giver` is the account the message is addressed
    to: the giver's own if they have one, else a contact row with no way to log in (docs/thank-you-list.md).
    """

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="address_requests")
    # The gift the registrant asked about; the message names its item, which only the giver would know.
    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="address_requests")
    giver_email = models.EmailField()
    giver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # True when this request created `giver` as a contact row (inactive, no password): a later sign-up with
    # the address is the giver's own, not a new person (see docs/thank-you-list.md).
    giver_contact_created = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registry", "giver_email"], name="one_address_request_per_giver"),
        ]

    def __str__(self) -> str:
        return f"address request to {self.giver_email} for registry {self.registry_id}"


class EnteredAddress(models.Model):
    """A mailing address a member typed in for a giver who shared none (they know it from elsewhere).

    Kept apart from `Gift.giver_address`, which only ever holds what the giver shared themselves, so the
    list, the exports and the labels can always say which is which. One per giver (`selectors.giver_key`:
    one person, one note) per registry; editable and clearable by any member. An address the giver shares
    later takes precedence (docs/thank-you-list.md, "Addresses typed in by a registrant").
    """

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="entered_addresses")
    giver_key = models.CharField(max_length=300)
    address = models.TextField(max_length=600)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registry", "giver_key"], name="one_entered_address_per_giver"),
        ]

    def __str__(self) -> str:
        return f"address entered for {self.giver_key} on registry {self.registry_id}"
