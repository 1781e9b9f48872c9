"""Add from any store, pictures and sharing in a real browser (Debian Chromium), at a phone's width (390 px)
and a desktop's (1280 px): a registrant pastes a product link from a store served on 127.0.0.1, confirms the
details the server read, and the item appears with its kept picture; the giver's page shows the registrants'
names, their photo and the item's picture; the copy button copies the share link."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, ViewportSize, expect

from gratitude.registries.models import Item
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_registry, make_user
from gratitude.testing.store import Route, Store, picture_bytes
from tests.e2e.test_registry_experience import phone_screenshot
from tests.e2e.test_thin_path import PASSWORD, guest_page, log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["guest_page"]  # a fixture, imported for pytest to find

SIZES = [
    pytest.param({"width": 390, "height": 844}, id="phone"),
    pytest.param({"width": 1280, "height": 800}, id="desktop"),
]


@pytest.fixture
def store(settings: Any, tmp_path: Path) -> Iterator[Store]:
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = True
    settings.MEDIA_ROOT = tmp_path / "media"
    server = Store().start()
    server.routes["/img/lamp.jpg"] = Route(content_type="image/jpeg", body=picture_bytes(1000, 1000))
    product = {
        "@context": "https://schema.org",
        "@graph": [{"@type": "Product", "name": "Brass reading lamp", "image": ["/img/lamp.jpg"],
                    "offers": [{"@type": "Offer", "price": "129.00", "priceCurrency": "EUR"}]}],
    }  # fmt: skip
    script = f"<script type='application/ld+json'>{json.dumps(product)}</script>"
    server.routes["/products/lamp"] = Route(body=f"<html><head>{script}</head></html>".encode())
    try:
        yield server
    finally:
        server.stop()


def natural_width(page: Page, selector: str) -> int:
    """0 when the browser could not load the picture."""
    return int(page.locator(selector).first.evaluate("img => img.complete ? img.naturalWidth : -1"))


@pytest.mark.parametrize("viewport", SIZES)
def test_adding_an_item_from_a_store_link_and_seeing_its_picture(
    page: Page, guest_page: Page, live_server: Any, store: Store, viewport: ViewportSize
):
    page.set_viewport_size(viewport)
    guest_page.set_viewport_size(viewport)
    owner = make_user(display_name="Alex Rivera", email="alex@example.test", password=PASSWORD)
    registry = make_registry(owner=owner, title="Our new home", occasion="housewarming")
    log_in(page, live_server.url, email="alex@example.test", password=PASSWORD)
    page.goto(f"{live_server.url}/registries/{registry.pk}/")

    page.get_by_label("Paste a link to the product in any store").fill(store.url("/products/lamp"))
    page.get_by_role("button", name="Fill in the details").click()
    expect(page.get_by_role("status").first).to_contain_text("Check the details we found")
    form = page.locator("#add-item form")
    expect(form.locator("[name=title]")).to_have_value("Brass reading lamp")
    expect(form.locator("[name=price]")).to_have_value("129.00")
    expect(page.get_by_test_id("fetched-picture")).to_be_visible()
    assert natural_width(page, "[data-testid=fetched-picture]") > 0
    form.get_by_role("button", name="Add item").click()
    expect(page.get_by_role("status").first).to_contain_text("Added “Brass reading lamp”.")

    item = Item.objects.get(title="Brass reading lamp")
    assert item.picture is not None
    registrant_thumb = page.get_by_role("img", name="Brass reading lamp")
    expect(registrant_thumb).to_be_visible()
    assert natural_width(page, "img.thumb") > 0

    guest_page.goto(f"{live_server.url}/r/{registry.share_key}/")
    thumb = guest_page.get_by_role("img", name="Brass reading lamp")
    expect(thumb).to_be_visible()
    assert thumb.get_attribute("loading") == "lazy" and "160w" in (thumb.get_attribute("srcset") or "")
    assert natural_width(guest_page, "img.thumb") > 0
    expect(guest_page.locator("tr[data-testid=item-row]")).to_contain_text("129.00 EUR")
    phone_screenshot(page, "registry-page-with-picture")


def test_a_page_that_is_no_product_leaves_the_form_to_fill_by_hand(
    page: Page, live_server: Any, store: Store
):
    store.routes["/about"] = Route(body=b"<html><head><title>About</title></head></html>")
    owner = make_user(display_name="Alex Rivera", email="alex@example.test", password=PASSWORD)
    registry = make_registry(owner=owner)
    log_in(page, live_server.url, email="alex@example.test", password=PASSWORD)
    page.goto(f"{live_server.url}/registries/{registry.pk}/")
    page.get_by_label("Paste a link to the product in any store").fill(store.url("/about"))
    page.get_by_role("button", name="Fill in the details").click()
    expect(page.locator("[data-testid=add-from-link]")).to_contain_text("does not describe a product")
    form = page.locator("#add-item form")
    expect(form.locator("[name=url]")).to_have_value(store.url("/about"))
    form.locator("[name=title]").fill("Reading lamp")
    form.get_by_role("button", name="Add item").click()
    expect(page.get_by_role("status").first).to_contain_text("Added “Reading lamp”.")


@pytest.mark.parametrize("viewport", SIZES)
def test_the_share_page_with_names_and_photo_and_the_copy_button(
    page: Page, guest_page: Page, live_server: Any, store: Store, viewport: ViewportSize, tmp_path: Path
):
    page.set_viewport_size(viewport)
    guest_page.set_viewport_size(viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    owner = make_user(display_name="Alex Rivera", email="alex@example.test", password=PASSWORD)
    registry = make_registry(owner=owner, title="Baby Rivera", occasion="baby")
    registry_member_add(registry=registry, user=make_user(display_name="Sam Rivera"))
    log_in(page, live_server.url, email="alex@example.test", password=PASSWORD)

    # The photo goes up through the settings page, through the same picture pipeline.
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(picture_bytes(1200, 900))
    page.goto(f"{live_server.url}/registries/{registry.pk}/settings/")
    page.get_by_label("A photo of you").set_input_files(str(photo))
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_role("status").first).to_contain_text("Photo saved")

    page.goto(f"{live_server.url}/registries/{registry.pk}/")
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#share-copy-status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server.url}/r/{registry.share_key}/"
    page.get_by_text("QR code (for a card or invitation)").click()
    expect(page.get_by_role("img", name="QR code of the share link")).to_be_visible()

    guest_page.goto(copied)
    expect(guest_page.get_by_test_id("registrant-names")).to_have_text("Alex Rivera & Sam Rivera")
    expect(guest_page.get_by_test_id("event")).to_contain_text("Baby")
    expect(guest_page.get_by_test_id("registry-photo")).to_be_visible()
    assert natural_width(guest_page, "[data-testid=registry-photo]") > 0
    box = guest_page.get_by_test_id("registry-photo").bounding_box()
    assert box is not None and box["width"] <= viewport["width"] * 0.45
    phone_screenshot(guest_page, "share-page-with-photo")
    og_image = guest_page.locator("meta[property='og:image']").get_attribute("content") or ""
    # The link preview names the site by SITE_URL, not by the address this browser used.
    assert og_image.startswith(f"{settings.SITE_URL}/media/pictures/")
