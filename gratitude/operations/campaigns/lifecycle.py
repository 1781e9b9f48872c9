"""A campaign's writes from draft to done: create, edit, freeze, approve (two people), start, cancel; a
correction drafted from a recall."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from gratitude.core.errors import GratitudeError
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import kind_named
from gratitude.notifications.rendering.bait_checks import TEXT_URL
from gratitude.operations import conf
from gratitude.operations.audience import (
    audience_from_json,
    audience_users,
)
from gratitude.operations.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignState,
    Recall,
)
from gratitude.operations.services import actor_for, audit_record, require_staff

if TYPE_CHECKING:
    from gratitude.accounts.models import User
from gratitude.operations.campaigns.canary import _schedule_advance, _write_slice
from gratitude.operations.campaigns.shared import WRITE_BATCH, _approval_holds, _halt, _locked, _target
from gratitude.operations.selectors import (
    _declared,
    _kind_category,
    audience_drift,
    campaign_audience,
    campaign_editable,
    campaign_fingerprint,
    campaign_occasions,
    recalled_occasions,
)

# Wording a phishing mail uses; an operator's text may not (docs/safety.md promise 13: no bait).
BAIT_WORDING = re.compile(
    r"\b(log ?in|log-in|sign ?in|sign-in|login|username|password|verify your account)\b", re.I
)


def _check_text(*, title: str, subject: str, body: str) -> None:
    if not title.strip() or not subject.strip() or not body.strip():
        raise GratitudeError("a campaign needs a title, a subject and a text")
    if len(subject) > 200:
        raise GratitudeError("the subject is longer than 200 characters")
    for part in (subject, body):
        if TEXT_URL.search(part):
            raise GratitudeError(
                "campaign text may not contain links: every message already links to the notification centre"
            )
        bait = BAIT_WORDING.search(part)
        if bait:
            raise GratitudeError(
                f"campaign text may not speak of {bait.group(0)!r}: that is what phishing says"
            )


def _check_kind(kind: str) -> None:
    declared = kind_named(kind)
    if declared is not None and declared.event_backed:
        raise GratitudeError(
            f"a campaign cannot use the {kind} template: event mail is sent only by its event "
            "(docs/safety.md promise 2)"
        )
    if kind not in CampaignKind.values or declared is None:
        raise GratitudeError(f"unknown campaign kind {kind!r}; one of: {', '.join(CampaignKind.values)}")


def campaign_create(
    *,
    by: User,
    kind: str = CampaignKind.CAMPAIGN,
    title: str,
    subject: str,
    body: str,
    audience: dict[str, Any],
    speaks_of: Sequence[str] | None = None,
    recall: Recall | None = None,
) -> Campaign:
    """A draft written by `by`, who becomes its author (and so cannot approve it).

    `speaks_of` is the author's declaration of the occasions its text speaks of: a list of slugs, or an
    empty list for "speaks of no occasion". Leaving it out is refused for a campaign: nobody may send one
    without having said what it is about. A correction inherits it from the recall (`recalled_occasions`)."""
    require_staff(by)
    _check_kind(kind)
    _check_text(title=title, subject=subject, body=body)
    definition = audience_from_json(audience)
    if (kind == CampaignKind.CORRECTION) != (recall is not None) or (
        recall is not None and definition.to_json() != {"recall": recall.pk}
    ):
        raise GratitudeError(
            "a correction goes to exactly one recall's recipients, and only a correction does"
        )
    if recall is not None:
        declared = _inherited(recall, speaks_of)
    elif speaks_of is None:
        raise GratitudeError(UNDECLARED)
    else:
        declared = _declared(speaks_of)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            kind=kind,
            title=title.strip(),
            subject=subject.strip(),
            body=body.strip(),
            audience=definition.to_json(),
            speaks_of=declared,
            recall=recall,
            created_by=actor_for(by),
            author=by,
        )
        audit_record(
            actor=actor_for(by), action=f"{kind}.create", target=_target(campaign), reason=title, user=by
        )
    return campaign


def correction_draft(*, recall: Recall, actor: str, user: User | None = None) -> Campaign:
    """The draft correction a recall prepares. It has no author yet: a staff member writes its text (and so
    becomes its author) before anyone can approve it."""
    first = recall.messages.order_by("sent_at", "pk").first()
    about = f"“{first.subject}”" if first is not None and first.subject else "an earlier email"
    campaign = Campaign.objects.create(
        kind=CampaignKind.CORRECTION,
        title=f"Correction for recall {recall.pk}",
        subject=f"A correction to our email {about}"[:200],
        body="Write here what was wrong, and what the recipient should know now.",
        audience={"recall": recall.pk},
        speaks_of=recalled_occasions(recall),
        recall=recall,
        created_by=actor,
        author=None,
    )
    audit_record(
        actor=actor,
        action="correction.create",
        target=_target(campaign),
        reason=f"recall {recall.pk}",
        user=user,
    )
    return campaign


UNDECLARED = (
    "say what this campaign speaks of: the occasions its text mentions, or “no occasion” "
    "(people who opted out of an occasion it speaks of never get it)"
)


def _inherited(recall: Recall, speaks_of: Sequence[str] | None) -> list[str]:
    """A correction's declaration: what the recalled messages spoke of. Restating it is fine; changing
    it is refused, so a correction can never be declared to speak of less than what it corrects."""
    inherited = recalled_occasions(recall)
    if speaks_of is not None and _declared(speaks_of) != inherited:
        said = ", ".join(inherited) or "no occasion"
        raise GratitudeError(
            f"a correction speaks of what the messages it corrects spoke of ({said}); it cannot change"
        )
    return inherited


def campaign_edit(
    *,
    campaign: Campaign,
    by: User,
    title: str,
    subject: str,
    body: str,
    audience: dict[str, Any],
    speaks_of: Sequence[str] | None = None,
) -> Campaign:
    """Change the text, the audience or what it speaks of (`speaks_of`; None keeps the declaration as it
    is). Voids any freeze and approval: back to draft, `by` is the author."""
    require_staff(by)
    _check_text(title=title, subject=subject, body=body)
    definition = audience_from_json(audience)
    with transaction.atomic():
        campaign = _locked(campaign)
        if not campaign_editable(campaign):
            raise GratitudeError(f"a {campaign.get_state_display().lower()} campaign cannot be edited")
        if campaign.kind == CampaignKind.CORRECTION:
            if definition.to_json() != campaign.audience:
                raise GratitudeError("a correction's audience is its recall's recipients; it cannot change")
            assert campaign.recall is not None  # a correction always has its recall
            declared: list[str] | None = _inherited(campaign.recall, speaks_of)
        else:
            declared = campaign.speaks_of if speaks_of is None else _declared(speaks_of)
        voided = campaign.state == CampaignState.APPROVED
        campaign.recipients.all().delete()
        campaign.title, campaign.subject, campaign.body = title.strip(), subject.strip(), body.strip()
        campaign.audience = definition.to_json()
        campaign.speaks_of = declared
        campaign.version += 1
        campaign.author = by
        _to_draft(campaign)
        campaign.save()
        audit_record(
            actor=actor_for(by),
            action=f"{campaign.kind}.edit",
            target=_target(campaign),
            reason=f"version {campaign.version}" + ("; approval voided" if voided else ""),
            user=by,
        )
    return campaign


def _to_draft(campaign: Campaign) -> None:
    campaign.state = CampaignState.DRAFT
    campaign.reason = ""
    campaign.frozen_at = campaign.frozen_count = None
    campaign.approved_by = campaign.approved_at = None
    campaign.approval_hash = ""


def campaign_freeze(*, campaign: Campaign, by: User) -> Campaign:
    """Snapshot the audience as it is now: these people, and only these, can receive it."""
    require_staff(by)
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.state != CampaignState.DRAFT:
            raise GratitudeError("only a draft can be frozen")
        if campaign.speaks_of is None:
            raise GratitudeError(f"edit it first: {UNDECLARED}")
        people = audience_users(
            campaign_audience(campaign),
            category=_kind_category(campaign.kind),
            speaks_of=campaign_occasions(campaign),
        )
        batch: list[CampaignRecipient] = []
        frozen = 0
        for user_id, email in (
            people.order_by("pk").values_list("pk", "email").iterator(chunk_size=WRITE_BATCH)
        ):
            batch.append(CampaignRecipient(campaign=campaign, user_id=user_id, email=email))
            if len(batch) >= WRITE_BATCH:
                frozen += len(CampaignRecipient.objects.bulk_create(batch))
                batch = []
        frozen += len(CampaignRecipient.objects.bulk_create(batch))
        if frozen == 0:
            raise GratitudeError("nobody is in this audience: there is nothing to freeze")
        campaign.state = CampaignState.FROZEN
        campaign.frozen_at = timezone.now()
        campaign.frozen_count = frozen
        campaign.save()
        audit_record(
            actor=actor_for(by),
            action=f"{campaign.kind}.freeze",
            target=_target(campaign),
            reason=f"{frozen} recipients",
            user=by,
        )
    return campaign


def campaign_approve(*, campaign: Campaign, by: User, fingerprint: str) -> Campaign:
    """A second staff member approves what they reviewed (`fingerprint`, shown with the preview). Refused
    for the author, for a campaign without an author, and when anything changed since the review."""
    require_staff(by)
    refusal = _approval_refusal(campaign, by, fingerprint)
    if refusal is not None:
        # Recorded on its own: the refusal is the thing worth knowing about.
        audit_record(
            actor=actor_for(by),
            action=f"{campaign.kind}.approve_refused",
            target=_target(campaign),
            reason=refusal,
            user=by,
        )
        raise GratitudeError(refusal)
    with transaction.atomic():
        campaign = _locked(campaign)
        refusal = _approval_refusal(campaign, by, fingerprint)
        if refusal is not None:
            raise GratitudeError(refusal)
        campaign.state = CampaignState.APPROVED
        campaign.approved_by = by
        campaign.approved_at = timezone.now()
        campaign.approval_hash = fingerprint
        campaign.save()
        audit_record(
            actor=actor_for(by),
            action=f"{campaign.kind}.approve",
            target=_target(campaign),
            reason=f"{campaign.frozen_count} recipients; fingerprint {fingerprint[:12]}",
            user=by,
        )
    return campaign


def _approval_refusal(campaign: Campaign, by: User, fingerprint: str) -> str | None:
    if campaign.state != CampaignState.FROZEN:
        return "only a frozen campaign can be approved"
    if campaign.author_id is None:
        return "nobody has written this text yet: a staff member edits it first, then another approves"
    if campaign.author_id == by.pk:
        return "you wrote this campaign: a second operator must approve it"
    if campaign.speaks_of is None:
        return f"its author must edit it first: {UNDECLARED}"
    if fingerprint != campaign_fingerprint(campaign):
        return "the campaign changed since you reviewed it: review it again"
    return None


def campaign_start(*, campaign: Campaign, by: User) -> Campaign:
    """Check the approval and the audience drift, then write the canary slice; the rest waits for it."""
    require_staff(by)
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.state != CampaignState.APPROVED:
            raise GratitudeError("only an approved campaign can start")
        if not _approval_holds(campaign):
            _to_draft(campaign)
            campaign.save()
            audit_record(
                actor=actor_for(by),
                action=f"{campaign.kind}.approval_void",
                target=_target(campaign),
                reason="changed after approval",
                user=by,
            )
            return campaign
        audit_record(actor=actor_for(by), action=f"{campaign.kind}.start", target=_target(campaign), user=by)
        drift = audience_drift(campaign)
        if drift.share > conf.max_drift():
            _halt(campaign, reason=str(drift), actor="check:drift")
            return campaign
        size = conf.canary_size(campaign.frozen_count or 0)
        canary_ids = list(
            campaign.recipients.filter(notification__isnull=True)
            .order_by("?")
            .values_list("pk", flat=True)[:size]
        )
        CampaignRecipient.objects.filter(pk__in=canary_ids).update(slice=CampaignRecipient.Slice.CANARY)
        now = timezone.now()
        _write_slice(campaign, campaign.recipients.filter(pk__in=canary_ids), first_due_at=now, spacing=0.0)
        campaign.state = CampaignState.CANARY
        campaign.started_at = now
        campaign.canary_size = len(canary_ids)
        campaign.save()
        _schedule_advance(campaign, at=now + timedelta(seconds=conf.canary_wait_seconds()))
    return campaign


def campaign_cancel(*, campaign: Campaign, by: User, reason: str) -> int:
    """Stop a campaign for good: its queued messages are cancelled (a message already with the mail server
    still goes). Returns how many were cancelled."""
    require_staff(by)
    if not reason.strip():
        raise GratitudeError("a reason is required to cancel a campaign")
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.state in (CampaignState.DONE, CampaignState.CANCELLED):
            raise GratitudeError(f"the campaign is already {campaign.state}")
        cancelled = (
            Notification.objects.filter(campaign_recipient__campaign=campaign)
            .filter(state__in=[NotificationState.PENDING, NotificationState.HELD])
            .update(state=NotificationState.CANCELLED, reason="campaign_cancelled")
        )
        campaign.state = CampaignState.CANCELLED
        campaign.reason = reason.strip()[:500]
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["state", "reason", "finished_at"])
        audit_record(
            actor=actor_for(by),
            action=f"{campaign.kind}.cancel",
            target=_target(campaign),
            reason=f"{reason.strip()} ({cancelled} queued messages cancelled)",
            user=by,
        )
    return cancelled
