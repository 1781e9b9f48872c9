"""A registrant removes a gift they never got (a stranger recorded it on their public registry): it leaves the
Thank You List, the item is wanted again, nobody gets a message, and who removed it and why is recorded.
Only the owner and co-registrants may; a delegate, a giver or a stranger may not, and the page needs its
CSRF token."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from gratitude.core.errors import GratitudeError, PermissionDenied
from gratitude.gifts.models import Gift, GiftRemoval, GiftState
from gratitude.gifts.services import gift_remove
from gratitude.notifications.models import Notification, NotificationState
from gratitude.registries.selectors import item_availability
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


def _fake_gift(**gift_fields):
    owner = make_user(display_name="Alex Rivera")
    registry = make_registry(owner=owner, title="Alex & Sam's wedding", visibility="public")
    item = make_item(registry=registry, title="Wooden salad bowl", quantity=2)
    gift = make_gift(item=item, giver_name="Someone Unknown", quantity=2, **gift_fields)
    return owner, registry, item, gift


def _remove_url(registry, gift):
    return reverse("member_gifts:remove", args=[registry.pk, gift.pk])


def test_removing_takes_the_gift_off_the_list_makes_the_item_wanted_again_and_records_who_and_why(client):
    owner, registry, item, gift = _fake_gift()
    assert item_availability(item=item).still_wanted == 0
    client.force_login(owner)
    thanks_url = reverse("thanks:list", args=[registry.pk])
    assert "Someone Unknown" in client.get(thanks_url).content.decode()

    response = client.post(_remove_url(registry, gift), {"reason": "We don't know them", "back_to": "thanks"})

    assert response.status_code == 302 and response["Location"] == thanks_url
    gift.refresh_from_db()
    assert gift.state == GiftState.CANCELLED
    assert item_availability(item=item).still_wanted == 2
    assert "wanted again, and nobody was told" in client.get(thanks_url).content.decode()
    assert "Someone Unknown" not in client.get(thanks_url).content.decode()
    removal = GiftRemoval.objects.get()
    assert (removal.gift, removal.by, removal.reason) == (gift, owner, "We don't know them")
    # The giver's page wants the item again.
    shared = client.get(reverse("gifts:shared_registry", args=[registry.share_key])).content.decode()
    assert "Wooden salad bowl" in shared and "2 of 2" in shared


@pytest.mark.django_db(transaction=True)
def test_nobody_is_told_of_a_removed_gift(smtp_settings):
    co_registrant = make_user(display_name="Sam")
    owner, registry, _item, gift = _fake_gift(
        giver_email="stranger@example.test", send_receipt=True, message="Hello"
    )
    registry_member_add(registry=registry, user=co_registrant)
    # A second gift after Sam joined: Sam's alert for it is queued as well.
    later = make_gift(item=make_item(registry=registry), giver_name="Another Stranger")
    queued = Notification.objects.filter(gift__in=[gift, later])
    assert {row.kind for row in queued} == {"gift_alert", "gift_receipt"}

    gift_remove(gift=gift, by=owner, reason="fake")
    gift_remove(gift=later, by=co_registrant, reason="fake too")
    call_command("worker", drain=True, verbosity=0)

    assert smtp_settings.messages == []
    assert set(queued.values_list("state", "reason")) == {(NotificationState.SUPPRESSED, "gift_cancelled")}


def test_a_delegate_a_stranger_and_a_giver_cannot_remove_a_gift(client):
    _owner, registry, _item, gift = _fake_gift()
    delegate = make_user()
    registry_member_add(registry=registry, user=delegate, role="delegate")
    stranger = make_user()

    with pytest.raises(PermissionDenied):
        gift_remove(gift=gift, by=delegate)
    with pytest.raises(PermissionDenied):
        gift_remove(gift=gift, by=stranger)
    client.force_login(delegate)
    assert client.post(_remove_url(registry, gift)).status_code == 403
    client.force_login(stranger)
    assert client.post(_remove_url(registry, gift)).status_code == 404  # not even told the registry exists
    client.logout()
    assert client.post(_remove_url(registry, gift)).status_code == 302  # to the login page
    gift.refresh_from_db()
    assert gift.state == GiftState.ACTIVE
    assert not GiftRemoval.objects.exists()


def test_removing_needs_a_post_with_the_csrf_token(client):
    owner, registry, _item, gift = _fake_gift()
    client.force_login(owner)
    assert client.get(_remove_url(registry, gift)).status_code == 405
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(owner)

    assert checked.post(_remove_url(registry, gift), {"reason": "x"}).status_code == 403
    gift.refresh_from_db()
    assert gift.state == GiftState.ACTIVE


def test_a_removed_gift_cannot_be_removed_twice_and_a_long_reason_is_refused(client):
    owner, registry, _item, gift = _fake_gift()
    with pytest.raises(GratitudeError, match="at most 200"):
        gift_remove(gift=gift, by=owner, reason="x" * 201)
    client.force_login(owner)
    response = client.post(_remove_url(registry, gift), {"reason": "x" * 201}, follow=True)
    assert "Nothing was removed" in response.content.decode()
    assert Gift.objects.get().state == GiftState.ACTIVE

    gift_remove(gift=gift, by=owner)
    with pytest.raises(GratitudeError, match="already removed"):
        gift_remove(gift=gift, by=owner)
    # Gone from the registrants' pages: a second press finds no such gift.
    assert client.post(_remove_url(registry, gift)).status_code == 404
    assert GiftRemoval.objects.count() == 1


def test_the_gifts_page_offers_removal_and_returns_to_itself(client):
    owner, registry, _item, gift = _fake_gift()
    client.force_login(owner)
    page = client.get(reverse("member_gifts:list", args=[registry.pk])).content.decode()
    assert _remove_url(registry, gift) in page
    thanks_page = client.get(reverse("thanks:gift", args=[registry.pk, gift.pk])).content.decode()
    assert _remove_url(registry, gift) in thanks_page

    response = client.post(_remove_url(registry, gift), {"back_to": "gifts"})

    assert response["Location"] == reverse("member_gifts:list", args=[registry.pk])
