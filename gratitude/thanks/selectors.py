"""Reads for the Thank You List: gifts with their thank-you status, filtered, paged, grouped by giver, and the
progress, labels, and which gifts a reminder may speak of. The registrant's reads take a registry the caller
obtained through `registries.selectors.registry_for_member` (a non-member got a 404 there) and never look
outside it; the giver's page is opened by its signed link alone (`address_request_for_token`).

The page costs the same number of queries for 20 gifts as for 2,000 (docs/thank-you-list.md, "Performance").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core import signing
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from gratitude.gifts.models import Gift, GiftState
from gratitude.registries.models import Registry
from gratitude.thanks import conf
from gratitude.thanks.models import AddressRequest, EnteredAddress, ThankYouChange, ThankYouStatus

# 30 gifts a page keeps the list under 30 KB of HTML with room for long names, messages and addresses
# (docs/thank-you-list.md, "Pages"); the filters ride along in the pager's links, the export has every gift.
GIFTS_PER_PAGE = 30
GIVERS_PER_PAGE = 15  # a giver's card is larger: its gifts, address and "one note" form
STATUS_LABELS = dict(ThankYouStatus.choices)
ADDRESS_LINK_SALT = "gratitude.thanks.address_request"
# Long enough for a giver back from holiday; a stale link just shows the "not valid" page.
ADDRESS_LINK_MAX_AGE_DAYS = 60


def giver_key(*, email: str, name: str) -> str:
    """Who a gift is from, for "one person, one note": the address they gave, else their name with case and
    spacing ignored. Gifts from one key are one giver on the list. (Inlined in thank_you_overview.)"""
    if email:
        return "e:" + email.strip().lower()
    return "n:" + " ".join(name.split()).casefold()


def hides_details(registry: Registry) -> bool:
    """While gifts are a surprise ("covered only", until the reveal date) the list holds back what and who."""
    return registry.hides_gift_details()


@dataclass(frozen=True)
class ThankYouFilters:
    status: str = ""  # "" | todo | written | sent
    received: str = ""  # "" | yes | no
    giver: str = ""  # a giver_key
    given_from: date | None = None
    given_to: date | None = None
    q: str = ""


@dataclass
class GiverSummary:
    """One giver across the registry's active gifts, from the overview scan."""

    key: str
    name: str
    email: str
    # The address a note goes to: the latest one the giver shared, else one a member typed in.
    address: str = ""
    gifts: int = 0
    sent: int = 0
    # Set when `address` was typed in by a member (who), not shared by the giver.
    address_entered_by: str | None = None


@dataclass(frozen=True)
class Progress:
    gifts: int
    written: int  # written, not yet sent
    sent: int
    givers: int
    givers_thanked: int  # every gift from them is sent

    @property
    def percent(self) -> int:
        return round(100 * self.sent / self.gifts) if self.gifts else 0


@dataclass(frozen=True)
class AddressRequestState:
    requested_at: datetime
    answered_at: datetime | None


@dataclass
class Overview:
    progress: Progress
    givers: dict[str, GiverSummary]
    address_requests: dict[str, AddressRequestState]


@dataclass
class GiverGroup:
    giver: GiverSummary
    gifts: list[Gift] = field(default_factory=list)
    address_request: AddressRequestState | None = None
    status: str = ThankYouStatus.TODO

    def settle_status(self) -> None:
        """The status of the giver's one note: sent only when every gift shown is sent, written when each is
        at least written."""
        statuses = {gift.thank_you_status for gift in self.gifts}  # type: ignore[attr-defined]
        if statuses == {ThankYouStatus.SENT}:
            self.status = ThankYouStatus.SENT
        elif statuses <= {ThankYouStatus.SENT, ThankYouStatus.WRITTEN}:
            self.status = ThankYouStatus.WRITTEN
        else:
            self.status = ThankYouStatus.TODO

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class ThankYouPage:
    overview: Overview
    page: Page[Any]  # the page numbers (it pages gift ids, or giver keys)
    rows: list[Any]  # the page's gifts, or its GiverGroups when grouped
    grouped: bool
    hidden: bool
    filters: ThankYouFilters


def thank_you_list(*, registry: Registry) -> QuerySet[Gift]:
    """Every active gift on the registry with its thank-you status (`thank_you_status`), newest first."""
    return (
        Gift.objects.filter(registry=registry, state=GiftState.ACTIVE)
        .select_related("item", "thank_you")
        .annotate(thank_you_status=Coalesce("thank_you__status", Value(ThankYouStatus.TODO)))
        .order_by("-created_at", "-pk")
    )


