"""The registrant's and the giver's experience in a real browser (Debian Chromium) against a live server:
building a registry with items, inviting a co-registrant who has no account yet, a giver reserving and then
recording the purchase, the registrant marking it received, and "covered only" hiding what it should.

Mail goes through the real outbox and worker, and is read on /dev/mailbox like in tests/e2e/test_thin_path.py,
whose helpers this module reuses.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gratitude.gifts.models import Gift, Reservation
from gratitude.registries.models import Registry, RegistryMember
from gratitude.testing.factories import make_item, make_registry, make_user
from tests.e2e.test_thin_path import (
    PASSWORD,
    guest_page,
    link_in,
    log_in,
    open_mail,
    run_worker,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["guest_page"]  # a fixture, imported for pytest to find (mailbox is in conftest.py)


def registrant(name: str, email: str) -> Any:
    return make_user(display_name=name, email=email, password=PASSWORD)


def phone_screenshot(page: Page, name: str) -> None:
    """With GRATITUDE_E2E_SCREENSHOTS=/some/dir, save how the page looks on a phone (390 px wide)."""
    if shots := os.environ.get("GRATITUDE_E2E_SCREENSHOTS"):
        size = page.viewport_size
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(shots, f"{name}.png"), full_page=True)
        if size:
            page.set_viewport_size(size)


def test_creating_a_registry_with_items_and_inviting_a_co_registrant(
    page: Page, guest_page: Page, live_server: Any, mailbox: Any
):
    base = live_server.url
    registrant("Alex Rivera", "alex@example.test")
    log_in(page, base, email="alex@example.test", password=PASSWORD)

    # Create the registry.
    page.get_by_role("link", name="My registries").click()
    page.get_by_role("link", name="Create a registry").click()
    page.fill("[name=title]", "Alex & Sam's wedding")
    page.select_option("[name=occasion]", "wedding")
    page.fill("[name=event_date]", "2031-06-14")
    page.fill("[name=welcome_note]", "Thank you for celebrating with us.")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alex & Sam's wedding")
    registry_url = page.url

    # Two items: a plain one, and one with the details behind "More".
    form = page.locator("form[action$='/items/']")
    form.locator("[name=title]").fill("Salad bowl")
    form.locator("[name=quantity]").fill("2")
    form.locator("[name=price]").fill("45")
    form.get_by_role("button", name="Add item").click()
    expect(page.get_by_role("status")).to_contain_text("Added “Salad bowl”.")
    form = page.locator("form[action$='/items/']")
    form.locator("[name=title]").fill("Espresso machine")
    form.locator("[name=price]").fill("320")
    form.locator("summary").click()
    form.locator("[name=priority]").select_option("most_wanted")
    form.locator("[name=notes]").fill("The red one")
    form.get_by_role("button", name="Add item").click()
    row = page.get_by_role("row").filter(has_text="Espresso machine")
    # Every price carries the registry's currency, guessed at creation from the browser (Chromium: en-US).
    expect(row.get_by_role("cell")).to_have_text(
        ["Espresso machine Most wanted", "1", "0", "0", "320.00 USD"]
    )
    phone_screenshot(page, "registry")

    # Reorder: the espresso machine goes first; archive and restore the bowl.
    page.get_by_role("link", name="Edit items").first.click()
    cards = page.get_by_test_id("manage-item")
    expect(cards).to_have_count(2)
    phone_screenshot(page, "items")
    page.get_by_role("button", name="Move “Espresso machine” up").click()
    expect(cards.first).to_contain_text("Espresso machine")
    expect(cards.nth(1)).to_contain_text("Salad bowl")
    cards.filter(has_text="Salad bowl").get_by_role("button", name="Archive").click()
    expect(page.get_by_test_id("manage-item")).to_have_count(1)
    page.get_by_test_id("archived-item").get_by_role("button", name="Put back on the list").click()
    expect(page.get_by_test_id("manage-item")).to_have_count(2)

    # Invite Sam, who has no account.
    page.get_by_role("link", name="People").click()
    page.fill("[name=name]", "Sam Okafor")
    page.fill("[name=email]", "sam@example.test")
    page.get_by_label("Co-registrant: runs the registry with you").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to sam@example.test.")
    expect(page.get_by_test_id("invitation")).to_contain_text("sam@example.test")

    run_worker()
    body = open_mail(
        page,
        base,
        to="sam@example.test",
        subject="An invitation to help with “Alex & Sam's wedding”",
    )
    assert body.startswith("Hello,")  # Sam never confirmed the address: no name Alex typed
    accept_url = link_in(body, "/registries/invitations/", base)

    # Sam accepts in a browser of their own: name, password, and they are in.
    guest_page.goto(accept_url)
    expect(guest_page.get_by_role("heading", level=1)).to_have_text("Join “Alex & Sam's wedding”")
    guest_page.fill("[name=display_name]", "Sam Okafor")
    guest_page.fill("[name=password]", "a long passphrase 1729")
    guest_page.get_by_role("button", name="Accept and join").click()
    expect(guest_page).to_have_url(registry_url)
    expect(guest_page.get_by_role("status")).to_contain_text("Welcome to “Alex & Sam's wedding”.")
    guest_page.get_by_role("link", name="People").click()
    expect(guest_page.get_by_test_id("member")).to_have_count(2)
    expect(guest_page.get_by_test_id("member").nth(1)).to_contain_text("Sam Okafor (you)")

    registry = Registry.objects.get()
    assert (
        RegistryMember.objects.get(registry=registry, user__email="sam@example.test").role == "co_registrant"
    )


def test_a_giver_reserves_then_records_the_purchase_and_the_registrant_marks_it_received(
    page: Page, guest_page: Page, live_server: Any, mailbox: Any
):
    base = live_server.url
    owner = registrant("Alex Rivera", "alex@example.test")
    registry = make_registry(owner=owner, title="Baby Kim")
    make_item(registry=registry, title="Car seat", quantity=2)
    share_url = f"{base}/r/{registry.share_key}/"

    # The giver reserves one, asking for a reminder.
    guest_page.goto(share_url)
    row = guest_page.get_by_test_id("item-row").filter(has_text="Car seat")
    expect(row).to_contain_text("2 of 2")
    phone_screenshot(guest_page, "share")
    row.get_by_role("link", name="Reserve").click()
    guest_page.fill("[name=giver_name]", "Aunt Robin")
    guest_page.fill("[name=giver_email]", "robin@example.test")
    guest_page.get_by_label("Email me a reminder before my hold ends").check()
    guest_page.get_by_role("button", name="Reserve it for me").click()
    expect(guest_page.get_by_test_id("hold-status")).to_contain_text("Held for you until")
    phone_screenshot(guest_page, "hold")
    hold_url = guest_page.url
    assert re.fullmatch(rf"{re.escape(base)}/r/hold/[^/]+/", hold_url), hold_url
    guest_page.get_by_role("link", name="See the whole list").click()
    expect(guest_page.get_by_test_id("item-row").filter(has_text="Car seat")).to_contain_text("1 of 2")

    # Later, from the same hold page: "I bought it", with a message, an address and a receipt.
    guest_page.goto(hold_url)
    guest_page.fill("[name=message]", "Drive safely!")
    guest_page.get_by_label("Share my mailing address with the registrants for a thank-you note").check()
    guest_page.fill("[name=giver_address]", "1 Long Lane\nSpringfield")
    guest_page.get_by_label("Email me a receipt").check()
    guest_page.get_by_role("button", name="Record my gift").click()
    expect(guest_page.get_by_test_id("hold-status")).to_contain_text("Your gift is recorded: 1 × “Car seat”")
    expect(guest_page.get_by_test_id("receipt-details")).to_contain_text("A receipt is on its way")
    assert Reservation.objects.get().state == "fulfilled"

    # The registrant is alerted; the giver gets the receipt they asked for.
    run_worker()
    alert = open_mail(page, base, to="alex@example.test", subject="A gift from “Baby Kim”")
    assert "Aunt Robin gave 1 × “Car seat”" in alert
    receipt = open_mail(page, base, to="robin@example.test", subject="Your receipt: a gift from “Baby Kim”")
    # Robin never confirmed the address: the receipt is our fixed words only (docs/deliverability.md).
    assert receipt.startswith("Hello,")
    assert "a gift was recorded on the registry “Baby Kim”" in receipt
    assert "Drive safely!" not in receipt and "Car seat" not in receipt

    # The registrant marks it received.
    log_in(page, base, email="alex@example.test", password=PASSWORD)
    page.goto(f"{base}/registries/{registry.pk}/")
    page.get_by_role("link", name="Gifts", exact=True).click()
    gift = page.get_by_test_id("gift").filter(has_text="Car seat")
    expect(gift).to_contain_text("From Aunt Robin")
    expect(gift.get_by_test_id("received")).to_have_text("Not received yet")
    gift.get_by_role("button", name="Mark received").click()
    expect(
        page.get_by_test_id("gift").filter(has_text="Car seat").get_by_test_id("received")
    ).to_contain_text("Received")
    assert Gift.objects.get().received_at is not None


def test_surprise_mode_hides_what_was_given_and_by_whom(
    page: Page, guest_page: Page, live_server: Any, mailbox: Any
):
    base = live_server.url
    owner = registrant("Alex Rivera", "alex@example.test")
    registry = make_registry(owner=owner, title="Alex's baby")
    make_item(registry=registry, title="Rocking horse", quantity=1)
    make_item(registry=registry, title="Blanket", quantity=2)

    # The registrant turns on "covered only" from the settings page.
    log_in(page, base, email="alex@example.test", password=PASSWORD)
    page.goto(f"{base}/registries/{registry.pk}/settings/")
    page.get_by_label("Only show that an item is covered").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved.")

    # A giver buys the rocking horse.
    guest_page.goto(f"{base}/r/{registry.share_key}/")
    guest_page.get_by_test_id("item-row").filter(has_text="Rocking horse").get_by_role(
        "link", name="I bought this"
    ).click()
    guest_page.fill("[name=giver_name]", "Aunt Robin")
    guest_page.fill("[name=message]", "Ride on!")
    guest_page.get_by_role("button", name="Record my gift").click()
    expect(guest_page.get_by_role("heading", level=1)).to_have_text("Thank you, Aunt Robin")
    guest_page.get_by_role("link", name="Back to the list").click()
    expect(guest_page.get_by_test_id("item-row").filter(has_text="Rocking horse")).to_contain_text("Covered")

    # The alert says something was covered, not what or by whom.
    run_worker()
    alert = open_mail(page, base, to="alex@example.test", subject="Something on “Alex's baby” was covered")
    for secret in ("Rocking horse", "Aunt Robin", "Ride on!"):
        assert secret not in alert

    # The registrant's pages: a count, never the item or the giver.
    page.goto(f"{base}/registries/{registry.pk}/")
    expect(page.get_by_test_id("surprise-summary")).to_contain_text("1 gift so far")
    expect(page.get_by_role("columnheader", name="Given")).to_have_count(0)
    main = page.get_by_role("main")
    for secret in ("Aunt Robin", "Ride on!", "Covered"):
        expect(main).not_to_contain_text(secret)
    page.get_by_role("link", name="Gifts", exact=True).click()
    expect(page.get_by_test_id("surprise-summary")).to_contain_text("1 gift from givers is kept a surprise")
    expect(page.get_by_test_id("gift")).to_have_count(0)
    expect(page.get_by_role("main")).not_to_contain_text("Aunt Robin")
    phone_screenshot(page, "gifts-surprise")
    # Even on their own share link, while logged in.
    page.goto(f"{base}/r/{registry.share_key}/")
    expect(page.get_by_test_id("surprise-notice")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("Covered")
    expect(page.get_by_role("link", name="I bought this")).to_have_count(0)
