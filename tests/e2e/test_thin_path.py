"""The walking skeleton's thin path, in a real browser (Debian Chromium) against a live server.

A registrant signs up (nobody is logged in yet: every sign-up gets the same "Check your email" page), follows
the link the worker delivered and types the password chosen, which confirms the address and logs them in;
they build a registry and share it; a guest in a second, cookie-less browser context records a purchase; the
worker sends the gift alert; the registrant sees the gift on the Thank You List and the alert in the dev
mailbox. A second test signs up again with an address that has an account (the same page; the mail says
"you already have an account" and leads to the ways in), then walks log out, log in and a password reset
round trip.

Mail goes through the real outbox and the real worker (run in-process), and is read the way a developer
reads it: on /dev/mailbox in the browser.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

# Playwright's sync API leaves an asyncio loop running in the main thread from the moment its session-scoped
# fixture starts until the session ends, so Django's async-safety guard would refuse the plain synchronous
# ORM calls made here (the worker, pytest-django's flush and, later, its test-database teardown). It is set at
# import so it holds for all of those; only this module sets it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "a brand new passphrase 1729"
EMAIL_VERIFY_SUBJECT = "Confirm your email address for Gratitude"
PASSWORD_RESET_SUBJECT = "Reset your Gratitude password"
SIGNUP_EXISTING_SUBJECT = "You already have a Gratitude account"


@pytest.fixture
def guest_page(browser: Browser) -> Iterator[Page]:
    """A second browser context: no cookies, no session, nothing shared with the registrant."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def run_worker() -> None:
    """`gratitude worker --drain` in-process. It installs SIGINT/SIGTERM handlers for a long-lived worker;
    put pytest's back afterwards so Ctrl-C still stops the test run."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", drain=True, verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def open_mail(page: Page, base_url: str, *, to: str, subject: str) -> str:
    """Open the newest captured message to `to` whose subject contains `subject`; return its plain text."""
    page.goto(f"{base_url}/dev/mailbox/")
    expect(page.get_by_role("heading", name="Dev mailbox")).to_be_visible()
    rows = page.get_by_test_id("mail-row").filter(has_text=to).filter(has_text=subject)
    expect(rows).not_to_have_count(0)
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(subject)
    body = page.get_by_test_id("mail-body")
    expect(body).to_be_visible()
    return body.inner_text()


def link_in(body: str, path_prefix: str, base_url: str) -> str:
    match = re.search(rf"{re.escape(base_url)}{re.escape(path_prefix)}\S+", body)
    assert match, f"no {path_prefix} link to {base_url} in the mail:\n{body}"
    return match.group(0)


def sign_up(page: Page, base_url: str, *, email: str) -> None:
    """Fill in the sign-up form (only the address). Whatever the address, the answer is the same page and
    nobody is logged in: the mail says what comes next."""
    page.goto(f"{base_url}/accounts/signup/")
    page.fill("[name=email]", email)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{base_url}/accounts/signup/sent/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("status")).to_have_text(f"We sent a message to {email}.")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def finish_sign_up(page: Page, base_url: str, *, name: str, email: str, password: str = PASSWORD) -> None:
    """Follow the link the worker mailed and choose a name and a password there: the address is confirmed
    and the person logged in."""
    run_worker()
    body = open_mail(page, base_url, to=email, subject=EMAIL_VERIFY_SUBJECT)
    # Greeted by no name: the address is not confirmed yet, and its name is chosen by whoever opens the link.
    assert body.startswith("Hello,")
    page.goto(link_in(body, "/accounts/verify/", base_url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish signing up")
    page.fill("[name=display_name]", name)
    page.fill("[name=password]", password)
    page.get_by_role("button", name="Finish signing up").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("status")).to_contain_text(
        f"Thank you: {email} is confirmed, and your account is ready."
    )
    expect(page.get_by_role("heading", name=f"Hello, {name}")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator(".notice")).to_have_count(0)


def log_in(page: Page, base_url: str, *, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("[name=username]", email)
    page.fill("[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_thin_path_sign_up_to_thank_you_list(page: Page, guest_page: Page, live_server: Any, mailbox: Any):
    base = live_server.url
    name, email = "Alex Rivera", "alex@example.test"
    registry_title = "Alex & Sam's baby"
    item_title = "Wooden rocking horse"
    giver, giver_email = "Aunt Robin", "robin@example.test"
    giver_message = "For many happy rides.\nLove, Robin"

    # 1. Sign up: not logged in yet, asked to check the mail.
    sign_up(page, base, email=email)

    # 2. Follow the link the worker delivered through the outbox, type the password: confirmed, logged in.
    finish_sign_up(page, base, name=name, email=email)

    # 3. Create a registry and add an item.
    page.get_by_role("link", name="Create a registry").click()
    expect(page).to_have_url(f"{base}/registries/new/")
    page.fill("[name=title]", registry_title)
    page.select_option("[name=occasion]", "baby")
    page.fill("[name=event_date]", "2031-03-14")
    page.select_option("[name=visibility]", "link")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(registry_title)
    expect(page.locator("p.muted").first).to_contain_text("Baby · 14 March 2031 · Anyone with the link")
    registry_url = page.url
    assert re.fullmatch(rf"{re.escape(base)}/registries/\d+/", registry_url), registry_url

    item_form = page.locator("form[action$='/items/']")
    item_form.locator("[name=title]").fill(item_title)
    item_form.locator("[name=quantity]").fill("2")
    item_form.locator("[name=price]").fill("89.50")
    item_form.locator("[name=url]").fill("https://shop.example.test/rocking-horse")
    item_form.get_by_role("button", name="Add item").click()
    expect(page.get_by_role("status")).to_contain_text(f"Added “{item_title}”.")
    item_row = page.get_by_role("row").filter(has_text=item_title)
    # The price carries the registry's currency, guessed at creation from the browser (Chromium: en-US).
    expect(item_row.get_by_role("cell")).to_have_text([item_title, "2", "0", "0", "89.50 USD"])
    expect(item_row.get_by_role("link", name=item_title)).to_have_attribute(
        "href", "https://shop.example.test/rocking-horse"
    )

    # 4. A guest opens the share link in a fresh context and records a purchase.
    share_url = page.get_by_test_id("share-link").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(base)}/r/[^/]+/", share_url), share_url
    assert guest_page.context.cookies() == []
    guest_page.goto(share_url)
    expect(guest_page.get_by_role("heading", level=1)).to_have_text(registry_title)
    expect(guest_page.get_by_role("button", name="Log out")).to_have_count(0)
    guest_row = guest_page.get_by_test_id("item-row").filter(has_text=item_title)
    expect(guest_row).to_contain_text("2 of 2")
    guest_row.get_by_role("link", name="I bought this").click()
    expect(guest_page.get_by_role("heading", level=1)).to_have_text(f"You bought “{item_title}”")
    expect(guest_page.get_by_text("2 still wanted")).to_be_visible()
    guest_page.fill("[name=giver_name]", giver)
    guest_page.fill("[name=giver_email]", giver_email)
    guest_page.fill("[name=message]", giver_message)
    guest_page.get_by_role("button", name="Record my gift").click()
    expect(guest_page).to_have_url(f"{share_url}thank-you/")
    expect(guest_page.get_by_role("heading", level=1)).to_have_text(f"Thank you, {giver}")
    expect(guest_page.get_by_role("main")).to_contain_text(
        f"1 × “{item_title}” is recorded on {registry_title}"
    )
    guest_page.get_by_role("link", name="Back to the list").click()
    expect(guest_page.get_by_test_id("item-row").filter(has_text=item_title)).to_contain_text("1 of 2")

    # 5. The worker sends the alert; the gift is on the Thank You List and the alert in the mailbox.
    run_worker()
    page.goto(registry_url)
    expect(page.get_by_role("row").filter(has_text=item_title).get_by_role("cell")).to_have_text(
        [item_title, "2", "0", "1", "89.50 USD"]
    )
    page.get_by_role("link", name="Thank You List").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank You List")
    expect(page.get_by_role("main")).to_contain_text(f"{registry_title} · 1 gift")
    today = timezone.now()
    gift_rows = page.get_by_test_id("gift-row")
    expect(gift_rows).to_have_count(1)
    cells = gift_rows.first.get_by_role("cell")
    expect(cells.nth(0)).to_have_text(f"1 × {item_title}")
    expect(cells.nth(1)).to_contain_text(giver)
    expect(cells.nth(1)).to_contain_text(giver_email)
    # The message keeps its line break (<br>), read as the person sees it.
    expect(cells.nth(2).locator("br")).to_have_count(1)
    expect(cells.nth(2)).to_have_text("For many happy rides. Love, Robin", use_inner_text=True)
    expect(cells.nth(3)).to_have_text(f"{today.day} {today:%b %Y}")
    if shots := os.environ.get("GRATITUDE_E2E_SCREENSHOTS"):  # e.g. =/tmp to look at the page by eye
        page.screenshot(path=os.path.join(shots, "thanks.png"), full_page=True)

    alert_subject = f"A gift from “{registry_title}”"  # no giver's name in a Subject
    body = open_mail(page, base, to=email, subject=alert_subject)
    assert body.startswith(f"Hi {name},")
    assert f"{giver} gave 1 × “{item_title}” from your registry “{registry_title}”." in body
    assert giver_message in body
    assert f"{registry_url}thanks/" in body  # the link to the Thank You List
    # The alert went to the registrant only, never to the guest.
    page.goto(f"{base}/dev/mailbox/")
    expect(page.get_by_test_id("mail-row").filter(has_text=giver_email)).to_have_count(0)
    expect(page.get_by_test_id("mail-row")).to_have_count(2)


def test_log_out_log_in_and_reset_password(page: Page, live_server: Any, mailbox: Any):
    base = live_server.url
    name, email = "Jordan Lee", "jordan@example.test"
    sign_up(page, base, email=email)
    finish_sign_up(page, base, name=name, email=email)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    # Signing up again with the address: the very same page, and the mail tells the address it has an
    # account, leading to the ways in (never straight to a log-in form) without the password changing.
    sign_up(page, base, email=email)
    run_worker()
    body = open_mail(page, base, to=email, subject=SIGNUP_EXISTING_SUBJECT)
    assert body.startswith(f"Hi {name},")
    assert "Someone, maybe you, tried to create a Gratitude account with this address." in body
    existing_url = link_in(body, "/accounts/signup/", base)
    assert existing_url == f"{base}/accounts/signup/existing/"
    page.goto(existing_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("You already have an account")
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    expect(page).to_have_url(f"{base}/accounts/login/")

    # A wrong password is refused; the right one works.
    page.goto(f"{base}/accounts/login/")
    page.fill("[name=username]", email)
    page.fill("[name=password]", "not my password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.locator(".errorlist")).to_be_visible()
    log_in(page, base, email=email, password=PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {name}")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()

    # Forgot the password: request a reset, follow the mailed link, choose a new one.
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("[name=email]", email)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    run_worker()
    body = open_mail(page, base, to=email, subject=PASSWORD_RESET_SUBJECT)
    assert f"Hi {name}," in body
    reset_url = link_in(body, "/accounts/reset/", base)
    page.goto(reset_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.fill("[name=new_password1]", NEW_PASSWORD)
    page.fill("[name=new_password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")

    # The link is spent, the old password no longer works, the new one does.
    page.goto(reset_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("This reset link is not valid")
    page.goto(f"{base}/accounts/login/")
    page.fill("[name=username]", email)
    page.fill("[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist")).to_be_visible()
    log_in(page, base, email=email, password=NEW_PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {name}")).to_be_visible()
