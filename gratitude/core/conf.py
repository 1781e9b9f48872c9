"""The site-wide settings every app may read: the environment, the dev mailbox switch, the trusted proxies.

Each app reads its own GRATITUDE_* settings through its `conf.py`, never `settings.GRATITUDE_*` directly:
one typed function per setting, named after it without the prefix. The defaults and the environment
variables that override them live in one place, config/settings/ (docs/operations.md lists them); these
functions read django.conf.settings at call time, never at import, so `override_settings` and the `settings`
fixture of the tests take effect.
"""

from __future__ import annotations

from typing import Literal, cast

from django.conf import settings

Environment = Literal["dev", "test", "prod"]


def env() -> Environment:
    """dev | test | prod (config/settings/ refuses anything else at start-up)."""
    return cast(Environment, settings.GRATITUDE_ENV)


def dev_mailbox() -> bool:
    """The dev mailbox page and the mail previews exist (dev only; tests switch them on explicitly)."""
    return bool(settings.GRATITUDE_DEV_MAILBOX)


def trusted_proxies() -> int:
    """How many reverse proxies append to X-Forwarded-For in front of us (core/client_ip.py)."""
    return int(settings.GRATITUDE_TRUSTED_PROXIES)
