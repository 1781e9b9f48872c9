"""Mail and the developer's tools in a real browser, at phone and desktop size: a gift alert's HTML part,
framed in the dev mailbox, opens with the site's logo and name and has one clear button to the Thank You List,
the same link the text part beside it gives; the favicon is served."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from tests.e2e.layout import SIZES, page_for
from tests.e2e.test_thin_path import run_worker

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_dev_mailbox_shows_the_html_part_with_its_button_beside_the_text_part(
    browser: Browser, live_server: Any, mailbox: Any, size: str
):
    base = live_server.url
    alex = make_user(display_name="Alex Rivera", email="alex@example.test")
    registry = make_registry(owner=alex, title="Alex & Sam's wedding")
    make_gift(item=make_item(registry=registry, title="Salad bowl"), giver_name="Robin Giver")
    run_worker()
    context = page_for(browser, size=size, scheme="light")
    try:
        page = context.new_page()
        page.goto(f"{base}/dev/mailbox/")
        page.get_by_test_id("mail-row").filter(has_text="alex@example.test").first.get_by_role("link").click()

        text = page.get_by_test_id("mail-body")
        expect(text).to_contain_text("Open your Thank You List: ")
        match = re.search(r"Open your Thank You List: (\S+)", text.inner_text())
        assert match and match.group(1).startswith(f"{base}/registries/{registry.pk}/thanks/")
        frame_element = page.get_by_test_id("mail-html")
        assert frame_element.get_attribute("sandbox") == ""
        frame = page.frame_locator("[data-testid=mail-html]")
        expect(frame.get_by_text("Gratitude", exact=True)).to_be_visible()
        button = frame.get_by_role("link", name="Open your Thank You List")
        expect(button).to_be_visible()
        assert button.get_attribute("href") == match.group(1)
        # A button, not a bare link: a coloured cell around padded words, tall enough for a thumb.
        box = button.bounding_box()
        assert box and box["height"] >= 40
        cell_colour = button.evaluate("a => getComputedStyle(a.parentElement).backgroundColor")
        assert cell_colour == "rgb(138, 75, 111)"
        frame_box, text_box = frame_element.bounding_box(), text.bounding_box()
        assert frame_box and text_box
        if size == "desktop":
            assert text_box["x"] > frame_box["x"] + frame_box["width"] - 1, "the parts are side by side"
        else:
            assert text_box["y"] > frame_box["y"] + frame_box["height"] - 1, "the parts are stacked"
    finally:
        context.close()


def test_the_favicon_is_linked_from_every_page_and_served_at_the_usual_address(
    browser: Browser, live_server: Any
):
    context = page_for(browser, size="desktop", scheme="light")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert icon and icon.endswith(".svg")
        response = page.goto(f"{live_server.url}/favicon.ico")
        assert response is not None and response.status == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert page.url.endswith(icon)
    finally:
        context.close()
