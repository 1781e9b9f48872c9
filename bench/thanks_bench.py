"""The Thank You List's figures: the list page's server time and query count, and the CSV export's
memory, in-process through Django's test Client against a throw-away database.

    python bench/thanks_bench.py            # 2,000 gifts from 800 givers; CSV of 100,000 gifts
    BENCH_THANKS_GIFTS=2000 BENCH_THANKS_GIVERS=800 BENCH_THANKS_CSV=100000 BENCH_THANKS_RUNS=30 ...

1. List page: a registry with N gifts from M givers (a third thanked, some with addresses and notes); the
   median of BENCH_THANKS_RUNS requests to the first page of each view (by gift, by giver, filtered), after a
   warm-up, with DEBUG off; and each request's query count, next to a registry with 20 gifts (the count must
   not grow with the number of gifts).
2. CSV export: the download of a registry with BENCH_THANKS_CSV gifts, consumed chunk by chunk as a client
   would; peak Python memory (tracemalloc) against an export a tenth the size: streaming means the same peak.
Targets: median server time <= 100 ms, judged on CPU time (SQLite runs in-process, so that is the server's own
work; on a busy machine the wall clock also counts waiting for a CPU, and is printed beside it); equal query
counts; CSV peak of the big export < 2 x the small one's. Exits 1 if a target is missed.
BENCH_DATABASE_URL runs it against another database (default: SQLite in a temp dir; with PostgreSQL the CPU
time leaves out the database server's work, so read the wall clock there).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_TMP = tempfile.mkdtemp(prefix="thanks-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["GRATITUDE_ENV"] = "test"
os.environ["GRATITUDE_VAR_DIR"] = _TMP
os.environ["DEBUG"] = "false"
# Not setup_test_environment(): its template instrumentation (a context copy per render) is not server time.
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{_TMP}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import StreamingHttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from gratitude.accounts.models import User  # noqa: E402
from gratitude.gifts.models import Gift, GiftState  # noqa: E402
from gratitude.registries.models import Item, MemberRole, Occasion, Registry, RegistryMember  # noqa: E402
from gratitude.thanks.models import ThankYou, ThankYouStatus  # noqa: E402


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


GIFTS = env_int("BENCH_THANKS_GIFTS", 2000)
GIVERS = env_int("BENCH_THANKS_GIVERS", 800)
CSV_GIFTS = env_int("BENCH_THANKS_CSV", 100_000)
RUNS = env_int("BENCH_THANKS_RUNS", 30)
TARGET_MS = 100.0
BATCH = 5000
MESSAGE = "Wishing you both every happiness. Use it in good health, and think of us now and then!"


def build_registry(*, owner: User, title: str, gifts: int, givers: int, statuses: bool = True) -> Registry:
    """A registry with `gifts` gifts from `givers` givers, written in bulk (the list does not care how)."""
    with transaction.atomic():
        registry = Registry.objects.create(title=title, occasion=Occasion.WEDDING)
        RegistryMember.objects.create(registry=registry, user=owner, role=MemberRole.OWNER)
        items = Item.objects.bulk_create(
            Item(registry=registry, title=f"Item {n}", quantity=10_000) for n in range(40)
        )
    now = timezone.now()
    for start in range(0, gifts, BATCH):
        with transaction.atomic():
            created = Gift.objects.bulk_create(
                Gift(
                    registry=registry,
                    item=items[n % len(items)],
                    giver_name=f"Giver {n % givers} Ålvarez-Ng",
                    giver_email=f"giver{n % givers}@example.test" if (n % givers) % 10 < 7 else "",
                    giver_address=f"{n % givers} Harbour Street\nPortsmouth PO1 2AB"
                    if (n % givers) % 3 == 0
                    else "",
                    message=MESSAGE if n % 2 else "",
                    quantity=1,
                    state=GiftState.ACTIVE,
                    received_at=now if n % 4 == 0 else None,
                )
                for n in range(start, min(start + BATCH, gifts))
            )
            if statuses:
                ThankYou.objects.bulk_create(
                    ThankYou(
                        gift=gift,
                        status=ThankYouStatus.SENT if i % 2 else ThankYouStatus.WRITTEN,
                        written_at=now,
                        sent_at=now if i % 2 else None,
                        note="Mention the picnic" if i % 5 == 0 else "",
                    )
                    for i, gift in enumerate(created)
                    if i % 3 == 0
                )
    return registry


def time_page(client: Client, url: str, params: dict[str, str]) -> tuple[float, float, int, int]:
    """(median wall ms, median CPU ms, query count, bytes) for one page, after a warm-up. The database is
    in-process (SQLite), so CPU time is the server time a busy machine's wall clock hides."""
    for _ in range(3):
        assert client.get(url, params).status_code == 200
    wall, cpu = [], []
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, params)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    return statistics.median(wall), statistics.median(cpu), len(captured), len(response.content)


