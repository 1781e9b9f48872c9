"""Fixtures shared by every test: factories, a real SMTP server, the browser, and the CI no-skip rule."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from gratitude.testing.smtp import SmtpSink

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _skip_or_fail(reason: str) -> None:
    # In CI a missing dependency is a broken machine, not a reason to pass quietly.
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, never skipped)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_markers(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        _skip_or_fail(f"browser test needs Debian's Chromium at {CHROMIUM}")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Every test starts with no limit counted and no lockout. Only this process's keys go (its own key
    prefix in the shared Redis): other test runs on the machine keep theirs."""
    _clear_own_cache()
    yield
    _clear_own_cache()


def _clear_own_cache() -> None:
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    # The backend itself (django.core.cache.cache is a proxy): on Redis, never clear(), which is FLUSHDB
    # and would wipe every other run's counts in the shared database.
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture
def require_postgres(db: None) -> None:
    """For tests about real concurrency: they run in the PostgreSQL pass of scripts/run-tests.sh."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; runs in the PostgreSQL pass of `make test`")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, with mail settings pointing at it."""
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp_settings(settings: Any, smtp_sink: SmtpSink) -> SmtpSink:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_sink


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
