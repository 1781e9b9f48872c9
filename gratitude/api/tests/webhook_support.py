"""Helpers for tests that play a store: sign a body the way docs/api.md tells stores to, post it, and read
what the worker made of it (the webhook answers 202; the outcome is recorded on the event)."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from typing import Any

from gratitude.api.models import StoreEvent
from gratitude.api.tasks import apply_store_events
from gratitude.registries.item_refs import item_ref_make
from gratitude.registries.models import Item
from gratitude.testing.wsgi_call import call_wsgi


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
    client: Any, store_id: str, secret: str, payload: dict[str, Any] | bytes, t: int | None = None
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        f"/api/v1/stores/{store_id}/events",
        data=body,
        content_type="application/json",
        headers={"X-Gratitude-Signature": sign(secret, body, t)},
    )


def run_worker() -> int:
    """What `gratitude worker` does on a wake-up: apply every pending store event. Returns how many."""
    return apply_store_events.call()


def outcome_of(response: Any) -> dict[str, Any]:
    """The accepted event's outcome as the worker recorded it (running the worker first if it is pending):
    what the webhook's answer carried when events were applied in the request."""
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "accepted"
    row = StoreEvent.objects.get(pk=response.json()["event_id"])
    if row.outcome == "pending":
        run_worker()
        row.refresh_from_db()
    return {"outcome": row.outcome, **row.result}


class WsgiResponse:
    """What `WsgiClient` answers: the parts of a test client's response these tests read."""

    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status_code = int(status.split()[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.content = content

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]

    def json(self) -> Any:
        return json.loads(self.content)


class WsgiClient:
    """Requests through config/wsgi.py's `application`, as gunicorn sends them: the store webhook then takes
    the machine path (core/lean_wsgi.py), every other request the full application. Like Django's test
    client, it keeps the test's database connection open across the request's signals."""

    def post(
        self, path: str, data: bytes = b"", content_type: str = "", headers: dict[str, str] | None = None
    ) -> WsgiResponse:
        return self._request("POST", path, data, content_type, headers or {})

    def get(self, path: str, headers: dict[str, str] | None = None) -> WsgiResponse:
        return self._request("GET", path, b"", "", headers or {})

    def _request(
        self, method: str, path: str, body: bytes, content_type: str, headers: dict[str, str]
    ) -> WsgiResponse:
        from config.wsgi import application

        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SCRIPT_NAME": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": content_type,
            **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
        }
        return WsgiResponse(*call_wsgi(application, environ))
