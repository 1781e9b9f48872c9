"""System checks for the sending path's settings (run by `manage.py check --deploy` and at start-up)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from gratitude.notifications import conf

# One SMTP conversation is about eight round trips, each allowed EMAIL_TIMEOUT; a lease shorter than that
# could expire mid-send and let a second worker send the same row (docs/notifications.md).
SMTP_ROUND_TRIPS = 8


@register()
def lease_outlasts_a_send(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if conf.env() != "prod":
        return []  # drills shorten the lease on purpose
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 0
    needed = SMTP_ROUND_TRIPS * timeout
    if needed >= conf.lease_seconds():
        return [
            Error(
                f"GRATITUDE_LEASE_SECONDS ({conf.lease_seconds()}) must exceed "
                f"{SMTP_ROUND_TRIPS} x EMAIL_TIMEOUT ({needed} s), or a slow send can outlive its lease.",
                id="gratitude.E001",
            )
        ]
    return []


@register()
def provider_webhook_is_configured(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The configured provider's tracking webhook can answer: its own settings (a signing key, an optional
    package) are present. Found at start-up, not by the provider's first bounce report getting a 503."""
    from django.core.exceptions import ImproperlyConfigured

    from gratitude.notifications.web.provider_webhooks import TRACKING_VIEWS

    provider = conf.mail_provider()
    view_class = TRACKING_VIEWS.get(provider)
    if not provider or view_class is None:
        return []
    try:
        view_class()
    except ImproperlyConfigured as exc:
        return [Error(f"The {provider} tracking webhook cannot answer: {exc}", id="gratitude.E002")]
    return []
