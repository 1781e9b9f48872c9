"""Recall: for a past send (one kind in a time window, or one campaign), exactly who received which message,
snapshotted from the outbox records, exportable, with a draft correction to exactly those people
(docs/safety.md promise 15). See docs/operations.md, "Recall and correct"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet

from gratitude.core.errors import GratitudeError
from gratitude.notifications.models import Notification, NotificationState
from gratitude.operations.campaigns.lifecycle import correction_draft
from gratitude.operations.models import Campaign, Recall, RecalledMessage
from gratitude.operations.services import audit_record

if TYPE_CHECKING:
    from gratitude.accounts.models import User

SNAPSHOT_BATCH = 1000


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else ""


def sent_in(*, kind: str, since: datetime, until: datetime) -> QuerySet[Notification]:
    """Every outbox row of `kind` sent in [since, until): the only record of what went out."""
    return Notification.objects.filter(
        kind=kind, state=NotificationState.SENT, sent_at__gte=since, sent_at__lt=until
    )


def sent_for_campaign(campaign: Campaign) -> QuerySet[Notification]:
    return Notification.objects.filter(
        kind=campaign.kind, state=NotificationState.SENT, trigger_type="campaign", trigger_id=campaign.pk
    )


def recall_create(
    *,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    campaign: Campaign | None = None,
    actor: str,
    user: User | None = None,
    reason: str = "",
) -> Recall:
    """Snapshot every message sent of `kind` in [since, until), or of `campaign`, and prepare a draft
    correction to exactly their recipients (none when nothing was sent)."""
    from gratitude.notifications.outbox.kinds import KINDS

    if campaign is not None:
        if kind is not None or since is not None or until is not None:
            raise GratitudeError("recall either a campaign, or a kind in a time window, not both")
        rows = sent_for_campaign(campaign)
        kind = campaign.kind
    else:
        if kind is None or kind not in KINDS:
            raise GratitudeError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
        if since is None or until is None:
            raise GratitudeError("a recall needs both --since and --until")
        if since.tzinfo is None or until.tzinfo is None:
            raise GratitudeError("times must carry their time zone (e.g. 2017-09-19T10:00:00Z)")
        if since >= until:
            raise GratitudeError("--since must be before --until")
        rows = sent_in(kind=kind, since=since, until=until)
    with transaction.atomic():
        recall = Recall.objects.create(
            kind=kind, since=since, until=until, campaign=campaign, reason=reason.strip(), created_by=actor
        )
        batch: list[RecalledMessage] = []
        values = rows.order_by("sent_at", "pk").values_list(
            "pk", "recipient_id", "sent_to", "sent_at", "reference", "message_id", "subject"
        )
        for pk, recipient_id, sent_to, sent_at, reference, message_id, subject in values.iterator(
            chunk_size=SNAPSHOT_BATCH
        ):
            assert sent_at is not None  # every sent row records when
            batch.append(
                RecalledMessage(
                    recall=recall,
                    notification_id=pk,
                    recipient_id=recipient_id,
                    sent_to=sent_to,
                    sent_at=sent_at,
                    reference=reference,
                    message_id=message_id,
                    subject=subject,
                )
            )
            if len(batch) >= SNAPSHOT_BATCH:
                RecalledMessage.objects.bulk_create(batch)
                batch = []
        RecalledMessage.objects.bulk_create(batch)
        recall.message_count = recall.messages.count()
        recall.recipient_count = recall.messages.values("recipient_id").distinct().count()
        recall.save(update_fields=["message_count", "recipient_count"])
        scope = f"campaign {campaign.pk}" if campaign is not None else f"{kind} {iso(since)} to {iso(until)}"
        audit_record(
            actor=actor,
            action="recall.create",
            target=f"recall:{recall.pk}",
            reason=f"{scope}: {recall.message_count} messages to {recall.recipient_count} people. {reason}",
            user=user,
        )
        if recall.message_count:
            correction_draft(recall=recall, actor=actor, user=user)
    return recall


def recall_export_record(*, recall: Recall, actor: str, user: User | None = None) -> None:
    """A list of people and addresses left the system: that is worth an audit entry of its own."""
    audit_record(
        actor=actor,
        action="recall.export",
        target=f"recall:{recall.pk}",
        reason=f"{recall.message_count} messages",
        user=user,
    )
