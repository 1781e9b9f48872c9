"""The giver's and the registrant's journeys of docs/registries.md ("Givers", "Honest pages") in a real
browser, on a phone (390x844) and a desktop (1280x800): a giver reserves and the list then says "You reserved
this" to them alone; another records "something similar" and it lands on the Thank You List; a paused
registry's own pages say it is closed to givers, and its share link shows the neutral page."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, expect

from gratitude.registries.models import Visibility
from gratitude.testing.factories import make_item, make_registry, make_user
from tests.e2e.layout import SIZES, page_for, small_checkables

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(user: Any, base_url: str) -> list[dict[str, Any]]:
    client = Client()
    client.force_login(user)
    return [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": base_url,
        }
    ]


@pytest.mark.parametrize("size", list(SIZES))
def test_a_giver_reserves_sees_it_on_the_list_and_another_gives_something_similar(
    browser: Browser, live_server: Any, size: str
):
    base = live_server.url
    alex = make_user(display_name="Alex Rivera", timezone="Europe/Paris")
    registry = make_registry(owner=alex, title="Alex & Sam's wedding")
    make_item(registry=registry, title="Convertible stroller", quantity=1)
    make_item(registry=registry, title="Salad bowl", quantity=2)
    share = f"{base}/r/{registry.share_key}/"
    giver = page_for(browser, size=size, scheme="light")
    other = page_for(browser, size=size, scheme="dark")
    member = page_for(browser, size=size, scheme="light", cookies=_signed_in(alex, base))
    try:
        # Jo reserves the stroller; back on the list, the row says so, with the way back to the hold.
        page = giver.new_page()
        page.goto(share)
        page.get_by_test_id("item-row").filter(has_text="Convertible stroller").get_by_role(
            "link", name="Reserve"
        ).click()
        page.get_by_label("Your name").fill("Jo Park")
        page.get_by_role("button", name="Reserve it for me").click()
        expect(page.get_by_test_id("hold-status")).to_contain_text("Held for you until")
        expect(page.get_by_test_id("hold-status")).to_contain_text("CET")
        page.goto(share)
        mine = (
            page.get_by_test_id("item-row")
            .filter(has_text="Convertible stroller")
            .get_by_test_id("you-reserved")
        )
        expect(mine).to_contain_text("You reserved this until")
        expect(mine).to_contain_text("CET")
        mine.get_by_role("link", name="Your hold").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your hold on “Convertible stroller”")

        # Someone else sees no such line; they bought a similar bowl and say so.
        stranger = other.new_page()
        stranger.goto(share)
        expect(stranger.get_by_test_id("you-reserved")).to_have_count(0)
        stranger.get_by_test_id("item-row").filter(has_text="Salad bowl").get_by_role(
            "link", name="I bought this"
        ).click()
        stranger.get_by_label("Your name").fill("Robin Giver")
        radio = stranger.get_by_label("Something similar instead")
        radio.check()
        # Real radios: each 22 px box on the same line as its words (tests/e2e/layout.py).
        assert not small_checkables(stranger)
        stranger.get_by_label("What did you choose instead? (optional)").fill("A blue bowl from the market")
        stranger.get_by_role("button", name="Record my gift").click()
        expect(stranger.get_by_role("heading", level=1)).to_have_text("Thank you, Robin Giver")

        # It lands on the Thank You List like any gift, saying what it was.
        thanks = member.new_page()
        thanks.goto(f"{base}/registries/{registry.pk}/thanks/")
        row = thanks.get_by_test_id("gift-row").filter(has_text="Salad bowl")
        expect(row.get_by_test_id("how-bought")).to_have_text(
            "(something similar: A blue bowl from the market)"
        )
        expect(row).to_contain_text("Robin Giver")
    finally:
        giver.close()
        other.close()
        member.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_paused_registry_says_so_on_its_own_pages_and_its_link_stops_giving(
    browser: Browser, live_server: Any, size: str
):
    base = live_server.url
    alex = make_user(display_name="Alex Rivera")
    registry = make_registry(owner=alex, title="Alex & Sam's wedding", visibility=Visibility.PUBLIC)
    make_item(registry=registry, title="Salad bowl")
    member = page_for(browser, size=size, scheme="light", cookies=_signed_in(alex, base))
    guest = page_for(browser, size=size, scheme="light")
    try:
        page = member.new_page()
        page.goto(f"{base}/registries/{registry.pk}/")
        expect(page.get_by_test_id("standing")).to_have_text("Public: findable by name")
        expect(page.get_by_text("Anyone with this link can see the list and give")).to_be_visible()
        page.get_by_test_id("pause-link").click()
        expect(page.get_by_text("closes “Alex & Sam's wedding” to givers")).to_be_visible()
        page.get_by_role(
            "button", name="Pause all messages about this registry and close it to givers"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Messages are paused")

        for path in ("", "items/manage/", "thanks/", "settings/"):
            page.goto(f"{base}/registries/{registry.pk}/{path}")
            expect(page.get_by_test_id("paused-notice")).to_contain_text("closed to givers")
            expect(page.get_by_text("Anyone with this link")).to_have_count(0)
        page.goto(f"{base}/registries/{registry.pk}/")
        expect(page.get_by_test_id("standing")).to_have_text("Paused: closed to givers")
        expect(page.get_by_test_id("share-closed")).to_contain_text("Nobody can give through this link now")
        page.goto(f"{base}/registries/")
        expect(page.get_by_test_id("registry-card")).to_contain_text("Paused: closed to givers")

        shared = guest.new_page()
        shared.goto(f"{base}/r/{registry.share_key}/")
        expect(shared.get_by_test_id("item-row")).to_have_count(0)
        expect(shared.get_by_role("link", name="I bought this")).to_have_count(0)
    finally:
        member.close()
        guest.close()
