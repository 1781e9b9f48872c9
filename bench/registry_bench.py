"""Registry page and search benchmark (registries and givers): median server time and query count, on SQLite.

    python bench/registry_bench.py            # prints a table and one JSON line; exit 0
    BENCH_REGISTRIES=100000 BENCH_ITEMS=500 BENCH_RUNS=30 python bench/registry_bench.py

What it measures, each through Django's test client in-process (URL routing, middleware, session, view,
selectors, template rendering: all the server does for a request, without a network or a browser):
  - the registrant's registry page with BENCH_ITEMS items (a third given, a sixth reserved), logged in;
  - the guest's share page for the same registry;
  - public search over BENCH_REGISTRIES registries (half public, half link-only or private), for common and
    rare names, two-word names, and a name with a month filter.
Targets (docs/benchmarks.md): <= 50 ms median each, and a query count that does not grow with the item
count (checked here by also timing a 50-item registry).

The database is a fresh SQLite file in a temporary directory (WAL, as configured), migrated and seeded here;
the scaffolding rows are bulk-inserted with the fields the services write, the search names included.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="gratitude-registry-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ["GRATITUDE_VAR_DIR"] = str(WORKDIR)
os.environ.setdefault("GRATITUDE_ENV", "test")
os.environ["DEBUG"] = "false"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from gratitude.accounts.models import User  # noqa: E402
from gratitude.gifts.models import Gift, GiftSource, Reservation  # noqa: E402
from gratitude.registries.models import (  # noqa: E402
    Item,
    MemberRole,
    Registry,
    RegistryMember,
    RegistrySearchName,
    Visibility,
)
from gratitude.registries.services.search import search_terms  # noqa: E402


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


REGISTRIES = env_int("BENCH_REGISTRIES", 100_000)
ITEMS = env_int("BENCH_ITEMS", 500)
RUNS = env_int("BENCH_RUNS", 30)
TARGET_MS = 50.0
BATCH = 5_000

FIRST = [
    "Alex",
    "Sam",
    "Maria",
    "José",
    "Zoë",
    "Kim",
    "Robin",
    "Aisha",
    "Noah",
    "Lena",
    "Omar",
    "Yuki",
    "Priya",
    "Lucas",
    "Emma",
    "Mateo",
    "Chloé",
    "Ivan",
    "Amara",
    "Finn",
    "Sofia",
    "Hugo",
    "Mei",
    "Tariq",
    "Ingrid",
]
LAST = [
    "Rivera",
    "Okafor",
    "García",
    "Müller",
    "Smith",
    "Nguyen",
    "Kowalski",
    "Rossi",
    "Dubois",
    "Hansen",
    "Tanaka",
    "Cohen",
    "Silva",
    "Novak",
    "Murphy",
    "Larsen",
    "Haddad",
    "Costa",
    "Berg",
    "Kaur",
]


def say(text: str = "") -> None:
    print(text, flush=True)


def seed_registries(count: int) -> None:
    """`count` registries, each owned by a person named from FIRST x LAST x a number, half of them public."""
    rng = random.Random(4)
    password = make_password(None)
    today = date(2031, 1, 1)
    for start in range(0, count, BATCH):
        numbers = range(start, min(start + BATCH, count))
        names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}{n % 97 or ''}" for n in numbers]
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(email=f"owner{n}@example.test", display_name=name, password=password)
                for n, name in zip(numbers, names, strict=True)
            )
            registries = Registry.objects.bulk_create(
                Registry(
                    title=f"{name}'s registry",
                    occasion="wedding",
                    event_date=today + timedelta(days=n % 700),
                    visibility=(Visibility.PUBLIC, Visibility.LINK, Visibility.PUBLIC, Visibility.PRIVATE)[
                        n % 4
                    ],
                )
                for n, name in zip(numbers, names, strict=True)
            )
            RegistryMember.objects.bulk_create(
                RegistryMember(registry=registry, user=user, role=MemberRole.OWNER)
                for registry, user in zip(registries, users, strict=True)
            )
            RegistrySearchName.objects.bulk_create(
                RegistrySearchName(registry=registry, term=term)
                for registry, name in zip(registries, names, strict=True)
                for term in search_terms(name)
            )


def seed_big_registry(items: int) -> tuple[User, Registry]:
    owner = User.objects.create_user("bench-owner@example.test", "bench password 1729", display_name="Bench")
    registry = Registry.objects.create(title="Bench registry", occasion="baby", visibility=Visibility.LINK)
    RegistryMember.objects.create(registry=registry, user=owner, role=MemberRole.OWNER)
    fill_registry(registry, items)
    return owner, registry


def fill_registry(registry: Registry, items: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        created = Item.objects.bulk_create(
            Item(
                registry=registry,
                title=f"Item number {n}",
                quantity=3,
                price=Decimal(f"{n}.50"),
                position=n + 1,
            )
            for n in range(items)
        )
        Gift.objects.bulk_create(
            Gift(registry=registry, item=item, giver_name=f"Giver {n}", quantity=1, source=GiftSource.GUEST)
            for n, item in enumerate(created)
            if n % 3 == 0
        )
        Reservation.objects.bulk_create(
            Reservation(
                item=item,
                giver_name=f"Holder {n}",
                quantity=1,
                expires_at=now + timedelta(hours=40),
                token=f"bench-{registry.pk}-{n}",
            )
            for n, item in enumerate(created)
            if n % 6 == 1
        )


def measure(client: Client, path: str, runs: int = RUNS) -> dict[str, Any]:
    """Median and p90 of GET `path` over `runs` requests (after one warm-up), and its query count.

    Wall time is what a visitor waits for on an idle server; CPU time (this process only) is the same
    work without the noise of other processes on a busy machine, so both are reported."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    # Read now: the next request's request_started signal empties the connection's query log.
    query_count = len(queries)
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    wall.sort()
    return {
        "path": path,
        "median_ms": round(statistics.median(wall), 2),
        "p90_ms": round(wall[max(int(len(wall) * 0.9) - 1, 0)], 2),
        "median_cpu_ms": round(statistics.median(cpu), 2),
        "queries": query_count,
    }


