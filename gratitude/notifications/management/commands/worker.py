"""`gratitude worker [--drain]`: run queued tasks and deliver every due outbox row.

The task queue (django-tasks-db) is the fast wake-up; the sweep over the outbox is the guarantee: a lost
task, a deferred row or an expired lease is still found here. See docs/notifications.md.
"""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker

from gratitude.notifications import periodic_jobs
from gratitude.notifications.sending.delivery import deliver_due, worker_identity

logger = logging.getLogger("gratitude.notifications")


class Command(BaseCommand):
    help = "Deliver notifications: run queued tasks and sweep the outbox for due rows."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--drain", action="store_true", help="Do all due work, then exit.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to sleep when idle (default 1)."
        )
        parser.add_argument("--batch-size", type=int, default=100, help="Rows claimed at once.")

    def handle(self, *args: Any, drain: bool, interval: float, batch_size: int, **options: Any) -> None:
        self.running = True
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._loop(drain=drain, interval=interval, batch_size=batch_size, verbosity=options["verbosity"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _loop(self, *, drain: bool, interval: float, batch_size: int, verbosity: int) -> None:
        worker_id = worker_identity()
        tasks = TaskWorker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id[:64],
            excluded_queue_names=[],
        )
        if not drain:
            self.stdout.write(f"worker {worker_id} started; Ctrl-C stops it")
        total = 0
        last_run: dict[str, float] = {}
        while self.running:
            close_old_connections()
            self._run_periodic_jobs(last_run)
            tasks.run()
            stats = deliver_due(worker_id=worker_id, limit=batch_size)
            total += stats.handled
            if stats.handled:
                continue
            if drain:
                break
            time.sleep(interval)
        if drain and verbosity >= 1:
            self.stdout.write(f"drained: {total} outbox rows handled")

    def _run_periodic_jobs(self, last_run: dict[str, float]) -> None:
        # The apps register their jobs (notifications/periodic_jobs.py): thank-you reminders, forgetting
        # unfinished sign-ups, unused pictures, the store events' sweep.
        now = time.monotonic()
        for job in periodic_jobs.all_jobs():
            if job.name in last_run and now - last_run[job.name] < job.every_seconds:
                continue
            last_run[job.name] = now
            try:
                job.run()
            except Exception:
                # A failing job must not stop delivery: it is logged, and tried again next period.
                logger.exception("periodic job %s failed", job.name)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        # Finish the batch in hand (every row in it gets its outcome recorded), then exit.
        self.running = False
