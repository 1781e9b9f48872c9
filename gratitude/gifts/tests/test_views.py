"""Guest pages behind a share link: the list, recording a purchase, the receipt, and bad links."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gratitude.gifts.models import Gift, Reservation
from gratitude.notifications.models import Notification
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

LINK_NOT_FOUND = "This link doesn't open a registry"
GIFT_POST = {"giver_name": "Robin", "giver_email": "robin@example.test", "quantity": "1", "message": "Enjoy!"}


def _shared(key: str) -> str:
    return reverse("gifts:shared_registry", args=[key])


def _give(key: str, item_id: int) -> str:
    return reverse("gifts:give", args=[key, item_id])


def _tampered(key: str) -> str:
    replacement = "A" if key[-1] != "A" else "B"
    return key[:-1] + replacement


def _assert_link_not_found(response) -> None:
    assert response.status_code == 404
    assert LINK_NOT_FOUND in response.content.decode()


# --- The shared list -------------------------------------------------------------------------


def test_a_guest_sees_the_items_and_how_many_are_still_wanted(client):
    registry = make_registry(title="Housewarming")
    item = make_item(registry=registry, title="Napkins", quantity=4)
    make_gift(item=item, quantity=1)

    response = client.get(_shared(registry.share_key))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Housewarming" in content
    assert "Napkins" in content
    assert "3 of 4" in content
    assert _give(registry.share_key, item.pk) in content


def test_a_fully_given_item_shows_as_covered_without_a_give_button(client):
    registry = make_registry()
    item = make_item(registry=registry, quantity=1)
    make_gift(item=item)

    response = client.get(_shared(registry.share_key))

    assert "Covered" in response.content.decode()
    assert _give(registry.share_key, item.pk) not in response.content.decode()


def test_a_tampered_share_link_answers_404_with_a_clear_page(client):
    registry = make_registry()
    make_item(registry=registry, title="Teapot")

    response = client.get(_shared(_tampered(registry.share_key)))

    _assert_link_not_found(response)
    assert b"Teapot" not in response.content


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_give_link_answers_404_and_records_nothing(client, method):
    registry = make_registry()
    item = make_item(registry=registry)

    response = getattr(client, method)(_give(_tampered(registry.share_key), item.pk), GIFT_POST)

    _assert_link_not_found(response)
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_share_link_cannot_give_to_another_registrys_item(client):
    registry = make_registry()
    other_item = make_item(registry=make_registry())

    response = client.post(_give(registry.share_key, other_item.pk), GIFT_POST)

    _assert_link_not_found(response)
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_private_registrys_share_link_answers_404(client):
    registry = make_registry(visibility="private")
    item = make_item(registry=registry, title="Secret teapot")

    listing = client.get(_shared(registry.share_key))
    giving = client.post(_give(registry.share_key, item.pk), GIFT_POST)

    _assert_link_not_found(listing)
    assert b"Secret teapot" not in listing.content
    _assert_link_not_found(giving)
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_public_registrys_share_link_opens(client):
    registry = make_registry(visibility="public", title="Open house")

    response = client.get(_shared(registry.share_key))

    assert response.status_code == 200
    assert b"Open house" in response.content


def test_the_guest_page_escapes_html_in_an_item_title(client):
    registry = make_registry(title="<b>Bold</b> party")
    make_item(registry=registry, title="<script>alert('xss')</script>")

    response = client.get(_shared(registry.share_key))

    content = response.content.decode()
    assert "<script>alert(" not in content
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in content
    assert "<b>Bold</b>" not in content
    assert "&lt;b&gt;Bold&lt;/b&gt; party" in content


# --- Recording a purchase --------------------------------------------------------------------


def test_a_guest_records_a_purchase_which_alerts_the_registrants_and_shows_a_receipt(client):
    owner = make_user()
    registry = make_registry(owner=owner, title="Housewarming")
    item = make_item(registry=registry, title="Teapot", quantity=2)

    response = client.post(_give(registry.share_key, item.pk), GIFT_POST)

    assert response.status_code == 302
    assert response["Location"] == reverse("gifts:receipt", args=[registry.share_key])
    gift = Gift.objects.get()
    assert (gift.item_id, gift.giver_name, gift.giver_email, gift.message, gift.quantity, gift.source) == (
        item.pk,
        "Robin",
        "robin@example.test",
        "Enjoy!",
        1,
        "guest",
    )
    alert = Notification.objects.get()
    assert (alert.kind, alert.recipient_id, alert.gift_id) == ("gift_alert", owner.pk, gift.pk)
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert "Thank you, Robin" in receipt.content.decode()
    assert "Teapot" in receipt.content.decode()


def test_the_receipt_is_only_for_the_browser_that_gave(client):
    registry = make_registry()
    item = make_item(registry=registry)
    client.post(_give(registry.share_key, item.pk), GIFT_POST)

    other_browser = Client()
    response = other_browser.get(reverse("gifts:receipt", args=[registry.share_key]))

    _assert_link_not_found(response)
    assert b"Robin" not in response.content


def test_giving_more_than_still_wanted_shows_a_form_error_and_records_nothing(client):
    registry = make_registry()
    item = make_item(registry=registry, title="Teapot", quantity=2)
    make_gift(item=item, quantity=1)
    gifts_before, alerts_before = Gift.objects.count(), Notification.objects.count()

    response = client.post(_give(registry.share_key, item.pk), {**GIFT_POST, "quantity": "2"})

    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert "Only 1 of “Teapot” still wanted; you asked for 2." in errors[0]
    assert "Only 1 of “Teapot” still wanted" in response.content.decode()
    assert Gift.objects.count() == gifts_before
    assert Notification.objects.count() == alerts_before


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_giving_a_quantity_below_one_shows_a_form_error_and_records_nothing(client, quantity):
    registry = make_registry()
    item = make_item(registry=registry)

    response = client.post(_give(registry.share_key, item.pk), {**GIFT_POST, "quantity": quantity})

    assert response.status_code == 400
    assert response.context["form"].errors["quantity"]
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_giving_without_a_name_shows_a_form_error_and_records_nothing(client):
    registry = make_registry()
    item = make_item(registry=registry)

    response = client.post(_give(registry.share_key, item.pk), {**GIFT_POST, "giver_name": "   "})

    assert response.status_code == 400
    assert response.context["form"].errors["giver_name"]
    assert Gift.objects.count() == 0


def test_recording_a_purchase_without_a_csrf_token_is_refused():
    registry = make_registry()
    item = make_item(registry=registry)
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(_give(registry.share_key, item.pk), GIFT_POST)

    assert response.status_code == 403
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


# --- Registries and givers: reserving, recording with an address, contributing, the giver's hold ---

SCRIPT = "<script>alert('x')</script>"


def _reserve(key: str, item_id: int) -> str:
    return reverse("gifts:reserve", args=[key, item_id])


def test_a_guest_reserves_then_records_the_purchase_from_their_hold_page(client):
    registry = make_registry(title="Baby Kim")
    item = make_item(registry=registry, title="Car seat", quantity=2)

    response = client.post(
        _reserve(registry.share_key, item.pk), {"giver_name": "Robin", "giver_email": "", "quantity": "1"}
    )
    reservation = Reservation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("gifts:reservation", args=[reservation.token])
    hold = client.get(response["Location"])
    assert "Held for you until" in hold.content.decode()
    assert "1 of 2" in client.get(_shared(registry.share_key)).content.decode()

    bought = client.post(
        response["Location"], {"message": "Drive safe", "share_address": "on", "giver_address": "1 Lane"}
    )

    assert bought.status_code == 302
    gift = Gift.objects.get()
    assert (gift.quantity, gift.message, gift.giver_address, gift.reservation) == (
        1,
        "Drive safe",
        "1 Lane",
        reservation,
    )
    assert "Your gift is recorded" in client.get(bought["Location"]).content.decode()


def test_a_guest_releases_their_hold_and_the_item_is_wanted_again(client):
    registry = make_registry()
    item = make_item(registry=registry, quantity=1)
    client.post(_reserve(registry.share_key, item.pk), {"giver_name": "Robin", "quantity": "1"})
    reservation = Reservation.objects.get()
    assert "Covered" in client.get(_shared(registry.share_key)).content.decode()

    response = client.post(reverse("gifts:reservation_release", args=[reservation.token]))

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Released. Thank you for letting someone else give it." in page
    assert "This hold is no longer active." in page
    assert "1 of 1" in client.get(_shared(registry.share_key)).content.decode()


def test_reserving_more_than_is_wanted_shows_a_clear_error_and_holds_nothing(client):
    registry = make_registry()
    item = make_item(registry=registry, title="Teapot", quantity=1)
    make_gift(item=item)

    response = client.post(_reserve(registry.share_key, item.pk), {"giver_name": "Robin", "quantity": "1"})

    assert response.status_code == 400
    assert "Only 0 of “Teapot” still wanted" in response.content.decode()
    assert "0 still wanted" in response.content.decode()  # the refreshed number
    assert Reservation.objects.count() == 0


def test_a_reminder_needs_an_email_address(client):
    registry = make_registry()
    item = make_item(registry=registry)

    response = client.post(
        _reserve(registry.share_key, item.pk), {"giver_name": "Robin", "quantity": "1", "remind": "on"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["remind"]
    assert Reservation.objects.count() == 0


def test_a_wrong_or_reused_hold_link_is_a_clear_404_and_a_lapsed_hold_says_so(client, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from gratitude.gifts.services import reservation_create

    reservation = reservation_create(item=make_item(), giver_name="Robin")

    assert client.get(reverse("gifts:reservation", args=["not-a-token"])).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(hours=settings.GRATITUDE_RESERVATION_HOURS + 1)):
        page = client.get(reverse("gifts:reservation", args=[reservation.token]))
    assert "This hold ended" in page.content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"giver_address": "1 Lane"}, "share_address"),
        ({"share_address": "on"}, "giver_address"),
        ({"send_receipt": "on", "giver_email": ""}, "send_receipt"),
        ({"message": "m" * 10_000}, "message"),
        ({"giver_address": "a" * 501, "share_address": "on"}, "giver_address"),
    ],
)
def test_the_address_needs_an_explicit_tick_and_long_text_is_refused(client, fields, field):
    registry = make_registry()
    item = make_item(registry=registry)

    response = client.post(_give(registry.share_key, item.pk), {**GIFT_POST, **fields})

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert Gift.objects.count() == 0
    assert Notification.objects.count() == 0


def test_recording_with_an_address_and_a_receipt(client):
    registry = make_registry()
    item = make_item(registry=registry)

    response = client.post(
        _give(registry.share_key, item.pk),
        {**GIFT_POST, "share_address": "on", "giver_address": "1 Lane", "send_receipt": "on"},
    )
    receipt = client.get(response["Location"]).content.decode()

    gift = Gift.objects.get()
    assert gift.giver_address == "1 Lane"
    assert Notification.objects.filter(kind="gift_receipt", gift=gift).count() == 1
    assert "A receipt is on its way to robin@example.test" in receipt
    assert "You shared a mailing address" in receipt


def test_a_guest_contributes_to_a_group_gift_and_sees_its_progress(client):
    from decimal import Decimal

    registry = make_registry()
    item = make_item(registry=registry, title="Stroller", quantity=1, price=Decimal("200"), group_gift=True)

    listing = client.get(_shared(registry.share_key)).content.decode()
    give_redirect = client.get(_give(registry.share_key, item.pk))
    response = client.post(
        reverse("gifts:contribute", args=[registry.share_key, item.pk]),
        {"giver_name": "Robin", "amount": "50"},
    )
    too_much = client.post(
        reverse("gifts:contribute", args=[registry.share_key, item.pk]),
        {"giver_name": "Sam", "amount": "151"},
    )

    assert "Contribute" in listing and _give(registry.share_key, item.pk) not in listing
    assert give_redirect.status_code == 302
    assert response.status_code == 302
    assert "contribution of 50.00 EUR" in client.get(response["Location"]).content.decode()
    assert too_much.status_code == 400
    assert "Only 150.00 EUR" in too_much.content.decode()
    assert "50.00 of 200.00 EUR" in client.get(_shared(registry.share_key)).content.decode()


# --- who sees what -------------------------------------------------------------------------------


def test_a_giver_never_sees_another_givers_name_email_address_or_message(client):
    from gratitude.gifts.services import reservation_create

    registry = make_registry()
    item = make_item(registry=registry, quantity=5)
    make_gift(
        item=item,
        giver_name="Secret Sam",
        giver_email="sam.secret@example.test",
        giver_address="9 Hidden Road",
        message="Private words",
    )
    other_hold = reservation_create(item=item, giver_name="Hidden Holder", giver_email="holder@example.test")
    client.post(_reserve(registry.share_key, item.pk), {"giver_name": "Robin", "quantity": "1"})
    mine = Reservation.objects.exclude(pk=other_hold.pk).get()

    pages = [
        _shared(registry.share_key),
        _give(registry.share_key, item.pk),
        _reserve(registry.share_key, item.pk),
        reverse("gifts:reservation", args=[mine.token]),
    ]
    for url in pages:
        content = client.get(url).content.decode()
        for secret in (
            "Secret Sam",
            "sam.secret",
            "9 Hidden Road",
            "Private words",
            "Hidden Holder",
            "holder@",
        ):
            assert secret not in content, (url, secret)


def test_an_archived_registrys_link_shows_the_list_closed_and_takes_no_gifts(client):
    from gratitude.registries.services.lifecycle import registry_archive

    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, title="Teapot")
    registry_archive(registry=registry, by=owner)

    page = client.get(_shared(registry.share_key)).content.decode()
    response = client.post(_give(registry.share_key, item.pk), GIFT_POST)

    assert "This registry is closed" in page
    assert _give(registry.share_key, item.pk) not in page
    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert Gift.objects.count() == 0


def test_html_and_script_in_every_giver_field_is_shown_as_text(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, title=f"Teapot {SCRIPT}", notes=f"Note {SCRIPT}")
    client.post(
        _give(registry.share_key, item.pk),
        {
            "giver_name": f"Robin {SCRIPT}",
            "giver_email": "robin@example.test",
            "quantity": "1",
            "message": f"Hi {SCRIPT}",
            "share_address": "on",
            "giver_address": f"1 Lane {SCRIPT}",
        },
    )
    client.post(_reserve(registry.share_key, item.pk), {"giver_name": f"Kim {SCRIPT}", "quantity": "1"})
    hold = Reservation.objects.get()

    guest_pages = [
        _shared(registry.share_key),
        _give(registry.share_key, item.pk),
        reverse("gifts:receipt", args=[registry.share_key]),
        reverse("gifts:reservation", args=[hold.token]),
    ]
    client.force_login(owner)
    member_pages = [
        reverse("member_gifts:list", args=[registry.pk]),
        reverse("registries:detail", args=[registry.pk]),
    ]
    for url in guest_pages + member_pages:
        content = client.get(url).content.decode()
        assert SCRIPT not in content, url
        assert "&lt;script&gt;" in content, url


# --- "covered only": the registrants' pages leak neither item nor giver ---------------------------


def _covered_only_registry(client):
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only")
    covered = make_item(registry=registry, title="Rocking horse", quantity=1)
    make_item(registry=registry, title="Blanket", quantity=2)
    make_gift(
        item=covered,
        giver_name="Aunt Robin",
        giver_email="robin@example.test",
        message="Ride on!",
        giver_address="3 Secret St",
    )
    client.force_login(owner)
    return owner, registry, covered


def test_covered_only_hides_item_status_and_givers_on_every_registrant_page(client):
    _owner, registry, covered = _covered_only_registry(client)

    pages = [
        reverse("registries:detail", args=[registry.pk]),
        reverse("registries:items", args=[registry.pk]),
        reverse("registries:item_edit", args=[registry.pk, covered.pk]),
        reverse("member_gifts:list", args=[registry.pk]),
        reverse("thanks:list", args=[registry.pk]),
        _shared(registry.share_key),  # the registrant opening their own share link
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        for secret in ("Aunt Robin", "robin@example.test", "Ride on!", "3 Secret St", "Covered"):
            assert secret not in content, (url, secret)
        if url != pages[4]:
            assert "0 of 1" not in content, url  # the guest list's "still wanted" numbers
    # The Thank You List lists the gift, but not what it was.
    assert "Rocking horse" not in client.get(pages[4]).content.decode()

    detail = client.get(pages[0]).content.decode()
    assert "1 gift so far" in detail
    assert "Reserved" not in detail and "Given" not in detail


def test_covered_only_gifts_cannot_be_marked_received_by_id(client):
    _owner, registry, covered = _covered_only_registry(client)
    gift = Gift.objects.get(item=covered)

    response = client.post(reverse("member_gifts:received", args=[registry.pk, gift.pk]))

    assert response.status_code == 404
    gift.refresh_from_db()
    assert gift.received_at is None


def test_a_guest_still_sees_what_is_covered_under_covered_only(client):
    _owner, registry, _covered = _covered_only_registry(client)
    guest = Client()

    content = guest.get(_shared(registry.share_key)).content.decode()

    assert "0 of 1" in content and "Covered" in content
    assert "Aunt Robin" not in content


# --- registrants: mark received, record by hand ----------------------------------------------------


def test_a_registrant_marks_a_gift_received_and_undoes_it(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    gift = make_gift(item=make_item(registry=registry), giver_name="Robin")
    client.force_login(owner)
    url = reverse("member_gifts:received", args=[registry.pk, gift.pk])

    client.post(url, {"received": "1"})
    gift.refresh_from_db()
    assert gift.received_at is not None
    assert "Received" in client.get(reverse("member_gifts:list", args=[registry.pk])).content.decode()
    client.post(url, {"received": "0"})
    gift.refresh_from_db()
    assert gift.received_at is None


def test_a_registrant_records_an_off_registry_gift_by_hand(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)

    response = client.post(
        reverse("member_gifts:record", args=[registry.pk]),
        {
            "giver_name": "Grandma",
            "description": "A knitted blanket",
            "quantity": "1",
            "message": "With love",
        },
    )
    missing = client.post(
        reverse("member_gifts:record", args=[registry.pk]), {"giver_name": "X", "quantity": "1"}
    )

    assert response.status_code == 302
    gift = Gift.objects.get()
    assert (gift.item.title, gift.source, gift.message) == ("A knitted blanket", "registrant", "With love")
    assert missing.status_code == 400
    assert "A knitted blanket" not in client.get(_shared(registry.share_key)).content.decode()


def test_the_share_page_makes_the_same_number_of_queries_for_5_and_50_items(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (5, 50):
        registry = make_registry()
        for n in range(size):
            item = make_item(registry=registry, quantity=2)
            if n % 3 == 0:
                make_gift(item=item)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_shared(registry.share_key)).status_code == 200
        counts.append(len(queries))

    assert counts[0] > 0
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("resumed", [False, True], ids=["paused", "resumed-since"])
def test_a_hold_released_because_the_registry_paused_is_not_said_to_be_the_givers_doing(client, resumed):
    from gratitude.gifts.services import reservation_create
    from gratitude.registries.services.pause import registry_pause, registry_resume

    owner = make_user()
    registry = make_registry(owner=owner)
    reservation = reservation_create(item=make_item(registry=registry), giver_name="Robin")
    registry_pause(registry=registry, by=owner)
    if resumed:
        registry_resume(registry=registry, by=owner)

    page = client.get(reverse("gifts:reservation", args=[reservation.token])).content.decode()

    assert "This hold is no longer active." in page
    assert "You released" not in page
    assert "Release my hold" not in page
