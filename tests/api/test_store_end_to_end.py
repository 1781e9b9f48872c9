"""End to end, over real sockets: a giver opens the share page, follows an item's buy link to a local fake
store, whose checkout posts a signed `order.paid` to our webhook (202: stored); the worker records the gift;
the registrant gets exactly one gift alert at a real SMTP server (aiosmtpd), and the gift is on their Thank
You List."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from gratitude.api.models import StoreEvent
from gratitude.api.services import store_add
from gratitude.gifts.models import Gift, GiftSource
from gratitude.testing.factories import make_item, make_registry, make_user
from gratitude.testing.smtp import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class FakeStore:
    """A shop on 127.0.0.1: GET /checkout?gratitude_ref=... "sells" the item and posts the signed event."""

    def __init__(self, *, store_id: str, secret: str, webhook_base: str) -> None:
        self.store_id, self.secret, self.webhook_base = store_id, secret, webhook_base
        self.answers: list[tuple[int, dict[str, Any]]] = []
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                ref = parse_qs(urlsplit(self.path).query).get("gratitude_ref", [""])[0]
                store.answers.append(store.post_paid(ref))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"Thank you for your order")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def post_paid(self, ref: str) -> tuple[int, dict[str, Any]]:
        body = json.dumps(
            {
                "event": "order.paid",
                "order_id": "SHOP-1",
                "lines": [{"line_id": "1", "item_ref": ref, "quantity": 1}],
                "buyer": {"name": "Robin Buyer", "email": "robin@example.test", "message": "Enjoy!"},
            }
        ).encode()
        t = str(int(time.time()))
        digest = hmac.new(self.secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(  # noqa: S310 - the live test server on 127.0.0.1
            f"{self.webhook_base}/api/v1/stores/{self.store_id}/events",
            data=body,
            headers={"Content-Type": "application/json", "X-Gratitude-Signature": f"t={t},v1={digest}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())


@pytest.fixture
def fake_store(live_server: Any) -> Iterator[FakeStore]:
    row, secret = store_add(name="Fake shop")
    shop = FakeStore(store_id=row.public_id, secret=secret, webhook_base=live_server.url)
    shop.thread.start()
    try:
        yield shop
    finally:
        shop.server.shutdown()
        shop.server.server_close()


def test_a_store_purchase_alerts_the_registrant_once_and_lands_on_the_thank_you_list(
    fake_store: FakeStore, live_server: Any, smtp_settings: Any
) -> None:
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Alex's birthday")
    item = make_item(registry=registry, title="Teapot", quantity=1, url=f"{fake_store.url}/checkout")

    with urllib.request.urlopen(f"{live_server.url}/r/{registry.share_key}/", timeout=10) as page:  # noqa: S310
        html = page.read().decode()
    link = re.search(r'href="(' + re.escape(fake_store.url) + r'/checkout\?[^"]+)"', html)
    assert link is not None, "the share page shows the item's buy link"
    buy = unescape(link.group(1))
    with urllib.request.urlopen(buy, timeout=10) as checkout:  # noqa: S310 - the fake store on 127.0.0.1
        assert checkout.status == 200

    # Verified and stored: the answer says accepted; the worker records the gift.
    assert [status for status, _ in fake_store.answers] == [202]
    assert fake_store.answers[0][1]["status"] == "accepted"
    assert not Gift.objects.exists()

    call_command("worker", drain=True, verbosity=0)
    event = StoreEvent.objects.get(pk=fake_store.answers[0][1]["event_id"])
    assert event.outcome == "recorded"
    gift = Gift.objects.get()
    assert (gift.item_id, gift.source, gift.giver_name) == (item.pk, GiftSource.STORE, "Robin Buyer")
    assert event.result["recorded_gifts"] == [gift.pk]
    # A second run finds nothing more to send: one purchase, one alert.
    call_command("worker", drain=True, verbosity=0)

    alerts = [m for m in smtp_settings.to(owner.email) if m["X-Gratitude-Kind"] == "gift_alert"]
    assert len(alerts) == 1
    assert len(smtp_settings.messages) == 1
    browser = Client()
    browser.force_login(owner)
    thank_you = browser.get(f"/registries/{registry.pk}/thanks/").content.decode()
    assert "Robin Buyer" in thank_you and "Teapot" in thank_you