def thank_you_overview(*, registry: Registry) -> Overview:
    """Progress, every giver (name, address, counts) and the address requests, in three queries whatever
    the number of gifts: one narrow scan of the active gifts, one of the addresses typed in by members, one
    of the requests."""
    givers: dict[str, GiverSummary] = {}
    gifts = written = sent = 0
    scan = (
        Gift.objects.filter(registry=registry, state=GiftState.ACTIVE)
        .order_by("pk")
        .values_list("giver_email", "giver_name", "giver_address", "thank_you__status")
    )
    sent_value, written_value = ThankYouStatus.SENT.value, ThankYouStatus.WRITTEN.value
    get = givers.get
    # The hot loop of the page (once per gift): giver_key inlined, plain str comparisons.
    for email, name, address, status in scan:
        key = "e:" + email.strip().lower() if email else "n:" + " ".join(name.split()).casefold()
        giver = get(key)
        if giver is None:
            giver = givers[key] = GiverSummary(key=key, name=name, email=email)
        if address:
            giver.address = address  # the latest one they shared (ids grow with time)
        giver.gifts += 1
        if status == sent_value:
            giver.sent += 1
            sent += 1
        elif status == written_value:
            written += 1
        gifts += 1
    for entered in EnteredAddress.objects.filter(registry=registry).select_related("entered_by"):
        giver = get(entered.giver_key)
        # Typed in for a giver who shared none; an address the giver shares later takes precedence.
        if giver is not None and not giver.address:
            giver.address = entered.address
            giver.address_entered_by = entered_by_name(entered)
    requests = {
        "e:" + email: AddressRequestState(requested_at, answered_at)
        for email, requested_at, answered_at in AddressRequest.objects.filter(registry=registry).values_list(
            "giver_email", "requested_at", "answered_at"
        )
    }
    progress = Progress(
        gifts=gifts,
        written=written,
        sent=sent,
        givers=len(givers),
        givers_thanked=sum(1 for g in givers.values() if g.sent == g.gifts),
    )
    return Overview(progress=progress, givers=givers, address_requests=requests)


def _filtered(registry: Registry, filters: ThankYouFilters, overview: Overview) -> QuerySet[Gift]:
    gifts = thank_you_list(registry=registry)
    if filters.status == ThankYouStatus.TODO:
        gifts = gifts.filter(Q(thank_you__isnull=True) | Q(thank_you__status=ThankYouStatus.TODO))
    elif filters.status:
        gifts = gifts.filter(thank_you__status=filters.status)
    if filters.received == "yes":
        gifts = gifts.filter(received_at__isnull=False)
    elif filters.received == "no":
        gifts = gifts.filter(received_at__isnull=True)
    if filters.given_from:
        gifts = gifts.filter(created_at__date__gte=filters.given_from)
    if filters.given_to:
        gifts = gifts.filter(created_at__date__lte=filters.given_to)
    if filters.giver:
        gifts = _of_giver(gifts, filters.giver, overview)
    if filters.q:
        q = filters.q
        gifts = gifts.filter(
            Q(item__title__icontains=q)
            | Q(giver_name__icontains=q)
            | Q(giver_email__icontains=q)
            | Q(message__icontains=q)
            | Q(thank_you__note__icontains=q)
        )
    return gifts


def _of_giver(gifts: QuerySet[Gift], key: str, overview: Overview) -> QuerySet[Gift]:
    giver = overview.givers.get(key)
    if giver is None:
        return gifts.none()
    if giver.email:
        return gifts.filter(giver_email=giver.email)
    # A name-only giver: spacing and case vary between gifts, so match the stored spellings exactly.
    return gifts.filter(giver_email="", giver_name__in=_name_spellings(gifts, key))


def _name_spellings(gifts: QuerySet[Gift], key: str) -> list[str]:
    names = gifts.filter(giver_email="").values_list("giver_name", flat=True).distinct()
    return [name for name in names if giver_key(email="", name=name) == key]


