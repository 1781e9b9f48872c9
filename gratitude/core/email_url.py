"""Turn `EMAIL_URL` into Django email settings, so one variable picks the transport."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

MAILBOX_BACKEND = "gratitude.notifications.transport.backends.DevMailboxBackend"

_SIMPLE_BACKENDS = {
    "mailbox": MAILBOX_BACKEND,
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}


def email_settings_from_url(url: str) -> dict[str, Any]:
    """`mailbox:` | `locmem:` | `console:` | `smtp://user:pass@host:port` | `smtps://...` (implicit TLS).

    `smtp://...?starttls=1` asks for STARTTLS on a plain port.
    """
    scheme = url.split(":", 1)[0].lower()
    if scheme in _SIMPLE_BACKENDS:
        return {"EMAIL_BACKEND": _SIMPLE_BACKENDS[scheme]}
    if scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme must be mailbox, locmem, console, smtp or smtps, not {scheme!r}"
        )
    parts = urlsplit(url)
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL needs a host, e.g. smtp://127.0.0.1:1025")
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0] in {"1", "true"}
    if starttls and scheme == "smtps":
        # Django's SMTP backend refuses SSL with STARTTLS, but only at the first send: refuse it at start-up.
        raise ImproperlyConfigured("EMAIL_URL: smtps:// already uses TLS; drop ?starttls=1 or use smtp://")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": scheme == "smtps",
        "EMAIL_USE_TLS": starttls,
        "EMAIL_TIMEOUT": 20,
    }
