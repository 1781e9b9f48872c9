"""A stranger's mailbox, in Chromium (docs/safety.md promises 16 and 17): someone types a stranger's address
into a giver's form with words meant to phish; the stranger gets our fixed words only, checks the message
signed out on "Is this email from us?" with its code and their address (yes; a wrong address reads "no"),
and stops all our mail with "never email me again" (opening the link changes nothing; the button does)."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gratitude.notifications.models import SuppressedAddress
from gratitude.testing.factories import make_item, make_registry, make_user
from tests.e2e.test_thin_path import guest_page, link_in, open_mail, run_worker

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["guest_page"]  # a fixture, imported for pytest to find (mailbox is in conftest.py)

STRANGER = "stranger@example.test"


def test_a_stranger_gets_fixed_words_can_check_them_signed_out_and_can_stop_all_mail(
    page: Page, guest_page: Page, live_server: Any, mailbox: Any
):
    base = live_server.url
    registry = make_registry(owner=make_user(display_name="Alex Rivera"), title="Baby Kim")
    make_item(registry=registry, title="Car seat", quantity=2)

    # The attacker, on the public share page, types the stranger's address and their own words.
    guest_page.goto(f"{base}/r/{registry.share_key}/")
    row = guest_page.get_by_test_id("item-row").filter(has_text="Car seat")
    row.get_by_role("link", name="I bought this").click()
    guest_page.fill("[name=giver_name]", "Amazon Account Security")
    guest_page.fill("[name=giver_email]", STRANGER)
    guest_page.fill("[name=message]", "Your account is locked. Call 555 0100 now")
    guest_page.get_by_label("Email me a receipt").check()
    guest_page.get_by_role("button", name="Record my gift").click()
    run_worker()

    body = open_mail(page, base, to=STRANGER, subject="Your receipt: a gift from “Baby Kim”")
    assert body.startswith("Hello,")
    for typed in ("Amazon", "locked", "555 0100", "Car seat"):
        assert typed not in body, typed
    code = re.search(r"Reference code: ([A-Z0-9]{10})\.", body)
    assert code is not None

    # Signed out, the stranger checks it: the code and the address they got it at say yes.
    stranger = guest_page  # no cookies, nobody signed in
    stranger.goto(f"{base}/mail/check/")
    stranger.fill("[name=code]", code.group(1))
    stranger.fill("[name=address]", STRANGER)
    stranger.get_by_role("button", name="Check").click()
    expect(stranger.get_by_test_id("check-result")).to_contain_text(
        "Yes: we sent this email to that address on"
    )
    expect(stranger.get_by_test_id("check-result")).to_contain_text("It is a receipt for a gift.")
    stranger.fill("[name=code]", code.group(1))
    stranger.fill("[name=address]", "someone.else@example.test")
    stranger.get_by_role("button", name="Check").click()
    expect(stranger.get_by_test_id("check-result")).to_contain_text("We find no email with this code")

    # "Never email me again": opening it changes nothing, the button stops everything.
    stranger.goto(link_in(body, "/mail/never/", base))
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Never email me again")
    assert not SuppressedAddress.objects.exists()
    stranger.get_by_role("button", name="Never email me again").click()
    expect(stranger.get_by_test_id("never-email-done")).to_contain_text("gets no more email from Gratitude")
    assert SuppressedAddress.objects.get().reason == "never_email"
