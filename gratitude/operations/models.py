"""What operators control and see: send switches (halts and tripped breakers), alerts, the audit log,
campaigns with their frozen audiences, and recalls of past sends (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

# The send switches and the alerts a breaker raises are the sending path's own
# (notifications/sending/controls.py); re-exported here, where the console, the commands and the admin use
# them.
from gratitude.notifications.sending.controls import ALL_KINDS as ALL_KINDS
from gratitude.notifications.sending.controls import OperatorAlert as OperatorAlert
from gratitude.notifications.sending.controls import SendControl as SendControl


class AppendOnlyError(Exception):
    """Something tried to change or remove an audit entry."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """The audit log only grows: bulk updates and deletes are refused like single ones."""

    def update(self, **kwargs: object) -> int:
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """Append-only record of every operator action: who, when, what, why.

    Nothing in the application changes or removes an entry: `save` refuses an update, `delete` refuses,
    and so do the queryset's bulk forms. (Someone with the database itself can; that is outside the app.)
    """

    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries cannot be deleted")


class CampaignKind(models.TextChoices):
    """The operator-written kinds (declared in operations/notifications.py); never an event-backed one."""

    CAMPAIGN = "campaign", "Campaign"
    CORRECTION = "correction", "Correction"


class CampaignState(models.TextChoices):
    DRAFT = "draft", "Draft: being written"
    FROZEN = "frozen", "Audience frozen: waiting for a second operator's approval"
    APPROVED = "approved", "Approved: ready to start"
    CANARY = "canary", "Canary: the first slice is out, waiting to see how it lands"
    SENDING = "sending", "Sending the rest at the capped rate"
    HALTED = "halted", "Stopped by a check (drift, canary, approval)"
    CANCELLED = "cancelled", "Cancelled by an operator"
    DONE = "done", "Done"


class Campaign(models.Model):
    """An operator-written message to a declared audience (or, for a correction, to exactly the recipients
    of a recall), sent under the two-person rule and a canary. Services in campaigns.py change it."""

    kind = models.CharField(max_length=20, choices=CampaignKind.choices)
    title = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=10_000)
    # The declared filter (audience.py), as JSON; for a correction {"recall": <id>}.
    audience = models.JSONField(default=dict)
    # What its text speaks of, as its author declared it: a sorted list of occasion slugs
    # (notifications/sending/occasion_opt_outs.py, OPT_OUT_OCCASIONS); [] is "speaks of no occasion", a choice
    # like any other. None only on a campaign older than the declaration, which must be declared before it is
    # frozen. A correction inherits what the messages it corrects spoke of. Part of what an approval is bound
    # to.
    speaks_of = models.JSONField(null=True, blank=True, default=None)
    recall = models.ForeignKey(
        "Recall", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    # Bumped on every edit: part of the template version the approval is bound to.
    version = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=12, choices=CampaignState.choices, default=CampaignState.DRAFT)
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # Whoever last wrote the content: the one person who may not approve it.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_count = models.PositiveIntegerField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # sha256 of template version + audience definition + frozen count, as the approver saw them.
    approval_hash = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    canary_size = models.PositiveIntegerField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    recipients: models.Manager[CampaignRecipient]

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}: {self.title}"

    @property
    def speaks_of_display(self) -> str:
        """The declaration in words, as the console shows it."""
        from gratitude.notifications.sending.occasion_opt_outs import OPT_OUT_OCCASIONS

        if self.speaks_of is None:
            return "not declared yet"
        return ", ".join(OPT_OUT_OCCASIONS.get(slug, slug) for slug in self.speaks_of) or "no occasion"


class CampaignRecipient(models.Model):
    """One row of a frozen audience, and the outbox row written for it once its slice goes out.

    The link lives here, not on the outbox: the outbox row's idempotency key also names the campaign
    (`campaign:campaign:<id>:user:<id>`), which is what the send-time provenance check reads.
    """

    class Slice(models.TextChoices):
        UNSENT = "", "Not yet"
        CANARY = "canary", "Canary"
        REST = "rest", "Rest"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    slice = models.CharField(max_length=8, choices=Slice.choices, default=Slice.UNSENT, blank=True)
    notification = models.OneToOneField(
        "notifications.Notification",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_recipient",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "user"], name="one_frozen_row_per_person")]
        indexes = [models.Index(fields=["campaign", "slice"], name="campaign_slice")]

    def __str__(self) -> str:
        return f"{self.email} in campaign {self.campaign_id}"


class Recall(models.Model):
    """A past send looked up: every message of one kind sent in a time window (or of one campaign),
    snapshotted from the outbox so the list, its export and the correction stay exactly the same."""

    kind = models.CharField(max_length=40)
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="recalls"
    )
    reason = models.TextField(blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    message_count = models.PositiveIntegerField(default=0)
    recipient_count = models.PositiveIntegerField(default=0)

    messages: models.Manager[RecalledMessage]

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"recall {self.pk}: {self.kind}"


class RecalledMessage(models.Model):
    """One sent outbox row, as recorded when it went out."""

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="messages")
    notification = models.ForeignKey(
        "notifications.Notification", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_to = models.EmailField()
    sent_at = models.DateTimeField()
    reference = models.CharField(max_length=10)
    message_id = models.CharField(max_length=300)
    subject = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        indexes = [models.Index(fields=["recall", "recipient"], name="recalled_recipient")]

    def __str__(self) -> str:
        return f"{self.reference} to {self.sent_to}"
