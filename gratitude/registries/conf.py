"""The registries' settings: invitations, auto-archive and "Add from any store" (docs/registries.md).

Read at call time through these functions (defaults and environment overrides: config/settings/; the rule
for every app's conf.py: gratitude/core/conf.py).
"""

from __future__ import annotations

from django.conf import settings


def invitation_days() -> int:
    """An invitation to help run a registry can be accepted for this long."""
    return int(settings.GRATITUDE_INVITATION_DAYS)


def archive_after_days() -> int:
    """A registry with auto-archive on archives itself this long after its event."""
    return int(settings.GRATITUDE_ARCHIVE_AFTER_DAYS)


def store_fetches_per_hour() -> int:
    """Store links one person may have fetched per hour."""
    return int(settings.GRATITUDE_STORE_FETCHES_PER_HOUR)


def fetch_allow_loopback() -> bool:
    """The store fetcher may reach 127.0.0.0/8 and ::1 (tests and demos); never in production."""
    return bool(getattr(settings, "GRATITUDE_FETCH_ALLOW_LOOPBACK", False)) and not settings.IS_PROD
