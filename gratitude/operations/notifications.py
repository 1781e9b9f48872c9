"""The operator-written kinds (`campaign`, `correction`): who may receive a row at send time, what it says,
their one outbox write and their preview samples.

Provenance is the last word on a campaign row: it re-reads the row's campaign from its trigger columns
(`trigger_type="campaign"`, `trigger_id`), checks the recipient is in its frozen audience with this very
outbox row, and that the approval still matches the campaign as it is now. Anything else is a breach: the
row was not written by campaigns.py, so the kind's breaker trips. See docs/operations.md, "Campaigns".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gratitude.core.untrusted_text import defang, single_line
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import Category, Kind, Pacing, kind_named, register
from gratitude.notifications.outbox.refusals import Refusal
from gratitude.notifications.outbox.writes import Trigger, outbox_write

if TYPE_CHECKING:
    from gratitude.operations.models import Campaign, CampaignRecipient
# How many recalled messages a correction names to one recipient (the rest are in their notification centre).
RECALLED_SHOWN = 5


def operator_message_key(*, kind: str, campaign_id: int, user_id: int) -> str:
    """The row's idempotency key (opaque: nothing reads it back; the trigger columns name the campaign)."""
    return f"{kind}:campaign:{campaign_id}:user:{user_id}"


def _campaign_for(row: Notification) -> Any:
    from gratitude.operations.models import Campaign

    if row.trigger_type != "campaign" or row.trigger_id is None:
        return None
    return Campaign.objects.filter(pk=row.trigger_id, kind=row.kind).first()


def operator_message_provenance(row: Notification) -> Refusal | None:
    """The row belongs to a started, approved campaign whose frozen audience holds this recipient with this
    row; the approval still matches the campaign; the recipient may get mail now."""
    from gratitude.operations.models import CampaignKind, CampaignRecipient, CampaignState
    from gratitude.operations.selectors import campaign_fingerprint
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
    """A sample campaign or correction to one sample person, for notifications/devtools/samples.py (which
    rolls it back). It skips the audience and the approval on purpose: a preview renders, it never sends."""
    from django.utils import timezone

    from gratitude.accounts.notifications import sample_person
    from gratitude.operations.models import Campaign, CampaignRecipient, Recall, RecalledMessage
    from gratitude.operations.selectors import campaign_fingerprint

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
    rows = operator_messages_enqueue(campaign=campaign, recipients=[recipient], first_due_at=timezone.now())
    CampaignRecipient.objects.filter(pk=recipient.pk).update(notification=rows[0])
    return rows


# --- The outbox write (only campaigns.py calls it, after approval and a canary) -------------------------

# Written by operators, through operations/campaigns/ only (docs/operations.md).
OPERATOR_MESSAGE_KINDS = frozenset({"campaign", "correction"})


def operator_messages_enqueue(
    *,
    campaign: Campaign,
    recipients: Sequence[CampaignRecipient],
    first_due_at: datetime,
    spacing_seconds: float = 0.0,
) -> list[Notification]:
    """One campaign or correction message per recipient of a slice of the campaign's frozen audience, due
    `spacing_seconds` apart (the campaign's rate cap). The bulk path exists for operator-written kinds only:
    any event-backed kind is refused loudly (docs/safety.md promise 2)."""
    declared = kind_named(campaign.kind)
    if declared is None or declared.event_backed or campaign.kind not in OPERATOR_MESSAGE_KINDS:
        raise ValueError(
            f"{campaign.kind!r} is not an operator-written kind: event mail has no bulk path "
            "(docs/safety.md promise 2)"
        )
    rows = []
    for position, recipient in enumerate(recipients):
        if recipient.campaign_id != campaign.pk:
            raise ValueError(f"recipient {recipient.pk} belongs to another campaign's audience")
        rows += outbox_write(
            kind=campaign.kind,
            trigger=Trigger(type="campaign", id=campaign.pk),
            recipients=[recipient.user_id],
            key=lambda user_id: operator_message_key(
                kind=campaign.kind, campaign_id=campaign.pk, user_id=user_id
            ),
            due_at=first_due_at + timedelta(seconds=position * spacing_seconds),
            # No task per row: the sweep claims a slice in batches of 100 on one SMTP connection,
            # where a task each would cost a claim and a connection per message.
            wake=False,
        )
    return rows


# --- The kinds ------------------------------------------------------------------------------------------


def _sample(kind: str) -> Callable[[], list[Notification]]:
    return lambda: sample_rows(kind)


# Operator-written kinds (docs/operations.md, "Campaigns"): written only by operations/campaigns/ through
# operator_messages_enqueue, after a second operator's approval and a canary. Never event-backed, and no
# event-backed kind's template can be used by them.
CAMPAIGN = register(
    Kind(
        name="campaign",
        category=Category.MARKETING,
        trigger="campaign",
        provenance=operator_message_provenance,
        recipients_per_trigger=operator_message_recipients_per_trigger,
        template="campaign",
        context=campaign_context,
        event_backed=False,
        label="news from this site",
        sample=_sample("campaign"),
        # What its campaign speaks of: the author's declaration and its audience's occasions (occasions.py).
        occasions=("campaign",),
        pacing=Pacing(respects_quiet_hours=True),
    )
)
# A correction to exactly the recipients of a recalled send. Not held for quiet hours: the sooner it lands,
# the fewer people act on the message it corrects.
CORRECTION = register(
    Kind(
        name="correction",
        category=Category.EVENT,
        trigger="campaign",
        provenance=operator_message_provenance,
        recipients_per_trigger=operator_message_recipients_per_trigger,
        template="correction",
        context=correction_context,
        event_backed=False,
        label="a correction to an earlier message",
        sample=_sample("correction"),
        # What the messages it corrects spoke of, inherited by its campaign (occasions.py).
        occasions=("campaign",),
    )
)
