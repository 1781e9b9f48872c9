"""Under the Content-Security-Policy, in Debian's Chromium: the pages raise no policy violation, and htmx
(loaded from our static files, no eval, no injected style) still moves an item without reloading the page."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gratitude.testing.factories import make_item, make_registry, make_user
from tests.e2e.test_thin_path import PASSWORD, log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """() => { window.__violations = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


def test_pages_raise_no_policy_violation_and_htmx_still_works(page: Page, live_server: Any):
    base = live_server.url
    owner = make_user(email="alex@example.test", password=PASSWORD, display_name="Alex Rivera")
    registry = make_registry(owner=owner, title="Alex & Sam")
    make_item(registry=registry, title="Salad bowl")
    make_item(registry=registry, title="Espresso machine")
    group = make_item(registry=registry, title="Stroller", quantity=1, price=Decimal("90"), group_gift=True)
    refused: list[str] = []
    page.on("console", lambda m: refused.extend([m.text] if "Content Security Policy" in m.text else []))
    page.add_init_script(f"({WATCH})()")
    log_in(page, base, email="alex@example.test", password=PASSWORD)

    for path in (
        "/",
        f"/registries/{registry.pk}/",
        f"/registries/{registry.pk}/thanks/",
        f"/registries/{registry.pk}/settings/",
        f"/r/{registry.share_key}/",
        f"/r/{registry.share_key}/items/{group.pk}/contribute/",
        "/mail/",
    ):
        page.goto(base + path)
        assert page.evaluate("window.__violations") == [], path

    page.goto(f"{base}/registries/{registry.pk}/items/manage/")
    cards = page.get_by_test_id("manage-item")
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
        page.get_by_role("button", name="Move “Espresso machine” up").click()
    expect(cards.first).to_contain_text("Espresso machine")
    assert page.evaluate("window.__violations") == []
    assert refused == []
