"""While a registry keeps gifts a surprise ("covered only"), its members see the same covered-only view on
every page behind the share link: the give, reserve and contribute pages show no count still wanted and no
funding progress, offer no givers' form, and record nothing when posted to. Guests see them as always."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from gratitude.gifts.models import Gift, Reservation
from gratitude.gifts.services import gift_contribute
from gratitude.registries.models import MemberRole
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

POSTS = {
    "give": {"giver_name": "Robin", "quantity": "1"},
    "reserve": {"giver_name": "Robin", "quantity": "1"},
    "contribute": {"giver_name": "Robin", "amount": "10"},
}


@pytest.fixture
def surprise():
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only")
    plain = make_item(registry=registry, title="Teapot", quantity=2)
    group = make_item(registry=registry, title="Stroller", quantity=1, price=Decimal("200"), group_gift=True)
    make_gift(item=plain, giver_name="Jordan")
    gift_contribute(item=group, giver_name="Jordan", amount=Decimal("50"))
    return owner, registry, {"give": plain, "reserve": plain, "contribute": group}


def _url(page: str, registry, item) -> str:
    return reverse(f"gifts:{page}", args=[registry.share_key, item.pk])


@pytest.mark.parametrize("role", ["owner", MemberRole.CO_REGISTRANT, MemberRole.DELEGATE])
@pytest.mark.parametrize("page", ["give", "reserve", "contribute"])
def test_a_member_sees_the_covered_only_view_and_cannot_post(surprise, page, role):
    owner, registry, items = surprise
    member = owner
    if role != "owner":
        member = make_user()
        registry_member_add(registry=registry, user=member, role=role)
    client = Client()
    client.force_login(member)
    gifts, holds = Gift.objects.count(), Reservation.objects.count()

    shown = client.get(_url(page, registry, items[page]))
    posted = client.post(_url(page, registry, items[page]), POSTS[page])

    content = shown.content.decode()
    assert shown.status_code == 200
    assert 'data-testid="surprise-notice"' in content
    assert "still wanted" not in content and "still needed" not in content and "so far" not in content
    assert 'data-testid="progress"' not in content and '<form method="post" novalidate>' not in content
    assert posted.status_code == 403
    assert (Gift.objects.count(), Reservation.objects.count()) == (gifts, holds)


@pytest.mark.parametrize("page", ["give", "reserve", "contribute"])
def test_a_guest_still_sees_what_is_wanted(surprise, page):
    _owner, registry, items = surprise

    content = Client().get(_url(page, registry, items[page])).content.decode()

    assert "surprise-notice" not in content
    assert ("still needed" if page == "contribute" else "still wanted") in content
