"""Reads for operators: is a kind halted and why, and what the console shows. Every read aggregates in the
database (a handful of grouped queries, whatever the size of the outbox), and every console read is for
staff only: the views check that before they ask."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMinute
from django.utils import timezone
from django.utils.safestring import SafeString

from gratitude.core.errors import GratitudeError
from gratitude.notifications.models import FINAL_STATES, Notification, NotificationState, SuppressedAddress
from gratitude.notifications.outbox.kinds import kind_named
from gratitude.notifications.rendering.template_engine import template_source

# The worker reads the halts itself (notifications/sending/breakers.py); re-exported for operators' reads.
from gratitude.notifications.sending.breakers import halt_for as halt_for
from gratitude.operations import conf
from gratitude.operations.audience import (
    Audience,
    audience_from_json,
    audience_users,
    spoken_occasions,
)
from gratitude.operations.charts import MINUTES, MinuteCounts, minute_chart
from gratitude.operations.models import (
    ALL_KINDS,
    AuditEntry,
    Campaign,
    CampaignRecipient,
    CampaignState,
    OperatorAlert,
    Recall,
    RecalledMessage,
    SendControl,
)

WINDOW = timedelta(hours=24)
QUEUED = (NotificationState.PENDING, NotificationState.HELD, NotificationState.SENDING)


@dataclass
class KindStatus:
    name: str
    control: SendControl | None
    queued: int = 0
    held: int = 0
    sent: int = 0
    suppressed: int = 0
    failed: int = 0
    oldest_waiting_since: datetime | None = None
    chart: MinuteCounts | None = None

    @property
    def halted(self) -> bool:
        return bool(self.control and self.control.halted)

    @property
    def breaker_open(self) -> bool:
        return bool(self.halted and self.control and self.control.source == SendControl.Source.BREAKER)

    @property
    def active(self) -> bool:
        """Anything in the last 24 hours, or anything waiting: worth a chart."""
        busy = self.queued or self.held or self.sent or self.suppressed or self.failed
        return bool(busy or (self.chart and self.chart.peak()))

    def svg(self) -> SafeString:
        assert self.chart is not None
        return minute_chart(self.chart)


@dataclass
class Overview:
    now: datetime
    everything: SendControl | None
    kinds: list[KindStatus]
    oldest_waiting: Notification | None
    suppressed_by_reason: list[tuple[str, int]]
    suppressed_addresses: list[tuple[str, int]]
    alerts: list[OperatorAlert]
    campaigns: list[Campaign] = field(default_factory=list)

    @property
    def all_halted(self) -> bool:
        return bool(self.everything and self.everything.halted)


def _per_kind(rows: QuerySet[Notification]) -> dict[str, int]:
    return dict(rows.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))


def minute_counts(*, now: datetime, kinds: list[str]) -> dict[str, MinuteCounts]:
    """Per kind and minute over the last 24 hours: rows queued (written), sent (sent_at), suppressed and
    failed (by due time: the outbox records no decision time, and a row is decided when it comes due)."""
    start = (now - WINDOW).replace(second=0, microsecond=0) + timedelta(minutes=1)
    per: dict[str, dict[str, dict[int, int]]] = {kind: {} for kind in kinds}
    queries = {
        "queued": ("created_at", Notification.objects.all()),
        "sent": ("sent_at", Notification.objects.filter(state=NotificationState.SENT)),
        "suppressed": ("due_at", Notification.objects.filter(state=NotificationState.SUPPRESSED)),
        "failed": ("due_at", Notification.objects.filter(state=NotificationState.FAILED)),
    }
    for series, (column, rows) in queries.items():
        grouped = (
            rows.filter(**{f"{column}__gte": start, f"{column}__lte": now})
            .annotate(minute=TruncMinute(column))
            .values("kind", "minute")
            .annotate(n=Count("pk"))
            .values_list("kind", "minute", "n")
        )
        for kind, minute, n in grouped:
            index = int((minute - start).total_seconds() // 60)
            if kind in per and 0 <= index < MINUTES:
                per[kind].setdefault(series, {})[index] = n
    return {kind: MinuteCounts(kind=kind, per_minute=series) for kind, series in per.items()}


def sending_overview(*, now: datetime) -> Overview:
    from gratitude.notifications.outbox.kinds import KINDS

    since = now - WINDOW
    controls = {c.kind: c for c in SendControl.objects.all()}
    outbox = Notification.objects
    queued = _per_kind(outbox.filter(state__in=[NotificationState.PENDING, NotificationState.SENDING]))
    held = _per_kind(outbox.filter(state=NotificationState.HELD))
    sent = _per_kind(outbox.filter(state=NotificationState.SENT, sent_at__gte=since))
    suppressed = _per_kind(outbox.filter(state=NotificationState.SUPPRESSED, due_at__gte=since))
    failed = _per_kind(outbox.filter(state=NotificationState.FAILED, due_at__gte=since))
    # Queued and due (held, being sent, or pending past its due time): what a stuck queue looks like. Rows
    # paced to later are not waiting yet.
    waiting = outbox.filter(state__in=QUEUED, due_at__lte=now)
    oldest = dict(waiting.values("kind").annotate(at=Min("due_at")).values_list("kind", "at"))
    names = sorted(set(KINDS) | {name for name in controls if name != ALL_KINDS})
    charts = minute_counts(now=now, kinds=names)
    kinds = [
        KindStatus(
            name=name,
            control=controls.get(name),
            queued=queued.get(name, 0),
            held=held.get(name, 0),
            sent=sent.get(name, 0),
            suppressed=suppressed.get(name, 0),
            failed=failed.get(name, 0),
            oldest_waiting_since=oldest.get(name),
            chart=charts[name],
        )
        for name in names
    ]
    return Overview(
        now=now,
        everything=controls.get(ALL_KINDS),
        kinds=kinds,
        oldest_waiting=waiting.order_by("due_at", "pk").first(),
        suppressed_by_reason=list(
            outbox.filter(state=NotificationState.SUPPRESSED, due_at__gte=since)
            .values("reason")
            .annotate(n=Count("pk"))
            .order_by("-n", "reason")
            .values_list("reason", "n")
        ),
        suppressed_addresses=list(
            SuppressedAddress.objects.values("reason")
            .annotate(n=Count("pk"))
            .order_by("-n", "reason")
            .values_list("reason", "n")
        ),
        alerts=list(OperatorAlert.objects.order_by("-created_at", "-pk")[:20]),
        campaigns=list(
            Campaign.objects.exclude(state__in=[CampaignState.DONE, CampaignState.CANCELLED])
            .select_related("author", "approved_by")
            .order_by("-created_at", "-pk")[:20]
        ),
    )


def alert_for_staff(*, pk: int) -> OperatorAlert | None:
    return OperatorAlert.objects.filter(pk=pk).first()


def audit_entries(*, action: str = "") -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("user").order_by("-created_at", "-pk")
    if action:
        entries = entries.filter(action__startswith=action)
    return entries


def campaigns_for_staff() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("author", "approved_by", "recall").order_by("-created_at", "-pk")


def campaign_for_staff(*, pk: int) -> Campaign | None:
    return campaigns_for_staff().filter(pk=pk).first()


def campaign_progress(campaign: Campaign) -> dict[str, int]:
    """Its outbox rows by state, in one grouped query."""
    rows = Notification.objects.filter(campaign_recipient__campaign=campaign)
    counts = dict(rows.values("state").annotate(n=Count("pk")).values_list("state", "n"))
    return {state.value: counts.get(state.value, 0) for state in NotificationState}


def recalls_for_staff() -> QuerySet[Recall]:
    return Recall.objects.select_related("campaign").order_by("-created_at", "-pk")


def recall_for_staff(*, pk: int) -> Recall | None:
    return recalls_for_staff().filter(pk=pk).first()


def recalled_messages(*, recall: Recall) -> QuerySet[RecalledMessage]:
    return recall.messages.order_by("sent_at", "pk")


def recalled_addresses(*, recall: Recall) -> QuerySet[Any]:
    """Every address the recalled messages went to, once each, sorted."""
    return recall.messages.order_by("sent_to").values_list("sent_to", flat=True).distinct()


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
    from gratitude.notifications.sending.occasion_opt_outs import OPT_OUT_OCCASIONS

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
    out of them. Read the way the send-time check reads a kind's declaration
    (notifications/sending/occasion_opt_outs.py)."""
    from gratitude.notifications.sending.occasion_opt_outs import CAMPAIGN, OPT_OUT_OCCASIONS, REGISTRY

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


def campaign_editable(campaign: Campaign) -> bool:
    """Until its first message is written (a halt at start writes none), a campaign may change."""
    if campaign.state in EDITABLE:
        return True
    return (
        campaign.state == CampaignState.HALTED
        and not campaign.recipients.filter(notification__isnull=False).exists()
    )


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
