"""The canary: the first slice of the audience is written, checked after a wait, and only then the rest,
paced."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from gratitude.notifications.models import FINAL_STATES, Notification
from gratitude.operations import conf
from gratitude.operations.campaigns.shared import WRITE_BATCH, _approval_holds, _halt, _target
from gratitude.operations.models import (
    Campaign,
    CampaignRecipient,
    CampaignState,
)
from gratitude.operations.selectors import audience_drift, canary_report
from gratitude.operations.services import audit_record

# How often a waiting canary looks again, at the least.
RECHECK = timedelta(seconds=30)


def _write_slice(
    campaign: Campaign, recipients: QuerySet[CampaignRecipient], *, first_due_at: datetime, spacing: float
) -> int:
    from gratitude.operations.notifications import operator_messages_enqueue

    written = 0
    pending = list(recipients.filter(notification__isnull=True).order_by("pk"))
    for start in range(0, len(pending), WRITE_BATCH):
        chunk = pending[start : start + WRITE_BATCH]
        rows = operator_messages_enqueue(
            campaign=campaign,
            recipients=chunk,
            first_due_at=first_due_at + timedelta(seconds=(written * spacing)),
            spacing_seconds=spacing,
        )
        for recipient, row in zip(chunk, rows, strict=True):
            recipient.notification = row
        CampaignRecipient.objects.bulk_update(chunk, ["notification"], batch_size=WRITE_BATCH)
        written += len(chunk)
    return written


def _schedule_advance(campaign: Campaign, *, at: datetime) -> None:
    from gratitude.operations.tasks import advance_campaign

    advance_campaign.using(run_after=at).enqueue(campaign_id=campaign.pk)


def campaign_advance(*, campaign_id: int) -> str:
    """The canary's next step, run by the `advance_campaign` task (and safe to run any time): wait while
    canary messages are out or the wait has not passed; then stop on bad signals or drift, or release the
    rest at the capped rate; mark the campaign done when every message is settled. Returns what it did."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            return "no such campaign"
        if campaign.state == CampaignState.CANARY:
            return _advance_canary(campaign)
        if campaign.state == CampaignState.SENDING:
            unsettled = Notification.objects.filter(campaign_recipient__campaign=campaign).exclude(
                state__in=FINAL_STATES
            )
            if unsettled.exists():
                _schedule_advance(campaign, at=timezone.now() + RECHECK * 2)
                return "sending"
            campaign.state = CampaignState.DONE
            campaign.finished_at = timezone.now()
            campaign.save(update_fields=["state", "finished_at"])
            audit_record(actor="check:canary", action=f"{campaign.kind}.done", target=_target(campaign))
            return "done"
        return f"nothing to do ({campaign.state})"


def _advance_canary(campaign: Campaign) -> str:
    now = timezone.now()
    report = canary_report(campaign)
    if report.pending:
        _schedule_advance(campaign, at=now + RECHECK)
        return f"canary: {report.pending} still on their way"
    wait_until = (report.last_settled_at or now) + timedelta(seconds=conf.canary_wait_seconds())
    if now < wait_until:
        _schedule_advance(campaign, at=min(wait_until, now + RECHECK * 20))
        return "canary: waiting"
    excess = report.excess()
    if excess is not None:
        _halt(campaign, reason=excess, actor="check:canary")
        return excess
    if not _approval_holds(campaign):
        _halt(campaign, reason="the approval no longer matches the campaign", actor="check:approval")
        return "approval void"
    drift = audience_drift(campaign)
    if drift.share > conf.max_drift():
        _halt(campaign, reason=str(drift), actor="check:drift")
        return str(drift)
    rest = campaign.recipients.filter(notification__isnull=True)
    rest.update(slice=CampaignRecipient.Slice.REST)
    written = _write_slice(campaign, rest, first_due_at=now, spacing=3600 / conf.rate_per_hour())
    campaign.state = CampaignState.SENDING
    campaign.released_at = now
    campaign.save(update_fields=["state", "released_at"])
    audit_record(
        actor="check:canary",
        action=f"{campaign.kind}.release",
        target=_target(campaign),
        reason=(
            f"canary passed ({report.sent} sent, {report.bounces} bounces, {report.complaints} "
            f"complaints, {report.unsubscribes} unsubscribes); {written} more at {conf.rate_per_hour():.0f}/h"
        ),
    )
    _schedule_advance(campaign, at=now + timedelta(seconds=written * 3600 / conf.rate_per_hour()) + RECHECK)
    return f"released {written}"
