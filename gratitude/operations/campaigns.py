"""Campaigns and corrections, from draft to done, under the two-person rule and a canary (SAFETY.md 4).

draft -> (freeze: the audience is snapshotted) frozen -> (a second staff member approves; the approval is
bound to a hash of template version + audience definition + frozen count) approved -> (start: drift check,
then the canary slice is written) canary -> (after the wait: thresholds, drift) sending -> done. Any edit
before the first message is written returns the campaign to draft and voids the approval. A failed check
halts it with its reason and an operator alert. Every step is audited. See docs/operations.md, "Campaigns".

A campaign declares what its text speaks of (`speaks_of`: occasions, or none, chosen on purpose; issue 7),
and a correction inherits what the messages it corrects spoke of (`recalled_occasions`). With the registry
occasions its audience is chosen by, that is `campaign_occasions`: whoever opted out of one of them is left
out of the frozen audience, and is refused again at send time (notifications/occasions.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from gratitude.core.errors import GratitudeError
from gratitude.notifications.kinds import kind_named
from gratitude.notifications.mail_checks import TEXT_URL
from gratitude.notifications.mail_templates import template_source
from gratitude.notifications.models import FINAL_STATES, Notification, NotificationState
from gratitude.operations import conf
from gratitude.operations.audience import (
    Audience,
    Breakdown,
    audience_breakdown,
    audience_from_json,
    audience_users,
    spoken_occasions,
)
from gratitude.operations.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignState,
    OperatorAlert,
    Recall,
)
from gratitude.operations.services import actor_for, audit_record, require_staff

if TYPE_CHECKING:
    from gratitude.accounts.models import User
    from gratitude.notifications.rendering import RenderedMessage

logger = logging.getLogger("gratitude.operations")

# Wording a phishing mail uses; an operator's text may not (SAFETY.md promise 13: no bait).
BAIT_WORDING = re.compile(
    r"\b(log ?in|log-in|sign ?in|sign-in|login|username|password|verify your account)\b", re.I
)
# How often a waiting canary looks again, at the least.
RECHECK = timedelta(seconds=30)
WRITE_BATCH = 1000
# States in which no outbox row has been written yet, so the text and the audience may still change.
EDITABLE = (CampaignState.DRAFT, CampaignState.FROZEN, CampaignState.APPROVED)


def _kind_category(kind: str) -> str:
    declared = kind_named(kind)
    assert declared is not None
    return str(declared.category)


def campaign_audience(campaign: Campaign) -> Audience:
    return audience_from_json(campaign.audience)


def template_version(campaign: Campaign) -> str:
    """The kind's template triplet as deployed (its source, as the mail engine reads it), and the operator's
    text: what the recipients will read."""
    declared = kind_named(campaign.kind)
    assert declared is not None
    digest = hashlib.sha256()
    for part in ("subject.txt", "body.txt", "body.html"):
        digest.update(template_source(f"notifications/email/{declared.template}/{part}").encode())
    digest.update(json.dumps([campaign.kind, campaign.subject, campaign.body, campaign.version]).encode())
    return digest.hexdigest()


def campaign_fingerprint(campaign: Campaign) -> str:
    """What an approval is bound to: template version + audience definition (who, and the occasions the
    message speaks of, which decide who is left out) + frozen count."""
    payload = {
        "template_version": template_version(campaign),
        "audience": campaign_audience(campaign).to_json(),
        "speaks_of": campaign.speaks_of,
        "frozen_count": campaign.frozen_count,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def campaign_occasions(campaign: Campaign) -> tuple[str, ...]:
    """Every occasion the campaign's message speaks of: its declaration and its audience's occasions."""
    return spoken_occasions(audience=campaign_audience(campaign), speaks_of=campaign.speaks_of or ())


def occasions_by_message(notification_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """For each of these outbox rows written for a campaign or correction, the occasions its campaign speaks
    of (rows written for no campaign are left out): two queries, whatever the number of rows."""
    campaign_of = dict(
        CampaignRecipient.objects.filter(notification_id__in=list(notification_ids)).values_list(
            "notification_id", "campaign_id"
        )
    )
    spoken = {
        campaign.pk: campaign_occasions(campaign)
        for campaign in Campaign.objects.filter(pk__in=set(campaign_of.values()))
    }
    return {row_id: spoken[campaign_id] for row_id, campaign_id in campaign_of.items()}


def _declared(speaks_of: Sequence[str]) -> list[str]:
    """A declaration as stored: known occasion slugs, sorted, once each."""
    from gratitude.notifications.occasions import OPT_OUT_OCCASIONS

    if isinstance(speaks_of, str):
        raise GratitudeError("declare the occasions as a list of slugs, not one string")
    unknown = sorted(set(speaks_of) - set(OPT_OUT_OCCASIONS))
    if unknown:
        raise GratitudeError(
            f"unknown occasion: {', '.join(unknown)}; one of: {', '.join(OPT_OUT_OCCASIONS)}"
        )
    return sorted(set(speaks_of))


def recalled_occasions(recall: Recall) -> list[str]:
    """What the recalled messages spoke of, which their correction inherits: a correction names each message
    it corrects by its subject, so it speaks of the same things, and must not reach whoever has since opted
    out of them. Read the way the send-time check reads a kind's declaration (notifications/occasions.py)."""
    from gratitude.notifications.occasions import CAMPAIGN, OPT_OUT_OCCASIONS, REGISTRY

    declared = kind_named(recall.kind)
    recalled = Notification.objects.filter(pk__in=recall.messages.values("notification_id"))
    spoken: set[str] = set()
    for entry in declared.occasions if declared is not None else ():
        if entry == REGISTRY:
            spoken |= set(
                recalled.filter(registry__isnull=False)
                .values_list("registry__occasion", flat=True)
                .distinct()
            )
        elif entry == CAMPAIGN:
            campaigns = Campaign.objects.filter(
                Q(pk=recall.campaign_id) | Q(recipients__notification__in=recalled)
            ).distinct()
            for campaign in campaigns:
                spoken |= set(campaign_occasions(campaign))
        else:
            spoken.add(entry)
    # "Other" names no occasion, so nobody can opt out of it; it is not a declaration either.
    return sorted(spoken & set(OPT_OUT_OCCASIONS))


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
            f"a campaign cannot use the {kind} template: event mail is sent only by its event (SAFETY.md 2)"
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


