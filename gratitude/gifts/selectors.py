"""Reads of gifts and reservations, scoped to who is asking: a member of the registry, or a giver holding
their own reservation link. "Covered only" is applied here, so no page can forget it."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from functools import cache

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from gratitude.gifts.models import Gift, GiftSource, GiftState, Reservation, ReservationState
from gratitude.registries.gift_facts import GiftSummary, ItemTotals
from gratitude.registries.models import Registry


def _active(registry: Registry) -> QuerySet[Gift]:
    return Gift.objects.filter(registry_id=registry.pk, state=GiftState.ACTIVE)


def _member_recorded() -> Q:
    # A gift a registrant recorded by hand is no surprise to them.
    return Q(source=GiftSource.REGISTRANT)


def item_totals(item_ids: Collection[int] | None, registry_id: int | None) -> ItemTotals:
    """Units given (and money brought) by active gifts, and units held right now, per item: two queries
    whatever the number of items. Answers registries' `gift_facts.item_totals` (plugged in by GiftsConfig)."""
    if registry_id is not None:
        return _registry_item_totals(registry_id)
    gifts = Gift.objects.filter(state=GiftState.ACTIVE, item_id__in=list(item_ids or ()))
    reservations = Reservation.objects.filter(
        state=ReservationState.HELD, expires_at__gt=timezone.now(), item_id__in=list(item_ids or ())
    )
    given: dict[int, int] = {}
    contributed: dict[int, Decimal | None] = {}
    for row in gifts.values("item_id").annotate(total=Sum("quantity"), amount=Sum("amount")):
        given[row["item_id"]] = row["total"]
        contributed[row["item_id"]] = row["amount"]
    held = dict(
        reservations.values("item_id").annotate(total=Sum("quantity")).values_list("item_id", "total")
    )
    return ItemTotals(given=given, contributed=contributed, held=held)


@cache
def _registry_totals_sql() -> str:
    """The whole registry's totals in one statement, written once per process: the same two aggregates the
    ORM builds for a list of ids (active gifts' units and money; units held right now), as one UNION ALL.
    Every registry page asks this; building and compiling the two ORM queries cost more than running them."""
    gift, reservation = Gift._meta.db_table, Reservation._meta.db_table
    item = Reservation._meta.get_field("item").remote_field.model._meta.db_table
    # Only table names from the models go into the text; every value is a parameter.
    return (
        f"SELECT 1, item_id, SUM(quantity), SUM(amount) FROM {gift}"  # noqa: S608
        " WHERE registry_id = %s AND state = %s GROUP BY item_id"
        " UNION ALL"
        f" SELECT 2, r.item_id, SUM(r.quantity), NULL FROM {reservation} r"
        f" INNER JOIN {item} i ON i.id = r.item_id"
        " WHERE i.registry_id = %s AND r.state = %s AND r.expires_at > %s GROUP BY r.item_id"
    )


def _registry_item_totals(registry_id: int) -> ItemTotals:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            _registry_totals_sql(),
            [registry_id, GiftState.ACTIVE.value, registry_id, ReservationState.HELD.value, now],
        )
        rows = cursor.fetchall()
    given: dict[int, int] = {}
    contributed: dict[int, Decimal | None] = {}
    held: dict[int, int] = {}
    for which, item_id, units, amount in rows:
        if which == 1:
            given[item_id] = int(units)
            # SQLite sums decimals as floats: back to cents through their text, as the ORM's CAST gives them.
            contributed[item_id] = None if amount is None else Decimal(str(amount)).quantize(Decimal("0.01"))
        else:
            held[item_id] = int(units)
    return ItemTotals(given=given, contributed=contributed, held=held)


def gift_summary(*, registry: Registry) -> GiftSummary:
    """How many gifts, and how many of them are hidden: all a registrant sees while "covered only" holds."""
    gifts = _active(registry)
    total = gifts.count()
    hidden = gifts.exclude(_member_recorded()).count() if registry.hides_gift_details() else 0
    return GiftSummary(total=total, hidden=hidden)


def _visible_to_members(registry: Registry) -> QuerySet[Gift]:
    gifts = _active(registry).select_related("item").order_by("-created_at", "-pk")
    return gifts.filter(_member_recorded()) if registry.hides_gift_details() else gifts


def gifts_for_member(*, registry: Registry) -> list[Gift]:
    """The gifts a member may see in detail (the caller got `registry` through registry_for_member)."""
    return list(_visible_to_members(registry))


def gift_for_member(*, registry: Registry, gift_id: int) -> Gift:
    """One gift a member may act on; a gift "covered only" hides is as absent as one that does not exist."""
    gift = _visible_to_members(registry).filter(pk=gift_id).first()
    if gift is None:
        raise Http404("No such gift")
    return gift


def reservation_for_token(*, token: str) -> Reservation | None:
    """The hold a giver's own link opens (from the page after reserving, or the reminder mail)."""
    if not token:
        return None
    return Reservation.objects.select_related("item__registry").filter(token=token).first()


def gift_for_reservation(*, reservation: Reservation) -> Gift | None:
    """The gift a hold became, for its giver's page (the giver holds the reservation's link)."""
    return Gift.objects.filter(reservation=reservation).select_related("item").first()


def holds_in_this_browser(*, registry: Registry, reservation_ids: list[int]) -> list[Reservation]:
    """The current holds on `registry` made in this browser: `reservation_ids` come from the giver's own
    session (gifts.views.reserve keeps them), so "you reserved this" shows only to whoever made the hold."""
    ids = [pk for pk in reservation_ids if isinstance(pk, int)]
    if not ids:
        return []
    return list(
        Reservation.objects.filter(
            pk__in=ids,
            item__registry=registry,
            state=ReservationState.HELD,
            expires_at__gt=timezone.now(),
        ).order_by("expires_at")
    )
