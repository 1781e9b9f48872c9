"""Quiet mode and pausing in a real browser (Debian Chromium) against a live server (docs/safety.md
promise 9): a registrant pauses a registry from a gift alert's footer in two clicks, without signing in, and
the next gift lands silently on the Thank You List, and resuming asks them to log in first; a trusted
delegate the registrant named switches quiet mode on for them; each is undone with one click.

Mail goes through the real outbox and worker and is read on /dev/mailbox, with tests/e2e/test_thin_path.py's
helpers.
"""

from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from gratitude.accounts.models import QuietDelegate
from gratitude.gifts.models import Gift
from gratitude.notifications.models import Notification, NotificationState
from gratitude.registries.models import Registry
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from tests.e2e.test_thin_path import PASSWORD, link_in, log_in, open_mail, run_worker

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALEX = "alex@example.test"
UNKIND = ("sorry", "are you sure", "loss", "condolence", "survey")


def gift_alerts_to(mailbox: Path, address: str) -> int:
    """How many gift alerts the dev mailbox captured for `address`."""
    count = 0
    for path in mailbox.glob("*.eml") if mailbox.exists() else ():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["X-Gratitude-Kind"] == "gift_alert" and address in str(message["To"]):
            count += 1
    return count


def screenshot(page: Page, name: str) -> None:
    """With GRATITUDE_E2E_SCREENSHOTS=/some/dir, save the page as it looks (to look at it by eye)."""
    if shots := os.environ.get("GRATITUDE_E2E_SCREENSHOTS"):
        page.screenshot(path=os.path.join(shots, f"{name}.png"), full_page=True)


def assert_calm(page: Page) -> None:
    text = page.get_by_role("main").inner_text().lower()
    for unkind in UNKIND:
        assert unkind not in text, unkind


def test_pause_from_a_gift_alerts_footer_in_two_clicks_then_resume_in_one(
    page: Page, browser: Browser, live_server: Any, mailbox: Path
):
    base = live_server.url
    alex = make_user(display_name="Alex Rivera", email=ALEX, password=PASSWORD)
    registry = make_registry(owner=alex, title="Alex & Sam's wedding", occasion="wedding")
    item = make_item(registry=registry, title="Wooden salad bowl")
    make_gift(item=item, giver_name="Aunt Robin")
    run_worker()
    assert gift_alerts_to(mailbox, ALEX) == 1

    body = open_mail(page, base, to=ALEX, subject="A gift from “Alex & Sam's wedding”")
    assert "Pause all messages about this registry: " in body
    pause_link = link_in(body, "/registries/pause/", base)

    # The phone in Alex's hand is not signed in: a fresh browser context, no cookies.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    try:
        # Click 1: the link in the message. Click 2: the one button.
        phone.goto(pause_link)
        expect(phone.get_by_role("heading", level=1)).to_have_text(
            "Pause all messages about “Alex & Sam's wedding”"
        )
        expect(phone.get_by_role("button")).to_have_count(1)
        screenshot(phone, "pause-link")
        phone.get_by_role("button", name="Pause all messages").click()

        expect(phone.get_by_role("heading", level=1)).to_have_text("Messages are paused")
        expect(phone.get_by_test_id("paused")).to_contain_text(
            "Nobody gets any message about “Alex & Sam's wedding”"
        )
        expect(phone.get_by_role("main")).to_contain_text("Thank You List")
        assert_calm(phone)
        screenshot(phone, "pause-link-paused")
        registry.refresh_from_db()
        assert registry.paused_at is not None and registry.paused_by == alex

        # A store's order already on its way: recorded silently, no alert.
        later = make_gift(item=item, giver_name="Uncle Sam")
        run_worker()
        assert gift_alerts_to(mailbox, ALEX) == 1
        row = Notification.objects.get(kind="gift_alert", gift=later)
        assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "registry_paused")
        assert Gift.objects.filter(item__registry=registry).count() == 2

        # Resume: the link alone cannot; Alex logs in from the page and comes back to one button.
        expect(phone.get_by_role("button", name="Resume messages")).to_have_count(0)
        phone.get_by_test_id("resume-needs-login").get_by_role("link", name="log in").click()
        phone.fill("[name=username]", ALEX)
        phone.fill("[name=password]", PASSWORD)
        phone.get_by_role("button", name="Log in").click()
        phone.get_by_role("button", name="Resume messages").click()
        expect(phone.get_by_role("button", name="Pause all messages")).to_be_visible()
        registry.refresh_from_db()
        assert registry.paused_at is None
    finally:
        context.close()

    # Nothing from the paused time is sent afterwards; new gifts alert again.
    make_gift(item=item, giver_name="Cousin Kim")
    run_worker()
    assert gift_alerts_to(mailbox, ALEX) == 2
    row.refresh_from_db()
    assert row.state == NotificationState.SUPPRESSED


