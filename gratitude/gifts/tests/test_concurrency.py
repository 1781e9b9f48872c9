"""Quantities never go wrong under concurrency: many givers racing for the same item, each in its own thread
with its own database connection, exactly as many succeed as were wanted (the item row is locked; on SQLite
the IMMEDIATE transaction serialises writers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from gratitude.core.errors import NotEnoughWanted
from gratitude.gifts.models import Gift, Reservation
from gratitude.gifts.services import gift_contribute, gift_record, reservation_create
from gratitude.registries.models import Item
from gratitude.registries.selectors import item_availability
from gratitude.testing.factories import make_item

pytestmark = pytest.mark.django_db(transaction=True)


def _race(count: int, attempt: Callable[[int], object]) -> tuple[int, int, list[BaseException]]:
    """Run `attempt(n)` in `count` threads released together; return (succeeded, refused, other errors)."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            attempt(n)
        except NotEnoughWanted:
            with lock:
                outcomes.append("refused")
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            with lock:
                errors.append(exc)
        else:
            with lock:
                outcomes.append("ok")
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes.count("ok"), outcomes.count("refused"), errors


def _twenty_reservations_for_three(item: Item) -> None:
    succeeded, refused, errors = _race(
        20, lambda n: reservation_create(item=Item.objects.get(pk=item.pk), giver_name=f"Giver {n}")
    )

    assert errors == []
    assert (succeeded, refused) == (3, 17)
    assert Reservation.objects.filter(item=item).count() == 3
    assert item_availability(item=item).still_wanted == 0


def test_twenty_concurrent_reservations_for_an_item_wanting_three_on_postgresql(require_postgres):
    _twenty_reservations_for_three(make_item(quantity=3))


def test_twenty_concurrent_reservations_for_an_item_wanting_three_on_sqlite_too():
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL pass runs the test above")
    _twenty_reservations_for_three(make_item(quantity=3))


def test_givers_racing_reservations_and_purchases_never_oversell_on_postgresql(require_postgres):
    item = make_item(quantity=5)

    def attempt(n: int) -> object:
        fresh = Item.objects.get(pk=item.pk)
        if n % 2:
            return gift_record(item=fresh, giver_name=f"Buyer {n}")
        return reservation_create(item=fresh, giver_name=f"Holder {n}")

    succeeded, refused, errors = _race(16, attempt)

    assert errors == []
    assert (succeeded, refused) == (5, 11)
    availability = item_availability(item=item)
    assert availability.given + availability.reserved == 5


def test_contributions_racing_for_the_rest_of_a_group_gift_never_pass_its_price_on_postgresql(
    require_postgres,
):
    item = make_item(quantity=1, price=Decimal("100"), group_gift=True)

    succeeded, refused, errors = _race(
        10,
        lambda n: gift_contribute(
            item=Item.objects.get(pk=item.pk), giver_name=f"G{n}", amount=Decimal("30")
        ),
    )

    assert errors == []
    assert (succeeded, refused) == (3, 7)
    assert item_availability(item=item).contributed == Decimal("90.00")
    assert Gift.objects.filter(item=item).count() == 3
