"""Helpers for the drills: real `gratitude worker --drain` processes against the test database, sending to
the real SMTP sink (gratitude/testing/smtp.py) that runs in the test process.

The tests that use these must be `django_db(transaction=True)`: rows are committed, so the worker
processes see them, and the workers' writes are visible to the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from gratitude.testing.smtp import SmtpSink

REFERENCE = "X-Gratitude-Reference"
WORKER_TIMEOUT = 300.0
_DRAINED = re.compile(r"drained: (\d+) outbox rows handled")


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for the worker processes."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    if connection.vendor == "postgresql":
        user = quote(conf.get("USER") or "", safe="")
        password = quote(conf.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = conf.get("HOST") or "127.0.0.1"
        port = f":{conf['PORT']}" if conf.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{quote(conf['NAME'], safe='')}"
    raise NotImplementedError(f"no worker drills for {connection.vendor}")


def worker_command() -> list[str]:
    script = Path(sys.executable).with_name("gratitude")  # the console script in this venv
    if script.exists():
        return [str(script), "worker", "--drain"]
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "worker", "--drain"]


@dataclass
class WorkerRun:
    returncode: int
    seconds: float
    output: str

    @property
    def handled(self) -> int:
        """Rows this worker handled, from its `drained: N outbox rows handled` line."""
        found = _DRAINED.search(self.output)
        assert found is not None, f"worker did not report what it drained:\n{self.output}"
        return int(found.group(1))


@dataclass
class Workers:
    """Starts worker processes that send to `sink`, and reaps them (killing any left at teardown)."""

    sink: SmtpSink
    logs: Path
    lease_seconds: int = 2
    # Seconds from a worker's start until it must have exited (for workers started together: all of them).
    timeout: float = WORKER_TIMEOUT
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _count: int = 0

    def env(self, *, fault: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRATITUDE_")}
        env.update(
            DATABASE_URL=database_url(),
            GRATITUDE_ENV="test",
            EMAIL_URL=f"smtp://127.0.0.1:{self.sink.port}",
            GRATITUDE_MAIL_ALLOWLIST="*",
            GRATITUDE_LEASE_SECONDS=str(self.lease_seconds),
            # A drill sends thousands in a minute on a site with no history: not a blast.
            GRATITUDE_BLAST_FLOOR_PER_HOUR="1000000",
            # Pacing off, so every due row goes at once (the pacing tests cover pacing).
            GRATITUDE_ALERT_SETTLE_SECONDS="0",
            GRATITUDE_DIGEST_WINDOW_SECONDS="0",
            GRATITUDE_QUIET_HOURS="off",
            GRATITUDE_VAR_DIR=str(settings.VAR_DIR),
            LOG_LEVEL="WARNING",
        )
        if fault is not None:
            env["GRATITUDE_FAULT_POINT"] = fault
        return env

    def start(self, *, fault: str | None = None) -> tuple[subprocess.Popen[bytes], Path]:
        self._count += 1
        log = self.logs / f"worker-{self._count}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                worker_command(),
                env=self.env(fault=fault),
                cwd=settings.BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._procs.append(proc)
        return proc, log

    def wait(self, proc: subprocess.Popen[bytes], log: Path, started: float) -> WorkerRun:
        """Reap a worker started at `started`; fail (killing it) if it runs past `timeout` from then."""
        try:
            returncode = proc.wait(timeout=max(0.1, started + self.timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.reap()
            pytest.fail(f"worker {proc.pid} still running after {self.timeout:.0f}s:\n{log.read_text()}")
        return WorkerRun(returncode, time.monotonic() - started, log.read_text(errors="replace"))

    def run(self, *, fault: str | None = None) -> WorkerRun:
        started = time.monotonic()
        proc, log = self.start(fault=fault)
        return self.wait(proc, log, started)

    def run_together(self, count: int) -> list[WorkerRun]:
        started = time.monotonic()
        procs = [self.start() for _ in range(count)]
        return [self.wait(proc, log, started) for proc, log in procs]

    def reap(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(smtp_sink: SmtpSink, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(sink=smtp_sink, logs=tmp_path)
    try:
        yield pool
    finally:
        pool.reap()


@dataclass
class AcceptClock:
    """Wall-clock time at which the sink accepted each message, by reference, in order of arrival."""

    times: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, message: EmailMessage) -> None:
        # The sink calls `respond` when the message's data is in and it is about to answer; returning
        # None makes it answer 250, so this moment is the server's accept.
        with self._lock:
            self.times.setdefault(str(message[REFERENCE]), []).append(time.time())

    def last(self, reference: str) -> float:
        with self._lock:
            return self.times[reference][-1]


@pytest.fixture
def accept_clock(smtp_sink: SmtpSink) -> AcceptClock:
    clock = AcceptClock()
    smtp_sink.respond = clock
    return clock
