"""What the operator-written kinds (`campaign`, `correction`) need from the operations domain: who may receive
a row at send time, and what it says. Declared in gratitude/notifications/kinds.py (Saleor's layout).

Provenance is the last word on a campaign row: it re-reads the row's campaign from the idempotency key
(`<kind>:campaign:<id>:user:<id>`), checks the recipient is in its frozen audience with this very outbox
row, and that the approval still matches the campaign as it is now. Anything else is a breach: the row was
not written by campaigns.py, so the kind's breaker trips. See docs/operations.md, "Campaigns".
"""

from __future__ import annotations

import re
from typing import Any

from gratitude.core.untrusted_text import defang, single_line
from gratitude.notifications.models import Notification
from gratitude.notifications.refusals import Refusal

_KEY = re.compile(r"^(campaign|correction):campaign:(\d+):user:(\d+)$")
# How many recalled messages a correction names to one recipient (the rest are in their notification centre).
RECALLED_SHOWN = 5


def operator_message_key(*, kind: str, campaign_id: int, user_id: int) -> str:
    return f"{kind}:campaign:{campaign_id}:user:{user_id}"


def _campaign_for(row: Notification) -> Any:
    from gratitude.operations.models import Campaign

    match = _KEY.match(row.idempotency_key)
    if match is None or match.group(1) != row.kind or int(match.group(3)) != row.recipient_id:
        return None
    return Campaign.objects.filter(pk=int(match.group(2)), kind=row.kind).first()


def operator_message_provenance(row: Notification) -> Refusal | None:
    """The row belongs to a started, approved campaign whose frozen audience holds this recipient with this
    row; the approval still matches the campaign; the recipient may get mail now."""
    from gratitude.operations.campaigns import campaign_fingerprint
    from gratitude.operations.models import CampaignKind, CampaignRecipient, CampaignState
    from gratitude.registries.models import RegistryMember

    if row.gift_id is not None or row.registry_id is not None:
        return Refusal("unexpected_trigger", breach=True)
    campaign = _campaign_for(row)
    if campaign is None:
        return Refusal("no_campaign", breach=True)
    if not CampaignRecipient.objects.filter(
        campaign=campaign, user_id=row.recipient_id, notification_id=row.pk
    ).exists():
        return Refusal("not_in_audience", breach=True)
    if campaign.state == CampaignState.CANCELLED:
        return Refusal("campaign_cancelled")
    if campaign.state not in (CampaignState.CANARY, CampaignState.SENDING, CampaignState.DONE):
        return Refusal("campaign_not_sending")
    if (
        campaign.approved_by_id is None
        or campaign.approved_by_id == campaign.author_id
        or campaign.approval_hash != campaign_fingerprint(campaign)
    ):
        # Changed after approval, or never approved by a second person: not what anyone agreed to send.
        return Refusal("approval_void", breach=True)
    recipient = row.recipient
    if not recipient.is_active:
        return Refusal("recipient_inactive")
    if recipient.quiet_since is not None:
        return Refusal("quiet_mode")
    if campaign.kind == CampaignKind.CAMPAIGN and not recipient.email_verified:
        return Refusal("email_unverified")
    if RegistryMember.objects.filter(user_id=recipient.pk, registry__paused_at__isnull=False).exists():
        return Refusal("paused_registry")
    return None


def operator_message_recipients_per_trigger(row: Notification) -> int:
    # Each row is its own trigger; the campaign's size is bounded by its frozen, approved count.
    return 1


def _paragraphs(text: str) -> list[str]:
    return [" ".join(part.split()) for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]


def campaign_context(rows: list[Notification]) -> dict[str, Any]:
    campaign = _campaign_for(rows[0])
    assert campaign is not None  # provenance has checked the row before rendering
    return {"subject": campaign.subject, "paragraphs": _paragraphs(campaign.body)}


def correction_context(rows: list[Notification]) -> dict[str, Any]:
    from gratitude.operations.models import RecalledMessage

    campaign = _campaign_for(rows[0])
    assert campaign is not None  # provenance has checked the row before rendering
    recalled = [
        # A past Subject may hold words a giver typed before Subjects were ours alone (docs/safety.md
        # promise 16): quoted here inert and on one line.
        {**message, "subject": single_line(defang(message["subject"]))}
        for message in RecalledMessage.objects.filter(
            recall_id=campaign.recall_id, recipient_id=rows[0].recipient_id
        )
        .order_by("sent_at", "pk")
        .values("sent_at", "subject", "reference")[:RECALLED_SHOWN]
    ]
    return {"subject": campaign.subject, "paragraphs": _paragraphs(campaign.body), "recalled": recalled}


def sample_rows(kind: str) -> list[Notification]:
    """A sample campaign or correction to one sample person, for notifications/samples.py (which rolls it
    back). It skips the audience and the approval on purpose: a preview renders, it never sends."""
    from django.utils import timezone

    from gratitude.notifications.samples import sample_person
    from gratitude.notifications.services import notification_enqueue_operator_messages
    from gratitude.operations.campaigns import campaign_fingerprint
    from gratitude.operations.models import Campaign, CampaignRecipient, Recall, RecalledMessage

    reader = sample_person("alex.rivera", "Alex Rivera")
    author = sample_person("operator.one", "Operator One")
    recall = None
    if kind == "correction":
        recall = Recall.objects.create(kind="gift_alert", created_by="sample")
        RecalledMessage.objects.create(
            recall=recall,
            recipient=reader,
            sent_to=reader.email,
            sent_at=timezone.now(),
            reference="7KQ2M9XW3D",
            message_id="<sample.7KQ2M9XW3D@gratitude.example>",
            subject="Someone gave a gift from your registry",
        )
        subject, body = (
            "A correction to our earlier email",
            "We sent you an email about a gift by mistake: nobody gave a gift, and nothing needs doing.\n\n"
            "We are sorry for the confusion.",
        )
    else:
        subject, body = (
            "Gratitude now keeps a printable Thank You List",
            "You can now print your Thank You List, with every giver and the note you wrote.\n\n"
            "Nothing changes for your registries.",
        )
    campaign = Campaign.objects.create(
        kind=kind,
        title="Sample",
        subject=subject,
        body=body,
        audience={"recall": recall.pk} if recall else {"scope": "everyone"},
        speaks_of=[],
        recall=recall,
        created_by="sample",
        author=author,
        state="canary",
        frozen_count=1,
    )
    campaign.approval_hash = campaign_fingerprint(campaign)
    campaign.save(update_fields=["approval_hash"])
    recipient = CampaignRecipient.objects.create(campaign=campaign, user=reader, email=reader.email)
    rows = notification_enqueue_operator_messages(
        campaign=campaign, recipients=[recipient], first_due_at=timezone.now()
    )
    CampaignRecipient.objects.filter(pk=recipient.pk).update(notification=rows[0])
    return rows
