"""What the campaign writers share: the row lock, the audit target, halting, and whether an approval still
holds."""

from __future__ import annotations

import logging

from gratitude.operations.models import (
    Campaign,
    CampaignState,
    OperatorAlert,
)
from gratitude.operations.selectors import campaign_fingerprint
from gratitude.operations.services import audit_record

logger = logging.getLogger("gratitude.operations")


WRITE_BATCH = 1000


def _target(campaign: Campaign) -> str:
    return f"{campaign.kind}:{campaign.pk}"


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _halt(campaign: Campaign, *, reason: str, actor: str) -> None:
    """Stop a campaign because a check failed; an operator decides what next (cancel, or edit and redo)."""
    campaign.state = CampaignState.HALTED
    campaign.reason = reason[:500]
    campaign.save(update_fields=["state", "reason"])
    OperatorAlert.objects.create(kind=campaign.kind, message=f"{campaign} halted: {reason}")
    audit_record(actor=actor, action=f"{campaign.kind}.halt", target=_target(campaign), reason=reason)
    logger.error("%s halted: %s", campaign, reason)


def _approval_holds(campaign: Campaign) -> bool:
    return (
        campaign.approved_by_id is not None
        and campaign.approved_by_id != campaign.author_id
        and campaign.approval_hash == campaign_fingerprint(campaign)
    )
