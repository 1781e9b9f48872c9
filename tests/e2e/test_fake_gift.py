"""A registrant removes a gift a stranger recorded on their public registry, in a real browser (Debian
Chromium) on a live server: from the gift's page on the Thank You List, with a reason; the gift leaves the
list, the giver's page wants the item again, and nobody gets a message (docs/safety.md promise 16)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gratitude.gifts.models import GiftRemoval
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from tests.e2e.test_thank_you_list import gift_row, run_worker

# Playwright's sync API keeps an asyncio loop running in the main thread (tests/e2e/test_thin_path.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 42"


def test_a_registrant_removes_a_fake_gift_from_the_thank_you_list(page: Page, live_server: Any, mailbox: Any):
    base = live_server.url
    owner = make_user(email="alex@example.test", display_name="Alex Rivera", password=PASSWORD)
    registry = make_registry(owner=owner, title="Alex & Sam's wedding", visibility="public")
    bowl = make_item(registry=registry, title="Wooden salad bowl", quantity=1)
    make_gift(item=bowl, giver_name="Someone Unknown", giver_email="")
    run_worker()  # the alert about the fake gift went out before anyone noticed it
    sent_before = sorted(mailbox.glob("*.eml"))

    page.goto(f"{base}/accounts/login/")
    page.fill("[name=username]", owner.email)
    page.fill("[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/registries/{registry.pk}/thanks/")
    gift_row(page, "Someone Unknown").get_by_role("link", name="1 × Wooden salad bowl").click()
    page.get_by_text("Remove this gift", exact=True).first.click()
    page.get_by_label("Why (optional, only the registrants see it)").fill("We don't know them")
    page.get_by_role("button", name="Remove this gift").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank You List")
    expect(page.get_by_role("status")).to_contain_text("wanted again, and nobody was told")
    expect(page.get_by_test_id("gift-row").filter(has_text="Someone Unknown")).to_have_count(0)
    removal = GiftRemoval.objects.get()
    assert (removal.by, removal.reason) == (owner, "We don't know them")
    # The giver's page offers the bowl again.
    page.goto(f"{base}/r/{registry.share_key}/")
    expect(
        page.get_by_role("row").filter(has_text="Wooden salad bowl").get_by_role("link", name="I bought this")
    ).to_be_visible()
    run_worker()
    assert sorted(mailbox.glob("*.eml")) == sent_before  # nobody was told of the removal