def _target(campaign: Campaign) -> str:
    return f"{campaign.kind}:{campaign.pk}"


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


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


def campaign_editable(campaign: Campaign) -> bool:
    """Until its first message is written (a halt at start writes none), a campaign may change."""
    if campaign.state in EDITABLE:
        return True
    return (
        campaign.state == CampaignState.HALTED
        and not campaign.recipients.filter(notification__isnull=False).exists()
    )


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


@dataclass(frozen=True)
class Drift:
    frozen: int
    now: int

    @property
    def share(self) -> float:
        return abs(self.now - self.frozen) / max(self.frozen, 1)

    def __str__(self) -> str:
        return f"audience drift: frozen {self.frozen}, now {self.now} ({self.share:.1%})"


def audience_drift(campaign: Campaign) -> Drift:
    """The audience definition evaluated again now, against the frozen count."""
    now = audience_users(
        campaign_audience(campaign),
        category=_kind_category(campaign.kind),
        speaks_of=campaign_occasions(campaign),
    ).count()
    return Drift(frozen=campaign.frozen_count or 0, now=now)


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


@dataclass(frozen=True)
class CanaryReport:
    size: int
    pending: int
    sent: int
    bounces: int
    complaints: int
    unsubscribes: int
    last_settled_at: datetime | None

    def rates(self) -> dict[str, float]:
        sent = max(self.sent, 1)
        return {
            "bounces": self.bounces / sent,
            "complaints": self.complaints / sent,
            "unsubscribes": self.unsubscribes / sent,
        }

    def excess(self) -> str | None:
        """Why the canary failed, or None."""
        if self.sent == 0:
            return f"canary: none of its {self.size} messages was delivered"
        counts = {"bounces": self.bounces, "complaints": self.complaints, "unsubscribes": self.unsubscribes}
        for name, limit in conf.canary_max_rates().items():
            rate = self.rates()[name]
            if rate > limit:
                return f"canary: {counts[name]} {name} among {self.sent} sent ({rate:.1%} > {limit:.1%})"
        return None


def canary_rows(campaign: Campaign) -> QuerySet[Notification]:
    return Notification.objects.filter(
        campaign_recipient__campaign=campaign, campaign_recipient__slice=CampaignRecipient.Slice.CANARY
    )


def canary_report(campaign: Campaign) -> CanaryReport:
    """How the canary landed: bounces (a 5xx, a provider's bounce, an address suppressed since), complaints
    and unsubscribes (by webhook, one-click or the preferences page) among its recipients since it started."""
    from anymail.signals import EventType

    from gratitude.notifications.models import DeliveryEvent, SuppressedAddress, Unsubscribe

    since = campaign.started_at or timezone.now()
    rows = canary_rows(campaign)

    def event(kind: str) -> Exists:
        return Exists(DeliveryEvent.objects.filter(notification=OuterRef("pk"), event_type=kind))

    def suppressed(reason: str) -> Exists:
        return Exists(
            SuppressedAddress.objects.filter(
                address=OuterRef("recipient__email"), reason=reason, created_at__gte=since
            )
        )

    unsubscribed = Exists(
        Unsubscribe.objects.filter(
            user_id=OuterRef("recipient_id"), category=_kind_category(campaign.kind), created_at__gte=since
        )
    )
    bounced = (
        Q(state=NotificationState.FAILED, reason__startswith="smtp_5")
        | Q(event(EventType.BOUNCED))
        | Q(suppressed("hard_bounce"))
    )
    return CanaryReport(
        size=rows.count(),
        pending=rows.exclude(state__in=FINAL_STATES).count(),
        sent=rows.filter(state=NotificationState.SENT).count(),
        bounces=rows.filter(bounced).count(),
        complaints=rows.filter(Q(event(EventType.COMPLAINED)) | Q(suppressed("complaint"))).count(),
        unsubscribes=rows.filter(Q(event(EventType.UNSUBSCRIBED)) | Q(unsubscribed)).count(),
        # The wait starts when the last canary message went out (the outbox keeps no time for the others).
        last_settled_at=rows.aggregate(at=Max("sent_at"))["at"],
    )


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


def _labels(occasions: Iterable[str]) -> str:
    from gratitude.notifications.occasions import OPT_OUT_OCCASIONS

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
    from gratitude.notifications.rendering import render
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