def test_pause_from_the_registry_pages_then_resume_in_one_click(page: Page, live_server: Any, mailbox: Path):
    base = live_server.url
    alex = make_user(display_name="Alex Rivera", email=ALEX, password=PASSWORD)
    registry = make_registry(owner=alex, title="Alex & Sam's wedding")
    log_in(page, base, email=ALEX, password=PASSWORD)

    page.goto(f"{base}/registries/{registry.pk}/people/")
    page.get_by_test_id("pause-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pause messages and giving")
    assert_calm(page)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "pause-page")
    page.get_by_role("button", name="Pause all messages about this registry").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Messages are paused")
    assert_calm(page)
    assert Registry.objects.get(pk=registry.pk).paused_at is not None

    page.get_by_role("button", name="Resume messages").click()
    expect(page.get_by_role("status")).to_contain_text("Messages about “Alex & Sam's wedding” are on again")
    assert Registry.objects.get(pk=registry.pk).paused_at is None


def test_a_trusted_delegate_switches_quiet_mode_on_for_the_person_and_off_in_one_click(
    page: Page, live_server: Any, mailbox: Path
):
    base = live_server.url
    alex = make_user(display_name="Alex Rivera", email=ALEX, password=PASSWORD)
    registry = make_registry(owner=alex, title="Alex & Sam's baby", occasion="baby")
    item = make_item(registry=registry, title="Rocking horse")
    robin = make_user(display_name="Robin Lee", email="robin.lee@example.test", password=PASSWORD)
    # Alex named Robin themselves and Robin accepted (the invitation: accounts/tests/test_quiet_views.py).
    QuietDelegate.objects.create(user=alex, email=robin.email, delegate=robin, accepted_at=timezone.now())
    log_in(page, base, email=robin.email, password=PASSWORD)

    page.goto(f"{base}/accounts/quiet/")
    trusting = page.get_by_test_id("trusting")
    expect(trusting).to_contain_text("Alex Rivera")
    screenshot(page, "quiet-page-delegate")
    trusting.get_by_role("button", name="Switch quiet mode on for Alex Rivera").click()

    expect(page.get_by_role("status")).to_contain_text("Quiet mode is on for Alex Rivera")
    alex.refresh_from_db()
    assert alex.quiet_since is not None and alex.quiet_by == robin
    assert Registry.objects.get(pk=registry.pk).paused_at is None

    # Gifts keep landing, silently.
    quiet_gift = make_gift(item=item, giver_name="Aunt Robin")
    run_worker()
    assert gift_alerts_to(mailbox, ALEX) == 0
    row = Notification.objects.get(kind="gift_alert", gift=quiet_gift)
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "quiet_mode")

    # One click switches it off again; new gifts alert, nothing from the quiet time is replayed.
    page.get_by_test_id("trusting").get_by_role(
        "button", name="Switch quiet mode off for Alex Rivera"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("Quiet mode is off for Alex Rivera")
    alex.refresh_from_db()
    assert alex.quiet_since is None
    make_gift(item=item, giver_name="Uncle Sam")
    run_worker()
    assert gift_alerts_to(mailbox, ALEX) == 1
