"""A registrant works through their Thank You List in a real browser (Debian Chromium) on a live server.

They see every gift and the progress, mark notes written (and undo a slip), thank one giver for all their
gifts at once from the giver view, keep a private note, ask a giver without an address for one (the giver, in
a second cookie-less browser, opens the link from the mail and shares it), print labels, and download the
CSV, which is parsed back here.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Locator, Page, expect

from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

# Playwright's sync API keeps an asyncio loop running in the main thread for the whole session; the plain ORM
# calls made here (factories, the worker, pytest-django's flush) need this. See tests/e2e/test_thin_path.py.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def giver_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def run_worker() -> None:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", drain=True, verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def open_mail(page: Page, base_url: str, *, to: str, subject: str) -> str:
    page.goto(f"{base_url}/dev/mailbox/")
    rows = page.get_by_test_id("mail-row").filter(has_text=to).filter(has_text=subject)
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    body = page.get_by_test_id("mail-body")
    expect(body).to_be_visible()
    return body.inner_text()


def gift_row(page: Page, text: str) -> Locator:
    return page.get_by_test_id("gift-row").filter(has_text=text)


def test_a_registrant_works_through_the_thank_you_list(
    page: Page, giver_page: Page, live_server: Any, mailbox: Any, tmp_path: Any
):
    base = live_server.url
    owner = make_user(email="alex@example.test", display_name="Alex Rivera", password=PASSWORD)
    registry = make_registry(owner=owner, title="Alex & Sam's wedding", occasion="wedding")
    teapot = make_item(registry=registry, title="Blue teapot", quantity=3)
    vase = make_item(registry=registry, title="Glass vase", quantity=3)
    make_gift(
        item=teapot, giver_name="Aunt Robin", giver_email="robin@example.test", message="For tea, always"
    )
    make_gift(item=vase, giver_name="Aunt Robin", giver_email="robin@example.test")
    make_gift(item=vase, giver_name="Kim Lee", giver_email="kim@example.test", message="Zoë says hi, too")
    make_gift(item=teapot, giver_name="Jo Park", giver_email="", giver_address="3 Elm Road\nRivertown")
    run_worker()  # the gift alerts go out first, so the later mailbox holds only the address request

    page.goto(f"{base}/accounts/login/")
    page.fill("[name=username]", owner.email)
    page.fill("[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/registries/{registry.pk}/")
    page.get_by_role("link", name="Thank You List").click()

    # Everything is on the list, nothing thanked yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank You List")
    expect(page.get_by_test_id("gift-row")).to_have_count(4)
    expect(page.get_by_test_id("progress")).to_contain_text("0 of 4 thanked")
    expect(gift_row(page, "Jo Park")).to_contain_text("3 Elm Road")

    # Notes for Kim and Jo are written: tick both, mark written.
    gift_row(page, "Kim Lee").get_by_role("checkbox").check()
    gift_row(page, "Jo Park").get_by_role("checkbox").check()
    page.get_by_role("button", name="Mark written").click()
    expect(page.get_by_role("status").filter(has_text="Marked 2 gifts written.")).to_be_visible()
    expect(gift_row(page, "Kim Lee").get_by_test_id("status")).to_have_text("Written")
    expect(page.get_by_test_id("progress")).to_contain_text("2 written, not yet sent")

    # A slip: Robin's teapot marked sent by mistake, then undone.
    gift_row(page, "Blue teapot").filter(has_text="Aunt Robin").get_by_role("checkbox").check()
    page.get_by_role("button", name="Mark sent").click()
    expect(page.get_by_test_id("progress")).to_contain_text("1 of 4 thanked")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status").filter(has_text="Undone: 1 gift back as before.")).to_be_visible()
    expect(page.get_by_test_id("progress")).to_contain_text("0 of 4 thanked")

    # Kim's and Jo's notes went out; then filter to what is left to do.
    gift_row(page, "Kim Lee").get_by_role("checkbox").check()
    gift_row(page, "Jo Park").get_by_role("checkbox").check()
    page.get_by_role("button", name="Mark sent").click()
    expect(page.get_by_test_id("progress")).to_contain_text("2 of 4 thanked")
    page.select_option("[name=status]", "todo")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("gift-row")).to_have_count(2)
    expect(page.get_by_test_id("gift-row").filter(has_text="Aunt Robin")).to_have_count(2)

    # A private note on the teapot.
    gift_row(page, "Blue teapot").get_by_role("link", name="1 × Blue teapot").click()
    page.fill("[name=note]", "Mention the picnic in June")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_contain_text("Note saved.")

    # Robin left an email but no address: ask, once.
    page.get_by_role("button", name="Ask Aunt Robin for an address").click()
    expect(page.get_by_role("status")).to_contain_text("We will ask Aunt Robin once, by email")
    expect(page.get_by_role("button", name="Ask Aunt Robin for an address")).to_have_count(0)
    run_worker()
    body = open_mail(page, base, to="robin@example.test", subject="A thank-you for your gift from")
    assert body.startswith("Hello,")  # Robin never confirmed the address: no name, no item
    assert "“Alex & Sam's wedding”" in body and "Blue teapot" not in body
    link = re.search(rf"{re.escape(base)}/t/address/\S+/", body)
    assert link, body

    # Robin, with no account and no cookies, shares an address.
    assert giver_page.context.cookies() == []
    giver_page.goto(link.group(0))
    expect(giver_page.get_by_role("heading", level=1)).to_have_text("Where should the thank-you note go?")
    giver_page.fill("[name=address]", "12 Harbour Street\nPortsmouth PO1 2AB")
    giver_page.get_by_role("button", name="Share my address").click()
    expect(giver_page.get_by_role("heading", level=1)).to_have_text("Thank you, Aunt Robin")

    # One note thanks Robin for both gifts: the giver view marks them together.
    page.goto(f"{base}/registries/{registry.pk}/thanks/?view=givers")
    robin = page.get_by_test_id("giver-card").filter(has_text="Aunt Robin")
    expect(robin.get_by_test_id("giver-gift")).to_have_count(2)
    expect(robin).to_contain_text("12 Harbour Street")
    robin.get_by_role("button", name="Mark sent").click()
    expect(page.get_by_test_id("progress")).to_contain_text("4 of 4 thanked")
    expect(page.get_by_test_id("progress")).to_contain_text("3 of 3 givers fully thanked")

    # Labels for every giver with an address.
    page.goto(f"{base}/registries/{registry.pk}/thanks/labels/?all=1")
    expect(page.get_by_test_id("label")).to_have_count(2)
    expect(page.get_by_test_id("label").filter(has_text="Aunt Robin")).to_contain_text("Portsmouth PO1 2AB")

    # The CSV download opens in a spreadsheet parser with every gift and its status.
    page.goto(f"{base}/registries/{registry.pk}/thanks/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV for a spreadsheet").click()
    download = download_info.value
    assert download.suggested_filename == "thank-you-list-alex-sams-wedding.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert len(rows) == 4
    assert {row["Thank-you"] for row in rows} == {"Sent"}
    by_item_and_giver = {(row["Item"], row["From"]): row for row in rows}
    assert by_item_and_giver[("Blue teapot", "Aunt Robin")]["Note"] == "Mention the picnic in June"
    assert (
        by_item_and_giver[("Blue teapot", "Aunt Robin")]["Mailing address"]
        == "12 Harbour Street\nPortsmouth PO1 2AB"
    )
    assert by_item_and_giver[("Glass vase", "Kim Lee")]["Message"] == "Zoë says hi, too"
    if shots := os.environ.get("GRATITUDE_E2E_SCREENSHOTS"):
        page.screenshot(path=os.path.join(shots, "thank-you-list.png"), full_page=True)
