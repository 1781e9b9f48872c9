"""Fixtures shared by the browser tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def mailbox(settings: Any, live_server: Any, tmp_path: Any) -> Any:
    """Capture mail into a fresh dev mailbox readable in the browser; mail links point at the live server."""
    settings.EMAIL_BACKEND = "gratitude.notifications.transport.backends.DevMailboxBackend"
    settings.DEV_MAILBOX_DIR = tmp_path / "mailbox"
    settings.GRATITUDE_DEV_MAILBOX = True
    settings.SITE_URL = live_server.url
    return settings.DEV_MAILBOX_DIR
