"""The operator console in a real browser (Debian Chromium) against a live server: one operator writes a
campaign and previews it, cannot approve it herself, a second operator (in a browser context of his own)
approves and starts it, the worker sends the canary, and the console's per-minute chart shows it.
Then a halt from the console holds the rest, and the audit log lists every step with who and why."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from gratitude.operations.models import Campaign, CampaignState
from gratitude.operations.tests.support import make_registrants, make_staff

# See tests/e2e/test_thin_path.py: Playwright's sync API keeps an asyncio loop in the main thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def console_settings(settings: Any, live_server: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GRATITUDE_CANARY_SLICE = "2"
    settings.GRATITUDE_CANARY_WAIT_SECONDS = 3600


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def operator(name: str) -> Any:
    user = make_staff(name)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("[name=username]", email)
    page.fill("[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Console")).to_be_visible()


def run_worker() -> None:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", drain=True, verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_preview_second_operator_approves_canary_runs_and_the_chart_shows_it(
    page: Page, second_page: Page, live_server: Any, console_settings: None
):
    base = live_server.url
    alice, bob = operator("Alice Ops"), operator("Bob Ops")
    make_registrants(5, occasion="wedding")
    make_registrants(3, occasion="baby")

    # Alice writes a campaign to wedding registrants and previews it.
    log_in(page, base, alice.email)
    page.get_by_role("link", name="Console").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sending")
    page.get_by_role("link", name="Campaigns").click()
    form = page.get_by_test_id("campaign-form")
    form.get_by_label("Title").fill("Printable lists")
    form.get_by_label("Subject").fill("Gratitude now keeps a printable Thank You List")
    form.get_by_label("Body").fill("You can now print your Thank You List.\n\nNothing else changes.")
    form.get_by_label("No occasion at all").check()
    form.get_by_role("group", name="Registry occasions").get_by_label("Wedding").check()
    form.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("campaign-state")).to_contain_text("Draft")
    expect(page.get_by_test_id("audience-count")).to_contain_text("5 people now")
    expect(page.get_by_test_id("by-occasion")).to_contain_text("Wedding: 5")
    expect(page.get_by_test_id("sample-recipients").get_by_role("listitem")).to_have_count(5)
    expect(page.get_by_test_id("preview-subject")).to_have_text(
        "Gratitude now keeps a printable Thank You List"
    )
    expect(page.get_by_test_id("preview-body")).to_contain_text("You can now print your Thank You List.")

    # She freezes the audience; she cannot approve her own campaign.
    page.get_by_role("button", name="Freeze the audience").click()
    expect(page.get_by_test_id("campaign-state")).to_contain_text("waiting for a second operator")
    expect(page.get_by_test_id("needs-second")).to_be_visible()
    expect(page.get_by_role("button", name="Approve", exact=False)).to_have_count(0)
    campaign_url = page.url

    # Bob, in his own browser, reviews and approves it, then starts the canary.
    log_in(second_page, base, bob.email)
    second_page.goto(campaign_url)
    expect(second_page.get_by_test_id("fingerprint")).to_have_text(
        page.get_by_test_id("fingerprint").inner_text()
    )
    second_page.get_by_role("button", name=f"Approve as {bob.email}").click()
    expect(second_page.get_by_role("status")).to_contain_text("Approved.")
    expect(second_page.get_by_test_id("campaign-state")).to_contain_text(f"approved by {bob.email}")
    second_page.get_by_role("button", name="Start: send the canary").click()
    expect(second_page.get_by_test_id("campaign-state")).to_contain_text("Canary")

    # The worker sends the canary: two messages; the rest waits for the canary's watch.
    run_worker()
    campaign = Campaign.objects.get()
    assert campaign.state == CampaignState.CANARY
    second_page.reload()
    expect(second_page.get_by_test_id("canary")).to_contain_text("2 messages: 2 sent, 0 on their way")
    second_page.get_by_role("button", name="Check the canary now").click()
    expect(second_page.get_by_role("status")).to_contain_text("canary: waiting")

    # Alice's console: the campaign kind's chart shows the two sends of this minute.
    page.get_by_role("link", name="Sending").click()
    chart = page.get_by_test_id("chart-campaign")
    expect(chart).to_be_visible()
    expect(chart.locator("svg path[data-series='sent']")).to_have_attribute("data-total", "2")
    expect(chart.locator("svg path[data-series='queued']")).to_have_attribute("data-total", "2")
    expect(page.get_by_test_id("kind-campaign").get_by_role("cell").nth(4)).to_have_text("2")
    if shots := os.environ.get("GRATITUDE_E2E_SCREENSHOTS"):
        page.screenshot(path=os.path.join(shots, "console.png"), full_page=True)

    # Halting from the console takes a reason, and shows.
    halt = page.get_by_test_id("halt-form")
    halt.get_by_label("What").select_option("campaign")
    halt.get_by_label("Why").fill("drill from the browser")
    halt.get_by_role("button", name="Halt sending").click()
    expect(page.get_by_role("status")).to_contain_text("Halted campaign.")
    expect(page.get_by_test_id("kind-campaign")).to_contain_text("HALTED")

    # The audit log has every step, with who.
    page.get_by_role("link", name="Audit log").click()
    entries = page.get_by_test_id("audit-entry")
    for action, who in [
        ("campaign.create", alice.email),
        ("campaign.freeze", alice.email),
        ("campaign.approve", bob.email),
        ("campaign.start", bob.email),
        ("sends.halt", alice.email),
    ]:
        expect(entries.filter(has_text=action).filter(has_text=who)).to_have_count(1)
