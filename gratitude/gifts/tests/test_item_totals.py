"""A whole registry's item totals (one SQL statement written once per process) answer exactly what the ORM's
per-item formulation answers: active gifts' units and money, units held right now, nothing from a cancelled
gift, a released or lapsed hold, or another registry. The registry page and the share page show them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from gratitude.gifts.selectors import item_totals
from gratitude.gifts.services import gift_cancel, gift_contribute, reservation_create, reservation_release
from gratitude.testing.factories import make_gift, make_item, make_registry

pytestmark = pytest.mark.django_db


def test_the_whole_registry_statement_answers_as_the_per_item_queries():
    registry = make_registry()
    plain = make_item(registry=registry, quantity=6)
    group = make_item(registry=registry, quantity=1, price=Decimal("100.00"), group_gift=True)
    untouched = make_item(registry=registry, quantity=2)
    make_gift(item=plain, quantity=2)
    gift_cancel(gift=make_gift(item=plain, quantity=1))
    gift_contribute(item=group, giver_name="Ana", amount=Decimal("12.34"))
    gift_contribute(item=group, giver_name="Bo", amount=Decimal("0.66"))
    reservation_create(item=plain, giver_name="Held", quantity=1)
    reservation_release(reservation=reservation_create(item=plain, giver_name="Let go", quantity=1))
    elsewhere = make_item(registry=make_registry(), quantity=3)
    make_gift(item=elsewhere, quantity=3)
    ids = [plain.pk, group.pk, untouched.pk]

    whole = item_totals(None, registry.pk)

    assert whole == item_totals(ids, None)
    assert whole.given == {plain.pk: 2, group.pk: 2}
    assert whole.contributed[group.pk] == Decimal("13.00")
    assert whole.held == {plain.pk: 1}


def test_a_hold_that_lapsed_is_no_longer_counted_by_the_whole_registry_statement():
    registry = make_registry()
    item = make_item(registry=registry, quantity=3)
    hold = reservation_create(item=item, giver_name="Held", quantity=2)
    assert item_totals(None, registry.pk).held == {item.pk: 2}
    with time_machine.travel(hold.expires_at + timedelta(seconds=1)):
        assert timezone.now() > hold.expires_at
        assert item_totals(None, registry.pk).held == {}
        assert item_totals(None, registry.pk) == item_totals([item.pk], None)