def thank_you_page(
    *, registry: Registry, filters: ThankYouFilters, page_number: str | int | None = 1, by_giver: bool = False
) -> ThankYouPage:
    """One page of the list: gifts newest first, or givers by name with their gifts."""
    hidden = hides_details(registry)
    if hidden:
        # Searching or grouping by giver would reveal who, so they wait for the reveal too.
        filters = ThankYouFilters(
            status=filters.status,
            received=filters.received,
            given_from=filters.given_from,
            given_to=filters.given_to,
        )
        by_giver = False
    overview = thank_you_overview(registry=registry)
    gifts = _filtered(registry, filters, overview)
    if not by_giver:
        # Page over the ids (a narrow sort, no COUNT), then load only the page's gifts in full.
        page = Paginator(list(gifts.values_list("pk", flat=True)), GIFTS_PER_PAGE).get_page(page_number)
        loaded = {gift.pk: gift for gift in gifts.filter(pk__in=list(page.object_list))}
        rows = [loaded[pk] for pk in page.object_list if pk in loaded]
        for gift in rows:
            _attach_giver(gift, overview)
        return ThankYouPage(
            overview=overview, page=page, rows=rows, grouped=False, hidden=hidden, filters=filters
        )
    giver_page, groups = _giver_page(gifts, overview, page_number)
    return ThankYouPage(
        overview=overview, page=giver_page, rows=groups, grouped=True, hidden=hidden, filters=filters
    )


def _attach_giver(gift: Gift, overview: Overview) -> None:
    """What a row shows besides the gift: its giver across the list, and the date of its status (worked
    out here once, rather than in the template for every row)."""
    key = giver_key(email=gift.giver_email, name=gift.giver_name)
    gift.giver = overview.givers[key]  # type: ignore[attr-defined]
    gift.address_request = overview.address_requests.get(key)  # type: ignore[attr-defined]
    record = getattr(gift, "thank_you", None)
    status = gift.thank_you_status  # type: ignore[attr-defined]
    gift.status_label = STATUS_LABELS[status]  # type: ignore[attr-defined]
    gift.status_date = (  # type: ignore[attr-defined]
        (record.sent_at if status == ThankYouStatus.SENT else record.written_at) if record else None
    )
    gift.note = record.note if record else ""  # type: ignore[attr-defined]


def _giver_page(
    gifts: QuerySet[Gift], overview: Overview, page_number: str | int | None
) -> tuple[Page[str], list[GiverGroup]]:
    # Group the filtered gifts by giver from a narrow scan, page the givers, then load only their gifts.
    ids_by_giver: dict[str, list[int]] = {}
    for pk, email, name in gifts.values_list("pk", "giver_email", "giver_name"):
        ids_by_giver.setdefault(giver_key(email=email, name=name), []).append(pk)
    keys = sorted(ids_by_giver, key=lambda k: (overview.givers[k].name.casefold(), k))
    page = Paginator(keys, GIVERS_PER_PAGE).get_page(page_number)
    wanted = [pk for key in page.object_list for pk in ids_by_giver[key]]
    loaded = {gift.pk: gift for gift in gifts.filter(pk__in=wanted)}
    groups = []
    for key in page.object_list:
        group = GiverGroup(
            giver=overview.givers[key],
            gifts=[loaded[pk] for pk in ids_by_giver[key] if pk in loaded],
            address_request=overview.address_requests.get(key),
        )
        for gift in group.gifts:
            _attach_giver(gift, overview)
        group.settle_status()
        groups.append(group)
    return page, groups


def gifts_for_marking(
    *, registry: Registry, gift_ids: Iterable[int] = (), giver_keys: Iterable[str] = ()
) -> list[Gift]:
    """The registry's active gifts among `gift_ids`, plus every active gift of the givers named by key.
    Ids of other registries' gifts are simply not found.

    While the registry hides who gave ("covered only"), giver keys are ignored: marking "all of e:<address>"
    would otherwise answer "Marked 1" for a real giver and "Nothing changed" for anyone else, telling the
    registrant who gave (docs/thank-you-list.md, "Surprise")."""
    ids = set(gift_ids)
    keys = set() if hides_details(registry) else set(giver_keys)
    if keys:
        scan = Gift.objects.filter(registry=registry, state=GiftState.ACTIVE).values_list(
            "pk", "giver_email", "giver_name"
        )
        ids |= {pk for pk, email, name in scan if giver_key(email=email, name=name) in keys}
    if not ids:
        return []
    return list(Gift.objects.filter(registry=registry, state=GiftState.ACTIVE, pk__in=ids).order_by("pk"))


def gift_for_member(*, registry: Registry, gift_id: int) -> Gift:
    """One active gift of the registry, with its status; 404 for anything else."""
    gift = thank_you_list(registry=registry).filter(pk=gift_id).first()
    if gift is None:
        raise Http404("No such gift")
    return gift


def thank_you_history(*, gift: Gift, limit: int = 20) -> list[ThankYouChange]:
    """The gift's latest status changes, newest first, with who made them."""
    return list(ThankYouChange.objects.filter(gift=gift).select_related("by").order_by("-at", "-pk")[:limit])


