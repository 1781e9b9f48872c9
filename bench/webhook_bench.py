"""Store webhooks (docs/api.md): signed `order.paid` events accepted per second on PostgreSQL, served by
gunicorn with the production config, and applied by `gratitude worker` processes, each recorded exactly once.

    python bench/webhook_bench.py      # 5,000 events; config/gunicorn.py's defaults, wrk on 8 connections
    BENCH_WEBHOOK_EVENTS=10000 BENCH_WEBHOOK_WORKERS=2 BENCH_WEBHOOK_THREADS=4 python bench/webhook_bench.py

1. A throw-away PostgreSQL database (BENCH_PG, default postgres://postgres@127.0.0.1:5432), migrated, with one
   registry of 200 items (so gifts spread over many item locks), its owner alert-enabled, and one store.
2. gunicorn with config/gunicorn.py (gthread; BENCH_WEBHOOK_WORKERS and BENCH_WEBHOOK_THREADS override its
   GUNICORN_WORKERS / GUNICORN_THREADS) on 127.0.0.1:BENCH_WEBHOOK_PORT (default 18660), and
   BENCH_WEBHOOK_APPLIERS (default 2) `gratitude worker` processes running alongside from the start, as in
   production (BENCH_WEBHOOK_APPLY_AFTER=1: only after the last answer). Alerts wait for their settle
   window (an hour here), so the figures are about recording.
3. The client is `wrk` (installed with apt-get if missing, as bench/pages_bench.py does) with
   bench/webhook_events.lua: BENCH_WEBHOOK_EVENTS events, one line each, are signed beforehand (fresh
   timestamps, well inside the 5-minute tolerance) into a file, and wrk posts each exactly once over
   BENCH_WEBHOOK_CONNECTIONS (default 8) keep-alive connections, so the load generator costs the shared
   cores little. Every tenth order is delivered a second time, signed afresh (a store's retry): accepted,
   then applied as "duplicate". Afterwards 50 requests are sent again byte for byte (replays) and must be
   refused with 409.
4. Two rates: ingest (events answered 202 per second, from wrk's start until its last answer) and end to
   end (until the workers have applied every event). Checked in the database: one gift, one order line and
   one gift alert per order, none for the retries; every event applied ("recorded" per order, "duplicate"
   per retry).
Target: >= 500 events/s ingested (retries included). Prints a line per figure and one JSON line; exits 1 if
the target or the exactly-once check is missed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wrk_tool import wrk_path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


EVENTS = env_int("BENCH_WEBHOOK_EVENTS", 5000)
# 0: config/gunicorn.py's own defaults (GUNICORN_WORKERS, GUNICORN_THREADS), as production runs it.
WORKERS = env_int("BENCH_WEBHOOK_WORKERS", 0)
THREADS = env_int("BENCH_WEBHOOK_THREADS", 0)
# BENCH_WEBHOOK_CLIENTS is the knob's old name (client threads before wrk).
CONNECTIONS = env_int("BENCH_WEBHOOK_CONNECTIONS", env_int("BENCH_WEBHOOK_CLIENTS", 8))
WRK_THREADS = env_int("BENCH_WEBHOOK_WRK_THREADS", 1)
# 0: no worker at all, the ingest alone (every event must then be stored once, pending).
APPLIERS = env_int("BENCH_WEBHOOK_APPLIERS", 2)
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


def sign_all(secret: str, refs: list[str]) -> tuple[Path, list[tuple[bytes, str]], int]:
    """Every event to post, signed now, one "<signature>\t<body>" a line; the first few to replay; and how
    many orders they are (the rest are retries)."""
    lines: list[str] = []
    sent: list[tuple[bytes, str]] = []
    for order in range(EVENTS * 10 // 11):
        plan = [(order, 0)]
        if order % 10 == 0 and len(lines) + 1 < EVENTS:
            # A retry of the same order, signed afresh (another time, so another signature: not a replay).
            plan.append((order, 2))
        for number, earlier in plan:
            if len(lines) == EVENTS:
                break
            body = body_for(number, refs)
            signature = sign(secret, body, earlier=earlier)
            lines.append(f"{signature}\t{body.decode()}")
            if len(sent) < REPLAYS:
                sent.append((body, signature))
    events = WORKDIR / "events.tsv"
    events.write_text("\n".join(lines) + "\n")
    return events, sent, len({line.split('"order_id": "', 1)[1].split('"', 1)[0] for line in lines})


def post_all(store_id: str, events: Path) -> tuple[float, dict[str, int]]:
    """wrk posts every event once; returns the seconds until the last answer and the answers by status."""
    command = [
        wrk_path(),
        f"-t{WRK_THREADS}",
        f"-c{max(CONNECTIONS, WRK_THREADS)}",
        "-d600s",
        "--timeout",
        "30s",
        "-s",
        str(ROOT / "bench" / "webhook_events.lua"),
        f"http://{HOST}:{PORT}",
    ]
    env = {
        **os.environ,
        "WEBHOOK_PATH": f"/api/v1/stores/{store_id}/events",
        "WEBHOOK_EVENTS": str(events),
        "WEBHOOK_THREADS": str(WRK_THREADS),
    }
    started = time.perf_counter()
    wrk = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert wrk.stdout is not None
    done = 0
    seconds = float("nan")
    statuses: dict[str, int] = {}
    for line in wrk.stdout:
        if line.strip() == "done":
            done += 1
            if done == WRK_THREADS:
                # Every thread has every answer: stop wrk now rather than at the end of -d.
                seconds = time.perf_counter() - started
                wrk.send_signal(signal.SIGINT)
        elif line.startswith("statuses "):
            for part in filter(None, line.split()[1].split(",")):
                code, count = part.split("=")
                statuses[code] = int(count)
    wrk.wait(timeout=60)
    return seconds, statuses


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
        if response.status != 409:
            print(f"replay answered {response.status}: {answer}")
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
        server_env = {**os.environ, **SETTINGS_ENV, "GUNICORN_BIND": f"{HOST}:{PORT}"}
        if WORKERS:
            server_env["GUNICORN_WORKERS"] = str(WORKERS)
        if THREADS:
            server_env["GUNICORN_THREADS"] = str(THREADS)
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                str(ROOT / "config" / "gunicorn.py"),
                "--log-level",
                "warning",
                "config.wsgi",
            ],
            cwd=ROOT,
            env=server_env,
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
        events_file, sent, orders = sign_all(secret, refs)
        load = os.getloadavg()[0]
        web_cpu = cpu_seconds(gunicorn.pid)
        started = time.perf_counter()
        seconds, outcomes = post_all(store_id, events_file)
        failures = sum(count for status, count in outcomes.items() if status != "202")
        web_cpu = cpu_seconds(gunicorn.pid) - web_cpu
        if APPLY_AFTER:
            appliers = start_appliers()
        if APPLIERS:
            wait_applied()
        end_to_end = time.perf_counter() - started if APPLIERS else float("nan")
        replays_refused = replay(store_id, sent)
        from django.db import connection
        from django.db.models import Count

        from gratitude.api.models import StoreEvent, StoreOrderLine
        from gratitude.gifts.models import Gift
        from gratitude.notifications.models import Notification

        posted = sum(outcomes.values())
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
            gifts == lines == alerts == (orders if APPLIERS else 0)
            and failures == 0
            and events == posted
            # BENCH_WEBHOOK_APPLIERS=0 (ingest alone): every event stored once, pending.
            and applied == ({"recorded": orders, "duplicate": retries} if APPLIERS else {"pending": posted})
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
                    "gunicorn_workers": WORKERS or "config",
                    "threads": THREADS or "config",
                    "connections": CONNECTIONS,
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
