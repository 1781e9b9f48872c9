"""The API's pages in a real browser (Debian Chromium) against a live server: a person makes a personal token
on the account page, sees it once, uses it, and revokes it; the interactive API docs load every file from our
own server and nothing from anywhere else."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from gratitude.testing.factories import make_user

# See tests/e2e/test_thin_path.py: Playwright's sync API keeps an asyncio loop in the main thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 42"


def me(base_url: str, token: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - the live test server on 127.0.0.1
        f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert json.loads(response.read())["scope"] == "write"
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_a_token_is_made_shown_once_used_and_revoked(page: Page, live_server: Any) -> None:
    person = make_user(display_name="Alex")
    person.set_password(PASSWORD)
    person.save(update_fields=["password"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("[name=username]", person.email)
    page.fill("[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="API tokens").click()

    page.get_by_label("Name").fill("my script")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Make token").click()
    token = page.get_by_test_id("token-value").inner_text().strip()
    assert token.startswith("grt_")
    assert me(live_server.url, token) == 200

    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert token not in page.content()
    row = page.get_by_test_id("token-row").filter(has_text="my script")
    expect(row).not_to_contain_text("never")  # its last use is shown
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_test_id("token-row").filter(has_text="my script")).to_contain_text("revoked")
    assert me(live_server.url, token) == 401


def test_the_api_docs_load_only_from_our_own_server(page: Page, live_server: Any) -> None:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_text("Gratitude API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/stores/{store_id}/events").first).to_be_visible()
    assert hosts == {urlsplit(live_server.url).netloc}
