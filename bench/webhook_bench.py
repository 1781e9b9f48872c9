"""Store webhooks (docs/api.md): signed `order.paid` events accepted per second on PostgreSQL, served by
gunicorn, and applied by `gratitude worker` processes, each recorded exactly once.

    python bench/webhook_bench.py      # 3,000 events; 2 gunicorn workers, 8 client threads, 2 workers
    BENCH_WEBHOOK_EVENTS=5000 BENCH_WEBHOOK_WORKERS=3 BENCH_WEBHOOK_CLIENTS=12 python bench/webhook_bench.py

1. A throw-away PostgreSQL database (BENCH_PG, default postgres://postgres@127.0.0.1:5432), migrated, with one
   registry of 200 items (so gifts spread over many item locks), its owner alert-enabled, and one store.
2. gunicorn (`--no-control-socket`, sync workers) on 127.0.0.1:BENCH_WEBHOOK_PORT (default 18660), and
   BENCH_WEBHOOK_APPLIERS (default 2) `gratitude worker` processes running alongside from the start, as in
   production (BENCH_WEBHOOK_APPLY_AFTER=1: only after the last answer). Alerts wait for their settle
   window (an hour here), so the figures are about recording.
3. Client threads on keep-alive connections post BENCH_WEBHOOK_EVENTS signed events, one line each; every
   tenth order is delivered a second time, signed afresh (a store's retry): accepted, then applied as
   "duplicate". Afterwards 50 requests are sent again byte for byte (replays) and must be refused with 409.
4. Two rates: ingest (events answered 202 per second, until the last answer) and end to end (until the
   workers have applied every event). Checked in the database: one gift, one order line and one gift alert
   per order, none for the retries; every event applied ("recorded" per order, "duplicate" per retry).
Target: >= 500 events/s ingested (retries included). Prints a line per figure and one JSON line; exits 1 if
the target or the exactly-once check is missed.
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
APPLIERS = env_int("BENCH_WEBHOOK_APPLIERS", 2)
# >1: gunicorn's gthread workers with this many threads each (they keep client connections alive; the
# default sync workers, as README's deployment line runs, close each connection after one request).
THREADS = env_int("BENCH_WEBHOOK_THREADS", 1)
# 1: start the workers only after the last answer (a burst absorbed first, applied afterwards), so the ingest
# figure is the request path's alone.
APPLY_AFTER = env_int("BENCH_WEBHOOK_APPLY_AFTER", 0) == 1
REPLAYS = 50
APPLY_TIMEOUT_SECONDS = 600
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
    # Alerts wait (as they do in production) instead of being mailed during the run.
    "GRATITUDE_ALERT_SETTLE_SECONDS": "3600",
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
    refs = [item_ref_make(item_id=make_item(registry=registry, quantity=10_000).pk) for _ in range(ITEMS)]
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


def post_all(
    store_id: str, secret: str, refs: list[str]
) -> tuple[float, dict[str, int], int, list[tuple[bytes, str]]]:
    """Post every event; returns the seconds it took, the answers counted, how many were not 202, and a few
    (body, signature) pairs to replay."""
    orders = EVENTS * 10 // 11
    plan: queue.Queue[tuple[int, int]] = queue.Queue()
    for order in range(orders):
        plan.put((order, 0))
        if order % 10 == 0 and plan.qsize() < EVENTS:
            # A retry of the same order, signed afresh (another time, so another signature: not a replay).
            plan.put((order, 2))
    outcomes: dict[str, int] = {}
    failures = [0]
    sent: list[tuple[bytes, str]] = []
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
                if response.status != 202:
                    failures[0] += 1
                outcome = answer.get("status", answer.get("code", "?"))
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if len(sent) < REPLAYS:
                    sent.append((body, signature))
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, outcomes, failures[0], sent


def replay(store_id: str, sent: list[tuple[bytes, str]]) -> int:
    """Send each request again, byte for byte; returns how many were refused as replays (409)."""
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
    refused = 0
    for body, signature in sent:
        headers = {"Content-Type": "application/json", "X-Gratitude-Signature": signature}
        connection.request("POST", f"/api/v1/stores/{store_id}/events", body=body, headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read() or b"{}")
        refused += response.status == 409 and answer.get("code") == "replay"
    connection.close()
    return refused


def wait_applied() -> None:
    """Until no event is pending (the workers have applied them all)."""
    from django.db import connection

    from gratitude.api.models import StoreEvent

    deadline = time.monotonic() + APPLY_TIMEOUT_SECONDS
    while StoreEvent.objects.filter(outcome="pending").exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"events still pending after {APPLY_TIMEOUT_SECONDS} s")
        time.sleep(0.05)
    connection.close()


def cpu_seconds(parent: int) -> float:
    """CPU seconds (user + system) used so far by `parent`'s child processes (gunicorn's workers), from
    /proc: what one accepted event costs the web processes, whatever else the machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return float("nan")
    for child in children:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wait_for_port(process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
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
    appliers: list[subprocess.Popen[bytes]] = []
    try:
        store_id, secret, refs = seed()
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--no-control-socket",
                "--workers",
                str(WORKERS),
                *(["--worker-class", "gthread", "--threads", str(THREADS)] if THREADS > 1 else []),
                "--bind",
                f"{HOST}:{PORT}",
                "--log-level",
                "warning",
                "config.wsgi",
            ],
            cwd=ROOT,
            env={**os.environ, **SETTINGS_ENV},
        )

        def start_appliers() -> list[subprocess.Popen[bytes]]:
            return [
                subprocess.Popen(
                    [str(Path(sys.executable).parent / "gratitude"), "worker", "--interval", "0.2"],
                    cwd=ROOT,
                    env={**os.environ, **SETTINGS_ENV},
                    stdout=subprocess.DEVNULL,
                )
                for _ in range(APPLIERS)
            ]

        if not APPLY_AFTER:
            appliers = start_appliers()
        wait_for_port(gunicorn)
        load = os.getloadavg()[0]
        web_cpu = cpu_seconds(gunicorn.pid)
        started = time.perf_counter()
        seconds, outcomes, failures, sent = post_all(store_id, secret, refs)
        web_cpu = cpu_seconds(gunicorn.pid) - web_cpu
        if APPLY_AFTER:
            appliers = start_appliers()
        wait_applied()
        end_to_end = time.perf_counter() - started
        replays_refused = replay(store_id, sent)
        from django.db import connection
        from django.db.models import Count

        from gratitude.api.models import StoreEvent, StoreOrderLine
        from gratitude.gifts.models import Gift
        from gratitude.notifications.models import Notification

        posted = sum(outcomes.values())
        orders = len({json.loads(body_for(n, refs))["order_id"] for n in range(EVENTS * 10 // 11)})
        gifts = Gift.objects.count()
        lines = StoreOrderLine.objects.count()
        alerts = Notification.objects.filter(kind="gift_alert").count()
        events = StoreEvent.objects.count()
        applied = dict(
            StoreEvent.objects.values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n")
        )
        connection.close()
        retries = posted - orders
        rate = posted / seconds
        e2e_rate = posted / end_to_end
        once = (
            gifts == lines == alerts == orders
            and failures == 0
            and events == posted
            and applied == {"recorded": orders, "duplicate": retries}
            and replays_refused == len(sent)
        )
        print(f"load average         {load:.1f} at the start (2 cores, shared)")
        print(f"events posted        {posted} ({outcomes})")
        target = f"target >= {TARGET_PER_SECOND:.0f}"
        print(f"ingest               {seconds:.2f} s, {rate:.0f} events/s answered 202 ({target})")
        print(f"web CPU per event    {web_cpu / posted * 1000:.1f} ms (gunicorn workers, user + system)")
        print(f"end to end           {end_to_end:.2f} s, {e2e_rate:.0f} events/s applied, {APPLIERS} workers")
        print(f"outcomes             {applied}")
        print(f"orders / gifts / lines / alerts   {orders} / {gifts} / {lines} / {alerts}")
        print(f"replays refused      {replays_refused} / {len(sent)}")
        print(f"exactly once         {'yes' if once else 'NO'} (non-202 answers: {failures})")
        print(
            json.dumps(
                {
                    "bench": "webhook",
                    "events": posted,
                    "per_second": round(rate, 1),
                    "end_to_end_per_second": round(e2e_rate, 1),
                    "web_cpu_ms_per_event": round(web_cpu / posted * 1000, 2),
                    "gunicorn_workers": WORKERS,
                    "clients": CLIENTS,
                    "threads": THREADS,
                    "appliers": APPLIERS,
                    "apply_after": APPLY_AFTER,
                    "orders": orders,
                    "gifts": gifts,
                    "load_average": round(load, 1),
                    "exactly_once": once,
                }
            )
        )
        return 0 if once and rate >= TARGET_PER_SECOND else 1
    finally:
        for process in [gunicorn, *appliers]:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
