"""Store webhook ingestion (docs/api.md): signed `order.paid` events recorded per second on PostgreSQL, served
by gunicorn, each recorded exactly once.

    python bench/webhook_bench.py                 # 3,000 events, 2 gunicorn workers, 8 client threads
    BENCH_WEBHOOK_EVENTS=5000 BENCH_WEBHOOK_WORKERS=3 BENCH_WEBHOOK_CLIENTS=12 python bench/webhook_bench.py

1. A throw-away PostgreSQL database (BENCH_PG, default postgres://postgres@127.0.0.1:5432), migrated, with one
   registry of 200 items (so gifts spread over many item locks), its owner alert-enabled, and one store.
2. gunicorn (`--no-control-socket`, sync workers) on 127.0.0.1:BENCH_WEBHOOK_PORT (default 18660).
3. Client threads on keep-alive connections post BENCH_WEBHOOK_EVENTS signed events, one line each; every
   tenth order is delivered a second time, signed afresh (a store's retry), and must be answered "duplicate".
4. Checked afterwards in the database: one gift, one order line and one gift alert per order, none for the
   retries; every answer 200.
Target: >= 500 events/s (retries included). Prints a line per figure and one JSON line; exits 1 if the target
or the exactly-once check is missed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


EVENTS = env_int("BENCH_WEBHOOK_EVENTS", 3000)
WORKERS = env_int("BENCH_WEBHOOK_WORKERS", 2)
CLIENTS = env_int("BENCH_WEBHOOK_CLIENTS", 8)
PORT = env_int("BENCH_WEBHOOK_PORT", 18660)
ITEMS = 200
TARGET_PER_SECOND = 500.0
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = f"gratitude_webhook_bench_{os.getpid()}_{secrets.token_hex(3)}"
WORKDIR = Path(tempfile.mkdtemp(prefix="gratitude-webhook-bench-"))

SETTINGS_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "GRATITUDE_ENV": "test",
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": f"{PG_BASE}/{DB_NAME}",
    "GRATITUDE_VAR_DIR": str(WORKDIR),
    "SITE_URL": f"http://{HOST}:{PORT}",
    "GRATITUDE_MAIL_ALLOWLIST": "*",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(SETTINGS_ENV)


def sign(secret: str, body: bytes, *, earlier: int = 0) -> str:
    t = str(int(time.time()) - earlier)
    return f"t={t},v1={hmac.new(secret.encode(), t.encode() + b'.' + body, hashlib.sha256).hexdigest()}"


def seed() -> tuple[str, str, list[str]]:
    """The registry, its items and the store; returns the store's id, its secret and each item's ref."""
    import django

    django.setup()
    from django.core.management import call_command

    from gratitude.api.services import store_add
    from gratitude.registries.item_refs import item_ref_make
    from gratitude.testing.factories import make_item, make_registry, make_user

    call_command("migrate", "--noinput", verbosity=0)
    registry = make_registry(owner=make_user(display_name="Bench Owner"), title="Bench registry")
    refs = [item_ref_make(item_id=make_item(registry=registry, quantity=100_000).pk) for _ in range(ITEMS)]
    store, secret = store_add(name="Bench store")
    return store.public_id, secret, refs


def body_for(order: int, refs: list[str]) -> bytes:
    return json.dumps(
        {
            "event": "order.paid",
            "order_id": f"B-{order}",
            "lines": [{"line_id": "1", "item_ref": refs[order % len(refs)], "quantity": 1}],
            "buyer": {"name": f"Buyer {order}", "message": "Enjoy"},
        }
    ).encode()


def post_all(store_id: str, secret: str, refs: list[str]) -> tuple[float, dict[str, int], int]:
    """Post every event; returns the seconds it took, the outcomes counted, and how many were not 200."""
    orders = EVENTS * 10 // 11
    plan: queue.Queue[tuple[int, int]] = queue.Queue()
    for order in range(orders):
        plan.put((order, 0))
        if order % 10 == 0 and plan.qsize() < EVENTS:
            # A retry of the same order, signed afresh (another time, so another signature: not a replay).
            plan.put((order, 2))
    outcomes: dict[str, int] = {}
    failures = [0]
    lock = threading.Lock()
    path = f"/api/v1/stores/{store_id}/events"

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
        while True:
            try:
                order, earlier = plan.get_nowait()
            except queue.Empty:
                break
            body = body_for(order, refs)
            signature = sign(secret, body, earlier=earlier)
            headers = {"Content-Type": "application/json", "X-Gratitude-Signature": signature}
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = json.loads(response.read() or b"{}")
            with lock:
                if response.status != 200:
                    failures[0] += 1
                outcome = answer.get("outcome", answer.get("code", "?"))
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, outcomes, failures[0]


def wait_for_port(process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited before it served")
        try:
            connection = http.client.HTTPConnection(HOST, PORT, timeout=1)
            connection.request("GET", "/api/v1/openapi.json")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {HOST}:{PORT}")


def main() -> int:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    gunicorn = None
    try:
        store_id, secret, refs = seed()
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--no-control-socket",
                "--workers",
                str(WORKERS),
                "--bind",
                f"{HOST}:{PORT}",
                "--log-level",
                "warning",
                "config.wsgi",
            ],
            cwd=ROOT,
            env={**os.environ, **SETTINGS_ENV},
        )
        wait_for_port(gunicorn)
        seconds, outcomes, failures = post_all(store_id, secret, refs)
        from django.db import connection

        from gratitude.api.models import StoreEvent, StoreOrderLine
        from gratitude.gifts.models import Gift
        from gratitude.notifications.models import Notification

        posted = sum(outcomes.values())
        orders = len({json.loads(body_for(n, refs))["order_id"] for n in range(EVENTS * 10 // 11)})
        gifts = Gift.objects.count()
        lines = StoreOrderLine.objects.count()
        alerts = Notification.objects.filter(kind="gift_alert").count()
        events = StoreEvent.objects.count()
        connection.close()
        rate = posted / seconds
        once = gifts == lines == alerts == orders and failures == 0 and events == posted
        print(f"events posted        {posted} ({outcomes})")
        print(f"seconds              {seconds:.2f}")
        print(f"events per second    {rate:.0f} (target >= {TARGET_PER_SECOND:.0f})")
        print(f"orders / gifts / lines / alerts   {orders} / {gifts} / {lines} / {alerts}")
        print(f"exactly once         {'yes' if once else 'NO'} (non-200 answers: {failures})")
        print(
            json.dumps(
                {
                    "bench": "webhook",
                    "events": posted,
                    "per_second": round(rate, 1),
                    "gunicorn_workers": WORKERS,
                    "clients": CLIENTS,
                    "orders": orders,
                    "gifts": gifts,
                    "exactly_once": once,
                }
            )
        )
        return 0 if once and rate >= TARGET_PER_SECOND else 1
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
