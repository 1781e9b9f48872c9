"""What an operator sees before approving: the message as a sample of its audience gets it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from gratitude.notifications.outbox.kinds import kind_named
from gratitude.operations.audience import (
    Breakdown,
    audience_breakdown,
    audience_users,
)
from gratitude.operations.models import (
    Campaign,
    CampaignRecipient,
)

if TYPE_CHECKING:
    from gratitude.notifications.rendering.messages import RenderedMessage
from gratitude.operations.selectors import (
    _kind_category,
    campaign_audience,
    campaign_fingerprint,
    campaign_occasions,
)


def _labels(occasions: Iterable[str]) -> str:
    from gratitude.notifications.sending.occasion_opt_outs import OPT_OUT_OCCASIONS

    return ", ".join(OPT_OUT_OCCASIONS.get(slug, slug) for slug in occasions)


@dataclass(frozen=True)
class Preview:
    # The declaration in words, and every occasion whose opt-outs leave people out (with the audience's).
    speaks_of: str
    left_out_for: str
    breakdown: Breakdown
    sample_recipients: list[str]
    rendered: RenderedMessage | None
    sample_to: str
    fingerprint: str


SAMPLE_SIZE = 10


def campaign_preview(*, campaign: Campaign) -> Preview:
    """What the audience is (count, breakdown, a sample of people) and what one of them would read. The
    sample message is written through the real outbox writer and rendered inside a transaction that is
    rolled back, so nothing of it stays."""
    from gratitude.notifications.rendering.messages import render
    from gratitude.operations.notifications import operator_messages_enqueue

    definition = campaign_audience(campaign)
    category = _kind_category(campaign.kind)
    occasions = campaign_occasions(campaign)
    breakdown = audience_breakdown(definition, category=category, speaks_of=occasions)
    if campaign.frozen_count is not None:
        people = list(campaign.recipients.order_by("?").values_list("user_id", "email")[:SAMPLE_SIZE])
    else:
        people = list(
            audience_users(definition, category=category, speaks_of=occasions)
            .order_by("?")
            .values_list("pk", "email")[:SAMPLE_SIZE]
        )
    rendered = None
    sample_to = ""
    if people:
        user_id, sample_to = people[0]
        declared = kind_named(campaign.kind)
        assert declared is not None
        with transaction.atomic():
            try:
                sample = Campaign.objects.get(pk=campaign.pk)
                recipient = CampaignRecipient.objects.filter(campaign=sample, user_id=user_id).first()
                if recipient is None:
                    recipient = CampaignRecipient.objects.create(
                        campaign=sample, user_id=user_id, email=sample_to
                    )
                rows = operator_messages_enqueue(
                    campaign=sample, recipients=[recipient], first_due_at=timezone.now()
                )
                rendered = render(rows, declared)
            finally:
                transaction.set_rollback(True)
    return Preview(
        speaks_of=campaign.speaks_of_display,
        left_out_for=_labels(occasions),
        breakdown=breakdown,
        sample_recipients=[email for _, email in people],
        rendered=rendered,
        sample_to=sample_to,
        fingerprint=campaign_fingerprint(campaign) if campaign.frozen_count is not None else "",
    )
