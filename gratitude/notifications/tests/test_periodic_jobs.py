"""The worker's clock runs the jobs the domain apps register; it names none of them itself (layers)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gratitude.notifications import periodic_jobs
from gratitude.notifications.management.commands import worker
from gratitude.notifications.management.commands.worker import Command


def test_each_app_registers_its_own_periodic_jobs():
    every = {job.name: job.every_seconds for job in periodic_jobs.all_jobs()}

    assert every == {
        "gratitude.thanks.services.thank_you_reminders_enqueue": 3600,
        "gratitude.accounts.services.unfinished_signups_clear": 3600,
        "gratitude.registries.services.add_from_store.pictures_unused_clear": 3600,
        "gratitude.api.event_worker.store_events_apply_pending": 1,
    }


def test_the_worker_runs_a_registered_job_at_most_once_per_period(monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []

    def hourly() -> None:
        calls.append("hourly")

    def every_second() -> None:
        calls.append("every_second")

    monkeypatch.setattr(periodic_jobs, "_jobs", {})
    periodic_jobs.register(hourly, every_seconds=3600)
    periodic_jobs.register(every_second, every_seconds=1)
    clock = iter([100.0, 100.5, 101.5])
    # The worker module's own view of `time`, so the test's clock reaches no other code.
    monkeypatch.setattr(worker, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    last_run: dict[str, float] = {}

    for _ in range(3):
        Command()._run_periodic_jobs(last_run)

    assert calls == ["hourly", "every_second", "every_second"]


def test_registering_a_function_again_replaces_it(monkeypatch: pytest.MonkeyPatch):
    def job() -> None: ...

    monkeypatch.setattr(periodic_jobs, "_jobs", {})
    periodic_jobs.register(job, every_seconds=10)
    periodic_jobs.register(job, every_seconds=20)

    assert [j.every_seconds for j in periodic_jobs.all_jobs()] == [20]
