"""Reads for operators: is a kind halted and why, and what the console shows. Every read aggregates in the
database (a handful of grouped queries, whatever the size of the outbox), and every console read is for
staff only: the views check that before they ask."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncMinute
from django.utils.safestring import SafeString

# The worker reads the halts itself (notifications/breakers.py); re-exported for operators' reads.
from gratitude.notifications.breakers import halt_for as halt_for
from gratitude.notifications.models import Notification, NotificationState, SuppressedAddress
from gratitude.operations.charts import MINUTES, MinuteCounts, minute_chart
from gratitude.operations.models import (
    ALL_KINDS,
    AuditEntry,
    Campaign,
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
    from gratitude.notifications.kinds import KINDS

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