def timed(label: str, step: Callable[[], object]) -> None:
    started = time.perf_counter()
    step()
    say(f"  {label}: {time.perf_counter() - started:.1f} s")


def main() -> int:
    say(f"registry bench: SQLite at {WORKDIR}, {REGISTRIES:,} registries, {ITEMS} items, {RUNS} runs each")
    timed("migrate", lambda: call_command("migrate", verbosity=0))
    timed(f"seed {REGISTRIES:,} registries", lambda: seed_registries(REGISTRIES))
    owner, big = seed_big_registry(ITEMS)
    small = Registry.objects.create(title="Small registry", occasion="baby")
    RegistryMember.objects.create(registry=small, user=owner, role=MemberRole.OWNER)
    fill_registry(small, 50)
    if os.environ.get("BENCH_ANALYZE") == "1":
        # Off by default: nothing in Gratitude runs ANALYZE, so the numbers are what a real instance sees.
        connection.cursor().execute("ANALYZE")

    member = Client()
    member.force_login(owner)
    guest = Client()
    results = {
        f"registry page, {ITEMS} items (registrant)": measure(member, f"/registries/{big.pk}/"),
        "registry page, 50 items (registrant)": measure(member, f"/registries/{small.pk}/"),
        f"share page, {ITEMS} items (guest)": measure(guest, f"/r/{big.share_key}/"),
        "share page, 50 items (guest)": measure(guest, f"/r/{small.share_key}/"),
        "search: one common first name": measure(guest, "/registries/find/?name=maria"),
        "search: first and last name": measure(guest, "/registries/find/?name=alex+rivera"),
        "search: a rare name": measure(guest, "/registries/find/?name=ingrid+haddad42"),
        "search: prefix and month": measure(guest, "/registries/find/?name=zo&month=2031-06"),
        "search: no match": measure(guest, "/registries/find/?name=nobodyhere"),
    }
    say("")
    say(f"{'what':48} {'median ms':>10} {'p90 ms':>8} {'cpu ms':>8} {'queries':>8}")
    for label, result in results.items():
        flag = "" if result["median_ms"] <= TARGET_MS else "  over target"
        say(
            f"{label:48} {result['median_ms']:>10} {result['p90_ms']:>8} {result['median_cpu_ms']:>8}"
            f" {result['queries']:>8}{flag}"
        )
    same_queries = (
        results[f"registry page, {ITEMS} items (registrant)"]["queries"]
        == results["registry page, 50 items (registrant)"]["queries"]
        and results[f"share page, {ITEMS} items (guest)"]["queries"]
        == results["share page, 50 items (guest)"]["queries"]
    )
    say(f"query count independent of item count: {'yes' if same_queries else 'NO'}")
    say(
        json.dumps(
            {
                "registries": REGISTRIES,
                "items": ITEMS,
                "runs": RUNS,
                "results": results,
                "queries_independent_of_items": same_queries,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
