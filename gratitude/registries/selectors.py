"""Reads of registries, always scoped to who is asking (a member, a link holder, or anyone searching)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.registries import compiled_queries, gift_facts
from gratitude.registries import conf as registries_conf
from gratitude.registries.models import (
    InvitationState,
    Item,
    MemberRole,
    Picture,
    Registry,
    RegistryInvitation,
    RegistryMember,
    RegistrySearchName,
    Visibility,
)
from gratitude.registries.services.search import SEARCHABLE_ROLES, search_terms
from gratitude.registries.tokens import digest_matches, read_invitation_token

SEARCH_RESULTS_LIMIT = 50
# Shorter prefixes match too much of the index to be useful, and would let anyone page through it.
SEARCH_MIN_LETTERS = 2
# A word matching at most this many registries is looked up by its matches, a commoner one by walking the
# findable registries in result order (registry_search).
SEARCH_RARE_MATCHES = 500


def registries_for_member(*, user: User) -> QuerySet[Registry]:
    return Registry.objects.filter(members__user=user).order_by("-created_at")


def registry_for_member(*, user: User, registry_id: int) -> Registry:
    """The registry if `user` is a member of it; 404 otherwise (never reveal that it exists)."""
    registry = Registry.objects.filter(pk=registry_id, members__user=user).first()
    if registry is None:
        raise Http404("No such registry")
    return registry


def member_for(*, user: User, registry_id: int) -> RegistryMember:
    """The viewer's membership of the registry, with the registry; 404 if they are not a member."""
    member = (
        RegistryMember.objects.select_related("registry").filter(registry_id=registry_id, user=user).first()
    )
    if member is None:
        raise Http404("No such registry")
    return member


def picture_for_registry(*, registry: Registry, key: str) -> Picture | None:
    """A kept picture of this registry by its key (a key from another registry finds nothing)."""
    if not key:
        return None
    return Picture.objects.filter(registry=registry, key=key).first()


def membership_for(*, user: User, registry: Registry) -> RegistryMember | None:
    return RegistryMember.objects.filter(registry=registry, user=user).first()


def registrant_names(*, registry: Registry) -> list[str]:
    """The names givers see on the share page: the owner and co-registrants (a delegate only helps)."""
    members = RegistryMember.objects.filter(registry=registry, role__in=SEARCHABLE_ROLES).select_related(
        "user"
    )
    ordered = sorted(members, key=lambda member: (member.role != MemberRole.OWNER, member.joined_at))
    return [member.user.display_name for member in ordered if member.user.display_name]


def members_of(*, registry: Registry) -> list[RegistryMember]:
    order: dict[str, int] = {MemberRole.OWNER: 0, MemberRole.CO_REGISTRANT: 1, MemberRole.DELEGATE: 2}
    members = list(RegistryMember.objects.filter(registry=registry).select_related("user"))
    return sorted(members, key=lambda member: (order.get(member.role, 9), member.joined_at))


def pending_invitations(*, registry: Registry) -> QuerySet[RegistryInvitation]:
    return registry.invitations.filter(state=InvitationState.PENDING, expires_at__gt=timezone.now()).order_by(
        "created_at"
    )


def invitation_for_member(*, registry: Registry, invitation_id: int) -> RegistryInvitation:
    invitation = registry.invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation")
    return invitation


