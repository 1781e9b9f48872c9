"""Jobs `gratitude worker` runs on a clock, registered by the apps that own them.

The worker sits in the ground layer (notifications) and must not name the domains above it; each domain app
registers its own jobs in its AppConfig.ready() (docs/architecture.md, "Layers"). Every worker process runs
every job, so each must be idempotent: its outbox keys or its own state make a second run do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # the function's dotted path: what the log says when it fails
    run: Callable[[], object]
    every_seconds: float  # at most this often per worker process


_jobs: dict[str, PeriodicJob] = {}


def register(run: Callable[[], object], *, every_seconds: float) -> PeriodicJob:
    """Have the worker call `run` at most every `every_seconds`; registering the same function again replaces
    it (ready() can run twice in tests)."""
    job = PeriodicJob(name=f"{run.__module__}.{run.__qualname__}", run=run, every_seconds=every_seconds)
    _jobs[job.name] = job
    return job


def all_jobs() -> tuple[PeriodicJob, ...]:
    return tuple(_jobs.values())
