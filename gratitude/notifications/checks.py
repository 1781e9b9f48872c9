"""System checks for the sending path's settings (run by `manage.py check --deploy` and at start-up)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

# One SMTP conversation is about eight round trips, each allowed EMAIL_TIMEOUT; a lease shorter than that
# could expire mid-send and let a second worker send the same row (docs/notifications.md).
SMTP_ROUND_TRIPS = 8


@register()
def lease_outlasts_a_send(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.GRATITUDE_ENV != "prod":
        return []  # drills shorten the lease on purpose
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 0
    needed = SMTP_ROUND_TRIPS * timeout
    if needed >= settings.GRATITUDE_LEASE_SECONDS:
        return [
            Error(
                f"GRATITUDE_LEASE_SECONDS ({settings.GRATITUDE_LEASE_SECONDS}) must exceed "
                f"{SMTP_ROUND_TRIPS} x EMAIL_TIMEOUT ({needed} s), or a slow send can outlive its lease.",
                id="gratitude.E001",
            )
        ]
    return []