def invitation_for_token(*, token: str) -> RegistryInvitation | None:
    """The invitation a mailed link opens, or None for a tampered, expired or mismatched link."""
    parsed = read_invitation_token(token, max_age_seconds=registries_conf.invitation_days() * 24 * 3600)
    if parsed is None:
        return None
    invitation_id, digest = parsed
    invitation = (
        RegistryInvitation.objects.select_related("registry", "invitee", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    return invitation if invitation is not None and digest_matches(invitation, digest) else None


def stepped_back() -> Q:
    """Registries that stepped back (docs/quiet-mode.md): paused, or an owner in quiet mode. They leave
    search, their share link shows a short neutral page, and givers can neither reserve nor give there."""
    # A correlated EXISTS, looked up by registry through the member index, only for the rows already found:
    # "pk IN (quiet owners)" made SQLite scan every membership (tens of ms at 100,000 registries), even to
    # answer for a single registry.
    quiet_owner = RegistryMember.objects.filter(
        registry_id=OuterRef("pk"), role=MemberRole.OWNER, user__quiet_since__isnull=False
    )
    return Q(paused_at__isnull=False) | Q(Exists(quiet_owner))


def registry_is_stepped_back(*, registry: Registry) -> bool:
    return Registry.objects.filter(stepped_back(), pk=registry.pk).exists()


def registry_for_share_key(*, share_key: str) -> Registry | None:
    """The registry a guest's link opens, or None for a wrong, reset or private link."""
    registry = Registry.objects.select_related("photo").filter(share_key=share_key).first()
    if registry is None or registry.visibility == Visibility.PRIVATE:
        return None
    return registry


@dataclass(frozen=True)
class ItemAvailability:
    item: Item
    given: int
    reserved: int
    # Group gifts: the sum of the contributions so far.
    contributed: Decimal = Decimal("0")

    @property
    def still_wanted(self) -> int:
        if self.item.group_gift:
            return 1 if self.still_needed > 0 else 0
        return max(self.item.quantity - self.given - self.reserved, 0)

    @property
    def still_needed(self) -> Decimal:
        """Group gifts: how much of the price is still open."""
        return max((self.item.price or Decimal("0")) - self.contributed, Decimal("0"))

    @property
    def percent_funded(self) -> int:
        if not self.item.price:
            return 0
        return min(int(self.contributed * 100 / self.item.price), 100)


def item_availability(*, item: Item) -> ItemAvailability:
    return _availability([item])[0]


# What the list pages show; leaving out the rest (timestamps above all) makes a long list load much faster.
_LIST_FIELDS = (
    "registry_id",
    "title",
    "quantity",
    "price",
    "currency",
    "url",
    "picture__key",
    "picture__widths",
    "picture__width",
    "picture__height",
    "priority",
    "notes",
    "group_gift",
    "position",
)


def items_with_availability(*, registry: Registry) -> list[ItemAvailability]:
    """The list givers see, in the registrants' order: no archived or off-list items."""
    on_list = registry.items.filter(archived_at__isnull=True, off_list=False)
    items = list(on_list.select_related("picture").only(*_LIST_FIELDS))
    return _availability(items, registry_id=registry.pk)


@dataclass(frozen=True)
class Progress:
    """ "X of Y wanted items given", and how far the group gifts are funded."""

    given: int
    wanted: int
    group_gifts: int
    contributed: Decimal
    group_total: Decimal

    @property
    def percent(self) -> int:
        return min(100, self.given * 100 // self.wanted) if self.wanted else 0

    @property
    def group_percent(self) -> int:
        return min(100, int(self.contributed * 100 / self.group_total)) if self.group_total else 0


def progress_of(rows: list[ItemAvailability], *, currency: str) -> Progress:
    """From the list already loaded for the page (no extra query). A group gift counts as one wanted item,
    given once fully funded; a held reservation is not yet a gift. The funding adds up the group gifts
    priced in the registry's `currency` (amounts in two currencies cannot be added)."""
    given = wanted = group_gifts = 0
    contributed = group_total = Decimal("0")
    for row in rows:
        if row.item.group_gift:
            group_gifts += 1
            wanted += 1
            given += 1 if row.still_needed <= 0 else 0
            if row.item.currency == currency:
                contributed += min(row.contributed, row.item.price or Decimal("0"))
                group_total += row.item.price or Decimal("0")
        else:
            wanted += row.item.quantity
            given += min(row.given, row.item.quantity)
    return Progress(given, wanted, group_gifts, contributed, group_total)


def items_availability(*, items: list[Item]) -> list[ItemAvailability]:
    """Availability of items the caller already chose (one page of a member's list), in two queries."""
    return _availability(items) if items else []


def archived_items(*, registry: Registry) -> list[Item]:
    return list(registry.items.filter(archived_at__isnull=False, off_list=False).order_by("-archived_at"))


def _availability(items: list[Item], registry_id: int | None = None) -> list[ItemAvailability]:
    """Two queries whatever the number of items (the registry page must not grow with its list)."""
    # For a whole registry, the gifts app filters on the registry rather than a list of hundreds of ids.
    ids = None if registry_id is not None else [item.pk for item in items]
    totals = gift_facts.item_totals(item_ids=ids, registry_id=registry_id)
    return [
        ItemAvailability(
            item=item,
            given=totals.given.get(item.pk, 0),
            reserved=totals.held.get(item.pk, 0),
            contributed=_money(totals.contributed[item.pk]) if item.pk in totals.given else Decimal("0.00"),
        )
        for item in items
    ]


def _money(value: Decimal | None) -> Decimal:
    # SQLite sums decimals as floats; bring them back to cents.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def item_for_share_key(*, share_key: str, item_id: int) -> Item | None:
    """An item on the list a guest's link opens (never an archived or off-list one, and none of a registry
    that stepped back)."""
    registry = registry_for_share_key(share_key=share_key)
    if registry is None or registry_is_stepped_back(registry=registry):
        return None
    return registry.items.filter(pk=item_id, archived_at__isnull=True, off_list=False).first()


def item_for_member(*, user: User, item_id: int, registry_id: int | None = None) -> Item:
    items = Item.objects.select_related("registry").filter(pk=item_id, registry__members__user=user)
    if registry_id is not None:
        items = items.filter(registry_id=registry_id)
    item = items.first()
    if item is None:
        raise Http404("No such item")
    return item


# --- Search ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    """All that search reveals about a registry: its title, its registrants' names and the event month."""

    title: str
    names: list[str]
    event_month: date | None
    share_key: str


def registry_search(*, name: str, month: date | None = None, city: str = "") -> list[SearchResult]:
    """Public registries whose registrants' names start with every word given.

    Link-only, private, paused and archived registries never appear, nor those whose owner is in quiet mode.
    City narrows the search only among registries whose registrants chose to show their city; results never
    show it.

    Each statement is the ORM's, compiled once per shape (compiled_queries.py): the querysets below say what
    is asked, the request's words, dates and ids are its parameters.
    """
    terms = [term for term in search_terms(name) if len(term) >= SEARCH_MIN_LETTERS]
    if not terms:
        return []
    narrowing = _Narrowing.of(month, city)
    # How common is each word? Its matches are counted, up to SEARCH_RARE_MATCHES + 1 (in rows, not
    # registries: a registry matches a prefix once per word of its names that starts so), and only a rare
    # word's are read: counting in the database costs a fifth of reading hundreds of ids.
    term_marker = {"term": compiled_queries.text_marker("term")}
    probe = compiled_queries.compiled(("probe", SEARCH_RARE_MATCHES), _probe, term_marker, ["registry_id"])
    count = compiled_queries.compiled(
        ("probe count", SEARCH_RARE_MATCHES), _probe, term_marker, ["registry_id"], counted=True
    )
    # A rare word's registries; None for a common word's, which were not read.
    probes: list[list[int] | None] = [
        [row[0] for row in probe.rows({"term": term})]
        if count.rows({"term": term})[0][0] <= SEARCH_RARE_MATCHES
        else None
        for term in terms
    ]
    rare = [set(ids) for ids in probes if ids is not None]
    if not rare and len(terms) > 1:
        # Several common words ("alex rivera"): their few registries in common are found here, from each
        # word's matches, faster than by walking the order index against every word.
        common_ids = compiled_queries.compiled(
            ("common", len(terms), SEARCH_RARE_MATCHES), _common, _term_markers(len(terms)), ["registry_id"]
        ).rows(_term_values(terms))
        if len(common_ids) <= SEARCH_RARE_MATCHES:
            rare = [{row[0] for row in common_ids}]
            probes = [[] for _ in terms]  # every word checked: nothing left to check in SQL
    candidates = set.intersection(*rare) if rare else set()
    if rare and len(candidates) <= SEARCH_RARE_MATCHES:
        unread = [term for term, ids in zip(terms, probes, strict=True) if ids is None]
        found = _search_few(candidates, unread, narrowing)
    else:
        found = _search_many(terms, narrowing)
    names: dict[int, list[str]] = {}
    if found:
        ids = [row[0] for row in found]
        statement = compiled_queries.compiled(
            ("names", _bucket(len(ids))), _names, _id_markers(_bucket(len(ids))), ["registry_id", "name"]
        )
        for registry_id, display_name in statement.rows(_id_values(ids)):
            names.setdefault(registry_id, []).append(display_name)
    return [
        SearchResult(
            title=title,
            names=names.get(pk, []),
            event_month=event_date.replace(day=1) if event_date else None,
            share_key=share_key,
        )
        for pk, title, event_date, share_key in found
    ]


@dataclass(frozen=True)
class _Narrowing:
    """The month and city a search is narrowed by, as its statements' shape and values."""

    first: date | None
    following: date | None
    city: str

    @classmethod
    def of(cls, month: date | None, city: str) -> _Narrowing:
        if month is None:
            return cls(None, None, city.strip())
        first = month.replace(day=1)
        following = (
            first.replace(year=first.year + 1, month=1)
            if first.month == 12
            else first.replace(month=first.month + 1)
        )
        return cls(first, following, city.strip())

    @property
    def shape(self) -> tuple[bool, bool]:
        return (self.first is not None, bool(self.city))

    def markers(self) -> dict[str, Any]:
        markers: dict[str, Any] = {}
        if self.first is not None:
            markers["first"] = compiled_queries.date_marker(0)
            markers["following"] = compiled_queries.date_marker(1)
        if self.city:
            markers["city"] = compiled_queries.text_marker("city")
        return markers

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.first is not None and self.following is not None:
            values["first"] = compiled_queries.date_parameter(self.first)
            values["following"] = compiled_queries.date_parameter(self.following)
        if self.city:
            values["city"] = compiled_queries.iexact_parameter(self.city)
        return values


def _narrowing_q(first: date | None = None, following: date | None = None, city: str = "") -> Q:
    narrowing = Q()
    if first is not None:
        narrowing &= Q(event_date__gte=first, event_date__lt=following)
    if city:
        narrowing &= Q(show_city_region=True, city__iexact=city)
    return narrowing


def _matching(term: str) -> QuerySet[RegistrySearchName]:
    # A range on the indexed term is a prefix match every database answers from the index.
    return RegistrySearchName.objects.filter(term__gte=term, term__lt=term + "\U0010ffff")


def _probe(term: str) -> QuerySet[Any]:
    return _matching(term).values_list("registry_id")[: SEARCH_RARE_MATCHES + 1]


def _common(**terms: str) -> QuerySet[Any]:
    ids = [_matching(term).values_list("registry_id") for term in terms.values()]
    return ids[0].intersection(*ids[1:])[: SEARCH_RARE_MATCHES + 1]


def _names(**ids: int) -> QuerySet[Any]:
    return (
        RegistryMember.objects.filter(registry_id__in=list(ids.values()), role__in=SEARCHABLE_ROLES)
        .filter(~Q(user__display_name=""))
        .order_by("registry_id", "joined_at")
        .annotate(name=F("user__display_name"))
        .values_list("registry_id", "name")
    )


def _term_markers(count: int) -> dict[str, Any]:
    return {f"term{i}": compiled_queries.text_marker(f"term{i}") for i in range(count)}


def _term_values(terms: list[str]) -> dict[str, Any]:
    return {f"term{i}": term for i, term in enumerate(terms)}


def _bucket(count: int) -> int:
    """Lists of ids are asked in a few sizes (powers of two), so a few statements serve every count."""
    size = 1
    while size < count:
        size *= 2
    return size


def _id_markers(count: int) -> dict[str, Any]:
    return {f"id{i}": compiled_queries.id_marker(i) for i in range(count)}


def _id_values(ids: list[int]) -> dict[str, Any]:
    """`ids` padded to their bucket by repeating the first: asking for an id twice finds it once."""
    padded = ids + [ids[0]] * (_bucket(len(ids)) - len(ids))
    return {f"id{i}": registry_id for i, registry_id in enumerate(padded)}


def _findable() -> Q:
    """The registries search may show: public, neither archived nor stepped back (paused, or an owner in quiet
    mode). paused_at is in stepped_back() too; said here on its own it is an equality the order index uses."""
    return Q(visibility=Visibility.PUBLIC, archived_at__isnull=True, paused_at__isnull=True) & ~stepped_back()


_SEARCH_FIELDS = ("pk", "title", "event_date", "share_key")
_SearchRow = tuple[int, str, date | None, str]


def _search_few(candidates: set[int], unread: list[str], narrowing: _Narrowing) -> list[_SearchRow]:
    """A page of results among a few registries (those of a rare word): read by key, sorted here. `unread`
    are the common words whose matches were not all read: each candidate is checked against them.

    Whether each is findable is worked out in the SELECT, not the WHERE: given "visibility = 'public'" in the
    WHERE, SQLite (without statistics) walks the order index through every findable registry to find these
    few, which at 100,000 registries costs more than the rest of the page."""
    if not candidates:
        return []
    ids = sorted(candidates)
    size = _bucket(len(ids))
    statement = compiled_queries.compiled(
        ("few", size, len(unread), narrowing.shape),
        _few,
        {**_id_markers(size), **_term_markers(len(unread)), **narrowing.markers()},
        [*_SEARCH_FIELDS, "findable"],
    )
    rows = statement.rows({**_id_values(ids), **_term_values(unread), **narrowing.values()})
    order = _search_order(nulls_first=connection.features.nulls_order_largest)
    found = [
        (pk, title, compiled_queries.read_date(event_date), share_key)
        for pk, title, event_date, share_key, findable in rows
        if findable
    ]
    return sorted(found, key=order)[:SEARCH_RESULTS_LIMIT]


def _few(**markers: Any) -> QuerySet[Any]:
    ids = [value for name, value in markers.items() if name.startswith("id")]
    terms = [value for name, value in markers.items() if name.startswith("term")]
    registries = Registry.objects.filter(_narrowing_q(**_narrowing_of(markers)), pk__in=ids)
    for term in terms:
        # By registry on the foreign key's index: "IN (every match of the word)" read thousands of rows.
        registries = registries.filter(Exists(_matching(term).filter(registry_id=OuterRef("pk"))))
    return registries.annotate(
        findable=ExpressionWrapper(_findable(), output_field=BooleanField())
    ).values_list(*_SEARCH_FIELDS, "findable")


def _search_many(terms: list[str], narrowing: _Narrowing) -> list[_SearchRow]:
    """A page of results when every word is common (thousands of matches for "maria"): the findable
    registries are walked in result order on the order index (registry_search_order), each checked against
    the words' matches, and the walk stops at a page. Reading every match by key and sorting them cost ten
    times as much."""
    statement = compiled_queries.compiled(
        ("many", len(terms), narrowing.shape, SEARCH_RESULTS_LIMIT),
        _many,
        {**_term_markers(len(terms)), **narrowing.markers()},
        _SEARCH_FIELDS,
    )
    return [
        (pk, title, compiled_queries.read_date(event_date), share_key)
        for pk, title, event_date, share_key in statement.rows({**_term_values(terms), **narrowing.values()})
    ]


def _many(**markers: Any) -> QuerySet[Any]:
    terms = [value for name, value in markers.items() if name.startswith("term")]
    registries = Registry.objects.filter(_findable(), _narrowing_q(**_narrowing_of(markers)))
    for term in terms:
        registries = registries.filter(pk__in=_matching(term).values("registry_id"))
    return registries.order_by("-event_date", "pk").values_list(*_SEARCH_FIELDS)[:SEARCH_RESULTS_LIMIT]


def _narrowing_of(markers: dict[str, Any]) -> dict[str, Any]:
    return {name: markers[name] for name in ("first", "following", "city") if name in markers}


def _search_order(*, nulls_first: bool) -> Callable[[_SearchRow], tuple[int, int, int]]:
    """The key that sorts rows as ORDER BY event_date DESC, id does on this database: PostgreSQL puts a
    missing date first (NULL sorts as the largest value), SQLite last."""
    missing = 0 if nulls_first else 2

    def key(row: _SearchRow) -> tuple[int, int, int]:
        pk, _title, event_date, _share_key = row
        if event_date is None:
            return (missing, 0, pk)
        return (1, -event_date.toordinal(), pk)

    return key


@dataclass(frozen=True)
class RegistryStanding:
    """What a registry is right now, for its members' pages: those must never say "anyone with this link
    can give" or "findable by name" while the registry is paused, archived, or closed by its owner's quiet
    mode."""

    paused: bool
    archived: bool
    owner_quiet: bool

    @property
    def open_to_givers(self) -> bool:
        return not (self.paused or self.archived or self.owner_quiet)

    @property
    def label(self) -> str:
        if self.archived:
            return "Archived"
        if self.paused:
            return "Paused"
        if self.owner_quiet:
            return "Closed while its owner is in quiet mode"
        return "Open"


def _quiet_owner(registry_id: Any) -> QuerySet[RegistryMember]:
    return RegistryMember.objects.filter(
        registry_id=registry_id, role=MemberRole.OWNER, user__quiet_since__isnull=False
    )


def registry_standing(*, registry: Registry) -> RegistryStanding:
    """For a registry the caller already obtained as a member (registry_for_member or member_for)."""
    return _standing(registry, owner_quiet=_quiet_owner(registry.pk).exists())


def _standing(registry: Registry, *, owner_quiet: bool) -> RegistryStanding:
    return RegistryStanding(
        paused=registry.paused_at is not None,
        archived=registry.archived_at is not None,
        owner_quiet=owner_quiet,
    )


def registry_page_for_member(*, user: User, registry_id: int) -> tuple[Registry, RegistryStanding]:
    """registry_for_member and registry_standing in one query, for a member page's GET (the registry page,
    the Thank You List): read in the same statement, so as current as the two apart. 404 for a non-member."""
    registry = (
        Registry.objects.filter(pk=registry_id, members__user=user)
        .annotate(owner_is_quiet=Exists(_quiet_owner(OuterRef("pk"))))
        .first()
    )
    if registry is None:
        raise Http404("No such registry")
    return registry, _standing(registry, owner_quiet=registry.owner_is_quiet)