def _download(client: Client, url: str) -> int:
    response = client.get(url)
    assert isinstance(response, StreamingHttpResponse)
    size = 0
    for chunk in response.streaming_content:  # as a client reads it: nothing kept but a counter
        size += len(chunk)
    return size


def csv_figures(client: Client, registry: Registry) -> tuple[int, int, float]:
    """(peak bytes of Python memory, CSV bytes, seconds) for downloading the export chunk by chunk. Timed
    without tracemalloc (which slows allocation several-fold), then measured with it."""
    url = reverse("thanks:export_csv", args=[registry.pk])
    started = time.perf_counter()
    size = _download(client, url)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    _download(client, url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size, elapsed


def main() -> int:
    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench-owner@example.test", display_name="Bench Owner")
    client = Client()
    client.force_login(owner)
    failures: list[str] = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"database: {connection.vendor}; Django test Client, DEBUG off; median of {RUNS} requests;"
        f" {os.cpu_count()} CPUs, load average {load:.1f}"
    )

    big = build_registry(owner=owner, title="Big wedding", gifts=GIFTS, givers=GIVERS)
    small = build_registry(owner=owner, title="Small wedding", gifts=20, givers=8)
    print(f"\nThank You List, {GIFTS} gifts from {GIVERS} givers (vs 20 gifts from 8 givers):")
    pages: list[tuple[str, dict[str, str]]] = [
        ("by gift, first page", {}),
        ("by giver, first page", {"view": "givers"}),
        ("filtered: to do + search", {"status": "todo", "q": "giver 1"}),
    ]
    for label, params in pages:
        median, cpu, queries, size = time_page(client, reverse("thanks:list", args=[big.pk]), params)
        _, _, small_queries, _ = time_page(client, reverse("thanks:list", args=[small.pk]), params)
        # Judged on CPU time: with SQLite in-process it is the server's own work, where a shared machine's
        # wall clock also counts the time spent waiting for a CPU (both are printed).
        ok = cpu <= TARGET_MS and queries == small_queries
        print(
            f"  {label:26} median {median:6.1f} ms (CPU {cpu:5.1f} ms)  queries {queries} (20 gifts:"
            f" {small_queries})  page {size / 1024:.0f} KB  {'ok' if ok else 'MISSED'}"
        )
        if not ok:
            failures.append(f"list {label}: CPU {cpu:.1f} ms, {queries} vs {small_queries} queries")

    print("\nCSV export, streamed (peak Python memory while a client reads it chunk by chunk):")
    tenth = max(CSV_GIFTS // 10, 1)
    results: dict[int, tuple[int, int, float]] = {}
    for count in (tenth, CSV_GIFTS):
        registry = build_registry(
            owner=owner, title=f"Export {count}", gifts=count, givers=max(count // 3, 1)
        )
        results[count] = csv_figures(client, registry)
        peak, size, seconds = results[count]
        print(
            f"  {count:>7} gifts: {size / 1e6:7.1f} MB of CSV in {seconds:5.1f} s"
            f" ({count / seconds:,.0f} rows/s), peak memory {peak / 1e6:5.2f} MB"
        )
    ratio = results[CSV_GIFTS][0] / results[tenth][0]
    constant = ratio < 2
    print(f"  peak for {CSV_GIFTS} / peak for {tenth}: {ratio:.2f} ({'constant' if constant else 'GROWS'})")
    if not constant:
        failures.append(f"CSV peak grows with the export: x{ratio:.2f}")

    if failures:
        print("\nMISSED: " + "; ".join(failures))
        return 1
    print("\nall Thank You List targets met")
    return 0


if __name__ == "__main__":
    result: Any = main()
    sys.exit(result)
