"""What a giver sees and can say (docs/registries.md, "Givers"): "you reserved this" on the list, for the
browser that made the hold and nobody else; times in the registry's own time zone; and "I bought it
elsewhere" / "I bought something similar", which cover the item and land on the Thank You List like any gift,
with the giver's words kept off every message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from gratitude.core.errors import GratitudeError
from gratitude.gifts.models import Gift, GiftBought, Reservation
from gratitude.gifts.services import gift_record, reservation_create, reservation_release
from gratitude.registries.selectors import item_availability
from gratitude.registries.services.registries import registry_update
from gratitude.testing.factories import make_item, make_registry, make_user

GIFT_POST = {"giver_name": "Robin", "giver_email": "robin@example.test", "quantity": "1"}


def _share(registry) -> str:
    return reverse("gifts:shared_registry", args=[registry.share_key])


def _reserve(client: Client, registry, item) -> Reservation:
    response = client.post(
        reverse("gifts:reserve", args=[registry.share_key, item.pk]), {"giver_name": "Jo", "quantity": "1"}
    )
    assert response.status_code == 302
    return Reservation.objects.get(token=response["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.mark.django_db
def test_you_reserved_this_shows_to_the_browser_that_holds_it_and_to_nobody_else():
    registry = make_registry(owner=make_user(timezone="Europe/Paris"))
    item = make_item(registry=registry, title="Teapot", quantity=2)
    make_item(registry=registry, title="Kettle", quantity=1)
    holder, stranger = Client(), Client()

    with time_machine.travel(datetime(2031, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        hold = _reserve(holder, registry, item)
        mine = holder.get(_share(registry)).content.decode()
        theirs = stranger.get(_share(registry)).content.decode()

    assert mine.count('data-testid="you-reserved"') == 1
    row = mine.split("Teapot", 1)[1].split("</tr>", 1)[0]
    # 48 hours after 09:00 UTC, said in the registry's zone (Paris, UTC+1 in January).
    assert "You reserved this until 12 January, 10:00 CET." in row
    assert reverse("gifts:reservation", args=[hold.token]) in row
    assert (
        "Kettle" in mine and 'data-testid="you-reserved"' not in mine.split("Kettle", 1)[1].split("</tr>")[0]
    )
    assert 'data-testid="you-reserved"' not in theirs
    assert hold.token not in theirs


@pytest.mark.django_db
def test_a_released_or_lapsed_hold_no_longer_says_you_reserved_this():
    registry = make_registry()
    item = make_item(registry=registry, quantity=2)
    holder = Client()
    hold = _reserve(holder, registry, item)

    reservation_release(reservation=hold)

    assert 'data-testid="you-reserved"' not in holder.get(_share(registry)).content.decode()


@pytest.mark.django_db
def test_a_forged_session_list_shows_no_hold_from_another_registry():
    """The ids in the session only ever match holds on the registry being viewed."""
    registry, elsewhere = make_registry(), make_registry()
    holder = Client()
    hold = _reserve(holder, elsewhere, make_item(registry=elsewhere))

    page = holder.get(_share(registry)).content.decode()

    assert 'data-testid="you-reserved"' not in page and hold.token not in page


@pytest.mark.django_db
def test_a_registry_starts_in_its_owners_time_zone_and_its_settings_change_it():
    owner = make_user(timezone="America/Chicago")
    registry = make_registry(owner=owner)
    assert registry.time_zone == "America/Chicago"

    registry_update(
        registry=registry,
        by=owner,
        title=registry.title,
        occasion=registry.occasion,
        event_date=None,
        time_zone="Asia/Tokyo",
    )
    registry.refresh_from_db()
    assert registry.time_zone == "Asia/Tokyo"

    with pytest.raises(GratitudeError, match="time zone"):
        registry_update(
            registry=registry,
            by=owner,
            title=registry.title,
            occasion=registry.occasion,
            event_date=None,
            time_zone="Mars/Olympus_Mons",
        )
    registry.refresh_from_db()
    assert registry.time_zone == "Asia/Tokyo"


@pytest.mark.django_db
def test_the_hold_page_and_the_receipt_speak_in_the_registrys_time_zone():
    registry = make_registry(owner=make_user(timezone="Asia/Tokyo"))
    item = make_item(registry=registry, quantity=3)
    giver = Client()
    with time_machine.travel(datetime(2031, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        hold = _reserve(giver, registry, item)
        hold_page = giver.get(reverse("gifts:reservation", args=[hold.token])).content.decode()
        giver.post(reverse("gifts:give", args=[registry.share_key, item.pk]), GIFT_POST)
        receipt = giver.get(reverse("gifts:receipt", args=[registry.share_key])).content.decode()

    assert "Held for you until 12 January 2031, 18:00 JST." in hold_page
    assert "10 January 2031, 18:00 JST." in receipt


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bought", "note", "shown"),
    [
        ("elsewhere", "", "(bought elsewhere)"),
        ("similar", "A blue one from the market", "(something similar: A blue one from the market)"),
    ],
)
def test_bought_elsewhere_or_similar_covers_the_item_and_lands_on_the_thank_you_list(bought, note, shown):
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, title="Teapot", quantity=1)

    response = Client().post(
        reverse("gifts:give", args=[registry.share_key, item.pk]),
        {**GIFT_POST, "bought": bought, "similar_note": note},
    )

    assert response.status_code == 302
    gift = Gift.objects.get(item=item)
    assert (gift.bought, gift.similar_note) == (bought, note)
    assert item_availability(item=item).still_wanted == 0
    member = Client()
    member.force_login(owner)
    thanks = member.get(reverse("thanks:list", args=[registry.pk])).content.decode()
    assert shown in thanks
    gift_page = member.get(reverse("thanks:gift", args=[registry.pk, gift.pk])).content.decode()
    assert shown in gift_page


@pytest.mark.django_db
def test_a_note_about_something_similar_needs_something_similar():
    registry = make_registry()
    item = make_item(registry=registry)

    response = Client().post(
        reverse("gifts:give", args=[registry.share_key, item.pk]),
        {**GIFT_POST, "bought": "as_listed", "similar_note": "A red one"},
    )

    assert response.status_code == 400
    assert "Something similar instead" in response.content.decode()
    assert not Gift.objects.exists()
    with pytest.raises(GratitudeError, match="similar_note"):
        gift_record(item=item, giver_name="Robin", similar_note="A red one")
    with pytest.raises(GratitudeError, match="similar_note: at most 200"):
        gift_record(item=item, giver_name="Robin", bought=GiftBought.SIMILAR, similar_note="x" * 201)
    with pytest.raises(GratitudeError, match="bought"):
        gift_record(item=item, giver_name="Robin", bought="stolen")
    assert not Gift.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_gift_alert_says_something_similar_but_never_the_givers_words_for_it(smtp_settings):
    registry = make_registry(owner=make_user(email="alex@example.test", display_name="Alex"))
    item = make_item(registry=registry, title="Teapot", quantity=1)
    gift_record(
        item=item,
        giver_name="Robin",
        bought=GiftBought.SIMILAR,
        similar_note="Secret words: the blue one",
    )

    call_command("worker", drain=True, verbosity=0)

    assert smtp_settings.wait_for(1)
    [message] = smtp_settings.to("alex@example.test")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Robin gave 1 × “Teapot” (something similar) from your registry" in text
    assert "(something similar)" in html
    raw = message.as_string()
    assert "Secret words" not in raw and "blue one" not in raw


@pytest.mark.django_db(transaction=True)
def test_the_hold_reminder_gives_the_end_on_the_registrys_clock(smtp_settings, settings):
    settings.GRATITUDE_RESERVATION_HOURS = 48
    settings.GRATITUDE_RESERVATION_REMINDER_HOURS = 12
    registry = make_registry(owner=make_user(timezone="America/New_York"))
    item = make_item(registry=registry, title="Teapot", quantity=1)
    with time_machine.travel(datetime(2031, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        reservation_create(item=item, giver_name="Jo", giver_email="jo@example.test", remind=True)
    with time_machine.travel(datetime(2031, 1, 11, 22, 0, tzinfo=UTC), tick=False):
        call_command("worker", drain=True, verbosity=0)

    assert smtp_settings.wait_for(2)  # the hold's link, then its reminder
    [message] = [
        m for m in smtp_settings.to("jo@example.test") if m["X-Gratitude-Kind"] == "reservation_reminder"
    ]
    text = message.get_body(preferencelist=("plain",)).get_content()
    # 09:00 UTC + 48 h is 09:00 UTC on the 12th: 04:00 in New York (EST, UTC-5).
    assert "Your hold ends on 12 January 2031 at 04:00 EST;" in text
    assert "UTC" not in text.split("--")[0]
