"""Helpers for tests that play a store: sign a body the way docs/api.md tells stores to, and post it."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from django.test import Client

from gratitude.registries.item_refs import item_ref_make
from gratitude.registries.models import Item


def sign(secret: str, body: bytes, t: int | None = None) -> str:
    stamp = str(int(time.time()) if t is None else t)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def paid(order_id: str, *lines: tuple[str, Item, int], **buyer: str) -> dict[str, Any]:
    return {
        "event": "order.paid",
        "order_id": order_id,
        "lines": [
            {"line_id": line_id, "item_ref": item_ref_make(item_id=item.pk), "quantity": quantity}
            for line_id, item, quantity in lines
        ],
        "buyer": {"name": "Sam Buyer", **buyer},
    }


def post_event(
    client: Client, store_id: str, secret: str, payload: dict[str, Any] | bytes, t: int | None = None
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        f"/api/v1/stores/{store_id}/events",
        data=body,
        content_type="application/json",
        headers={"X-Gratitude-Signature": sign(secret, body, t)},
    )
