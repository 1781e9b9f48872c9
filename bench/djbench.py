"""The Django side of `make bench` (bench/run.py runs it as a subprocess, one database per process).

    python bench/djbench.py seed N          record N gifts, each on its own registry with its own recipient
    python bench/djbench.py sample PATH     write one real gift-alert message (bytes) to PATH, without sending
    python bench/djbench.py guardcost M     time guards, pacing, render, build_email, blast radius; no send
    python bench/djbench.py verify N        check every alert was sent exactly once, one message per gift
    python bench/djbench.py profile M OFF   record M more gifts, drain them in-process: queries, time by phase

The environment (DATABASE_URL, GRATITUDE_* settings) comes from bench/run.py. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from gratitude.accounts.models import User  # noqa: E402
from gratitude.gifts.notifications import GIFT_ALERT  # noqa: E402
from gratitude.gifts.services import gift_record  # noqa: E402
from gratitude.notifications.models import Notification, NotificationState  # noqa: E402
from gratitude.notifications.rendering.messages import build_email, render  # noqa: E402
from gratitude.notifications.sending import (  # noqa: E402
    batch_facts,
    blast_radius,
    delivery,
    guards,
    pacing,
)
from gratitude.notifications.transport.backends import signed_bytes  # noqa: E402
from gratitude.registries.models import Item, MemberRole, Occasion, Registry, RegistryMember  # noqa: E402

SEED_BATCH = 500
# Rows the worker claims at once (blast radius runs once per claimed batch).
CLAIM_BATCH: int = getattr(delivery, "CLAIM_BATCH", 100)
SCAFFOLD_BATCH = 2000
# A gift message of ordinary length, so the rendered mail is the size a real alert is.
MESSAGE = (
    "Congratulations to you both! We hope this makes the first mornings in the new flat a little easier."
)


def seed(n: int, offset: int = 0) -> dict[str, Any]:
    """N gifts through gift_record, each on a registry of its own whose one member is its owner: one
    alert row per gift, and no two rows share (recipient, registry), so no coalescing can merge them.

    The people, registries, memberships and items around the gifts are bulk-inserted (the same fields the
    registry and account services write); the gifts themselves go through the real service."""
    started = time.perf_counter()
    now = timezone.now()
    items: list[Item] = []
    for start in range(offset, offset + n, SCAFFOLD_BATCH):
        numbers = range(start, min(start + SCAFFOLD_BATCH, offset + n))
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"owner{i}@example.test",
                        display_name=f"Owner {i}",
                        password=make_password(None),
                        email_verified_at=now,
                    )
                    for i in numbers
                ]
            )
            registries = Registry.objects.bulk_create(
                [Registry(title=f"Registry {i}", occasion=Occasion.WEDDING) for i in numbers]
            )
            RegistryMember.objects.bulk_create(
                [
                    RegistryMember(registry=registry, user=user, role=MemberRole.OWNER)
                    for registry, user in zip(registries, users, strict=True)
                ]
            )
            items += Item.objects.bulk_create(
                [
                    Item(registry=registry, title=f"Espresso machine {i}", quantity=2)
                    for i, registry in zip(numbers, registries, strict=True)
                ]
            )
    scaffolded = time.perf_counter()
    for start in range(0, len(items), SEED_BATCH):
        with transaction.atomic():
            for i, item in enumerate(items[start : start + SEED_BATCH], start=offset + start):
                gift_record(
                    item=item, giver_name=f"Giver {i}", giver_email=f"giver{i}@example.test", message=MESSAGE
                )
    recorded = time.perf_counter()
    rows = Notification.objects.filter(kind=GIFT_ALERT.name).count()
    return {
        "gifts": n,
        "alert_rows": rows,
        "scaffold_seconds": scaffolded - started,
        "record_seconds": recorded - scaffolded,
    }


def sample(path: str) -> dict[str, Any]:
    row = Notification.objects.select_related("recipient", "gift__item", "gift__registry").first()
    assert row is not None
    email = build_email(row, GIFT_ALERT, render([row], GIFT_ALERT))
    data = email.message().as_bytes(linesep="\r\n")
    with open(path, "wb") as fh:
        fh.write(data)
    return {"bytes": len(data), "from": email.from_email, "to": email.to[0]}


def guardcost(m: int) -> dict[str, Any]:
    """Per-message cost of what the worker does to a row besides claim, record and send, without sending:
    guards.check + pacing.defer_group + render + build_email (the headline), with the batch's facts as the
    worker has them, and separately the blast-radius check (once per claimed batch, amortised over
    CLAIM_BATCH rows) and the wire bytes (wire.py) that the send writes.
    Two passes over the same rows; each part reports its faster pass (less noise from other processes)."""
    rows = list(
        Notification.objects.select_related("recipient", "gift__item", "gift__registry", "registry").order_by(
            "pk"
        )[:m]
    )
    now = timezone.now()
    render(rows[:1], GIFT_ALERT)  # first-use imports and the template cache, outside the timing
    best: dict[str, float] = {}
    best_cpu = float("inf")
    for _ in range(2):
        cpu = 0.0
        parts = dict.fromkeys(("guards", "pacing", "render", "build_email", "serialize", "blast_batch"), 0.0)
        for start in range(0, len(rows), CLAIM_BATCH):
            batch = rows[start : start + CLAIM_BATCH]
            t0 = time.perf_counter()
            with batch_facts.facts_for(batch):
                assert blast_radius.excess_in(kind=GIFT_ALERT, rows=batch, now=now) is None
            parts["blast_batch"] += time.perf_counter() - t0
        for start in range(0, len(rows), CLAIM_BATCH):
            batch = rows[start : start + CLAIM_BATCH]
            # As the worker does: the guards read the batch's facts (a few queries per batch, not per row).
            with batch_facts.facts_for(batch):
                for row in batch:
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    verdict = guards.check(row)
                    t1 = time.perf_counter()
                    deferral = pacing.defer_group(kind=GIFT_ALERT, rows=[row], now=now)
                    t2 = time.perf_counter()
                    rendered = render([row], GIFT_ALERT)
                    t3 = time.perf_counter()
                    email = build_email(row, GIFT_ALERT, rendered)
                    t4 = time.perf_counter()
                    cpu += time.process_time() - c0
                    signed_bytes(email)
                    t5 = time.perf_counter()
                    assert verdict.action == guards.Action.SEND and deferral is None
                    parts["guards"] += t1 - t0
                    parts["pacing"] += t2 - t1
                    parts["render"] += t3 - t2
                    parts["build_email"] += t4 - t3
                    parts["serialize"] += t5 - t4
        for name, total in parts.items():
            best[name] = min(best.get(name, total), total)
        best_cpu = min(best_cpu, cpu)
    ms = {name: 1000 * total / len(rows) for name, total in best.items()}
    return {
        "rows": len(rows),
        "batch": min(CLAIM_BATCH, len(rows)),
        "ms_per_message": ms,
        # This process's CPU for guards + pacing + render + build_email (a database server's is not in it).
        "headline_cpu_ms": 1000 * best_cpu / len(rows),
    }


def verify(n: int) -> dict[str, Any]:
    states = dict(Notification.objects.values_list("state").annotate(c=Count("pk")).values_list("state", "c"))
    sent = Notification.objects.filter(state=NotificationState.SENT)
    distinct_messages = sent.values("message_id").distinct().count()
    digests = sent.exclude(reason="").count()
    return {
        "expected": n,
        "states": states,
        "sent": states.get(NotificationState.SENT, 0),
        "distinct_message_ids": distinct_messages,
        "digests": digests,
        "ok": states.get(NotificationState.SENT, 0) == n and distinct_messages == n and digests == 0,
    }


# Where a drain spends its time: (label, module path suffix, function name), reported when present.
PHASES = (
    ("task queue: claim + bookkeeping (django-tasks-db)", "django_tasks_db/models.py", "get_locked"),
    ("task queue: mark claimed", "django_tasks_db/models.py", "claim"),
    ("task queue: mark finished", "django_tasks_db/models.py", "set_successful"),
    ("claim rows (claim_due)", "notifications/sending/delivery.py", "claim_due"),
    ("claim companions", "notifications/sending/delivery.py", "_claim_companions"),
    ("load claimed rows", "notifications/sending/delivery.py", "_load_leased"),
    ("blast radius", "notifications/sending/blast_radius.py", "excess_in"),
    ("guards.check", "notifications/sending/guards.py", "check"),
    ("pacing.defer_group", "notifications/sending/pacing.py", "defer_group"),
    ("renew leases", "notifications/sending/delivery.py", "_renew_leases"),
    ("render", "notifications/rendering/messages.py", "render"),
    ("build_email", "notifications/rendering/messages.py", "build_email"),
    ("SMTP send (connect, MIME, DATA, quit)", "mail/backends/smtp.py", "send_messages"),
    ("record outcome (_settle)", "notifications/sending/delivery.py", "_settle"),
)


def profile(m: int, offset: int) -> dict[str, Any]:
    """Record M more gifts, drain them in-process under cProfile and a query counter (DEBUG stays off)."""
    import cProfile
    import pstats

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seed(m, offset)
    before = Notification.objects.filter(state=NotificationState.SENT).count()
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        profiler.enable()
        call_command("worker", drain=True, verbosity=0)
        profiler.disable()
        seconds = time.perf_counter() - started
    sent = Notification.objects.filter(state=NotificationState.SENT).count() - before
    sql = [q["sql"].lstrip().upper() for q in queries.captured_queries]
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    phases = []
    for label, path, name in PHASES:
        cumulative = sum(v[3] for (f, _, fn), v in stats.items() if fn == name and f.endswith(path))
        if cumulative:
            phases.append((label, 1000 * cumulative / max(sent, 1), cumulative / seconds))
    return {
        "messages": sent,
        "seconds_under_profiler": seconds,
        "queries_per_message": len(sql) / max(sent, 1),
        "writes_per_message": sum(q.startswith(("UPDATE", "INSERT", "DELETE")) for q in sql) / max(sent, 1),
        "transactions_per_message": sum(q.startswith("BEGIN") for q in sql) / max(sent, 1),
        "phases": phases,
    }


def main(argv: list[str]) -> None:
    command, arg = argv[1], argv[2]
    offset = int(argv[3]) if len(argv) > 3 else 0
    if command == "seed":
        result = seed(int(arg), offset)
    elif command == "sample":
        result = sample(arg)
    elif command == "guardcost":
        result = guardcost(int(arg))
    elif command == "verify":
        result = verify(int(arg))
    elif command == "profile":
        result = profile(int(arg), offset)
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