def giver_gifts(*, gift: Gift) -> list[Gift]:
    """Every active gift on the gift's registry from the same giver (the gift itself included)."""
    key = giver_key(email=gift.giver_email, name=gift.giver_name)
    gifts = thank_you_list(registry=gift.registry)
    if gift.giver_email:
        return list(gifts.filter(giver_email=gift.giver_email))
    return list(gifts.filter(giver_email="", giver_name__in=_name_spellings(gifts, key)))


def entered_by_name(entered: EnteredAddress) -> str:
    """Who typed an address in, as the list and the exports name them."""
    return entered.entered_by.name if entered.entered_by is not None else "a former member"


@dataclass(frozen=True)
class GiverAddress:
    """Where a note to a giver goes, and whose word it is: shared by the giver, or typed in by a member."""

    address: str
    shared_by_giver: bool
    entered_by: str = ""
    entered_at: datetime | None = None


def giver_address(*, gift: Gift) -> GiverAddress | None:
    """The address for the giver of `gift` (one of the registry's gifts the caller already found): the
    latest one they shared on any of their gifts here, else one a member typed in, else None."""
    shared = next((other.giver_address for other in giver_gifts(gift=gift) if other.giver_address), "")
    if shared:
        return GiverAddress(address=shared, shared_by_giver=True)
    key = giver_key(email=gift.giver_email, name=gift.giver_name)
    entered = (
        EnteredAddress.objects.select_related("entered_by")
        .filter(registry_id=gift.registry_id, giver_key=key)
        .first()
    )
    if entered is None:
        return None
    return GiverAddress(
        address=entered.address,
        shared_by_giver=False,
        entered_by=entered_by_name(entered),
        entered_at=entered.entered_at,
    )


@dataclass(frozen=True)
class Label:
    name: str
    address: str
    gifts: int
    # Who typed the address in, when the giver did not share it themselves.
    entered_by: str | None = None


def mailing_labels(*, registry: Registry, only_unsent: bool = False) -> list[Label]:
    """One label per giver with an address (shared, or typed in by a member), by name; optionally only
    givers not yet fully thanked."""
    overview = thank_you_overview(registry=registry)
    labels = [
        Label(name=g.name, address=g.address, gifts=g.gifts, entered_by=g.address_entered_by)
        for g in overview.givers.values()
        if g.address and not (only_unsent and g.sent == g.gifts)
    ]
    return sorted(labels, key=lambda label: label.name.casefold())


def address_request_for(*, registry: Registry, email: str) -> AddressRequest | None:
    return AddressRequest.objects.filter(registry=registry, giver_email=email.strip().lower()).first()


def _email_digest(email: str) -> str:
    # Binds a link to the address it was sent to without putting the address in the URL.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def address_link_token(*, address_request: AddressRequest) -> str:
    return signing.dumps(
        {"r": address_request.pk, "e": _email_digest(address_request.giver_email)}, salt=ADDRESS_LINK_SALT
    )


def address_request_for_token(*, token: str) -> AddressRequest | None:
    """The request a giver's link opens, or None for a tampered, expired or outdated link, or one whose
    gift was cancelled. One answer for all of them."""
    try:
        payload = signing.loads(token, salt=ADDRESS_LINK_SALT, max_age=ADDRESS_LINK_MAX_AGE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        return None
    request = (
        AddressRequest.objects.select_related("registry", "gift__item", "requested_by", "giver")
        .filter(pk=payload["r"])
        .first()
    )
    if request is None or _email_digest(request.giver_email) != payload.get("e"):
        return None
    if request.gift.state != GiftState.ACTIVE:
        return None
    return request


# --- thank-you reminders: which gifts are waiting for thanks ---------------------------------------------


def reminder_after_days() -> int:
    """Gifts not marked received wait this long after they were given before a reminder mentions them."""
    return int(conf.thank_you_reminder_days())


# A gift marked received today is not yet a reason for mail: the registrant is on the list right now.
RECEIVED_GRACE = timedelta(days=1)
REMINDER_INTERVAL_DAYS = 7
REMINDER_INTERVAL = timedelta(days=REMINDER_INTERVAL_DAYS)


def gifts_waiting_for_thanks(*, now: datetime) -> Q:
    """Active gifts whose note is not sent, received a day ago or more, or given N days ago or more."""
    return (
        Q(state=GiftState.ACTIVE)
        & (Q(thank_you__isnull=True) | ~Q(thank_you__status=ThankYouStatus.SENT))
        & (
            Q(received_at__lte=now - RECEIVED_GRACE)
            | Q(created_at__lte=now - timedelta(days=reminder_after_days()))
        )
    )
