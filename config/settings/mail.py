"""Mail: the transport (EMAIL_URL or a provider), the dev mailbox, who may get mail outside production, DKIM,
the provider webhooks' secret, and the "Is this email from us?" limits. Production refuses anything meant for
development or tests here (docs/safety.md promise 5)."""

from __future__ import annotations

import importlib.util
import os
import secrets
from email.utils import parseaddr

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import BASE_DIR, GRATITUDE_ENV, IS_PROD, SITE_URL, TEMPLATES, VAR_DIR
from config.settings.environ import env_bool, env_int
from gratitude.core.email_url import email_settings_from_url

_CAPTURING_BACKENDS = {
    "gratitude.notifications.transport.backends.DevMailboxBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
}
# Default: captured into var/mailbox and readable at /dev/mailbox (dev only). See docs/notifications.md.
DEV_MAILBOX_DIR = VAR_DIR / "mailbox"
EMAIL_URL = os.environ.get("EMAIL_URL", "" if IS_PROD else "mailbox:")
# A provider through django-anymail (its ESP name: postmark, amazon_ses, mailgun, ...) replaces EMAIL_URL's
# transport; its settings come from ANYMAIL_* variables (docs/deliverability.md).
GRATITUDE_MAIL_PROVIDER = os.environ.get("GRATITUDE_MAIL_PROVIDER", "").strip().lower()
if IS_PROD and not EMAIL_URL and not GRATITUDE_MAIL_PROVIDER:
    raise ImproperlyConfigured("EMAIL_URL must be set when GRATITUDE_ENV=prod (e.g. smtp://host:587)")
if GRATITUDE_MAIL_PROVIDER:
    if importlib.util.find_spec(f"anymail.backends.{GRATITUDE_MAIL_PROVIDER}") is None:
        raise ImproperlyConfigured(f"GRATITUDE_MAIL_PROVIDER {GRATITUDE_MAIL_PROVIDER!r} is no anymail ESP")
    EMAIL_BACKEND = f"anymail.backends.{GRATITUDE_MAIL_PROVIDER}.EmailBackend"
else:
    globals().update(email_settings_from_url(EMAIL_URL))
if globals()["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    # Direct SMTP signs every message with DKIM given GRATITUDE_DKIM_KEY_FILE (providers sign their own).
    EMAIL_BACKEND = "gratitude.notifications.transport.backends.SigningSmtpBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Gratitude <alerts@gratitude.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The dev mailbox page (and the mail previews) exist only in dev; tests switch them on explicitly.
GRATITUDE_DEV_MAILBOX = env_bool("GRATITUDE_DEV_MAILBOX", GRATITUDE_ENV == "dev")
# Templates only tests may render (bait samples proving the send-time checks); never in production.
GRATITUDE_TEST_TEMPLATES = env_bool("GRATITUDE_TEST_TEMPLATES", GRATITUDE_ENV == "test")
if GRATITUDE_TEST_TEMPLATES:
    # They are mail templates: the "mail" engine's.
    _template_dirs = TEMPLATES[1]["DIRS"]
    assert isinstance(_template_dirs, list)
    _template_dirs.append(BASE_DIR / "gratitude" / "notifications" / "tests" / "templates")
if IS_PROD:
    # docs/safety.md promise 5: production refuses to start with anything meant for development or tests.
    if GRATITUDE_DEV_MAILBOX or globals()["EMAIL_BACKEND"] in _CAPTURING_BACKENDS:
        raise ImproperlyConfigured("GRATITUDE_ENV=prod cannot use the dev mailbox or a capturing EMAIL_URL")
    if GRATITUDE_TEST_TEMPLATES:
        raise ImproperlyConfigured("GRATITUDE_ENV=prod cannot enable GRATITUDE_TEST_TEMPLATES")
    if not SITE_URL.startswith("https://"):
        raise ImproperlyConfigured("SITE_URL must be https:// when GRATITUDE_ENV=prod (mail links use it)")
# Outside prod only matching addresses get mail (fnmatch patterns, comma separated); "" = nobody.
# Capturing transports never leave the machine, so they allow everyone by default; a real transport
# outside prod defaults to the reserved test domain only (docs/safety.md promise 5).
_MAIL_CAPTURED = EMAIL_URL.partition(":")[0] in {"mailbox", "locmem", "console"}
if GRATITUDE_MAIL_PROVIDER:
    _MAIL_CAPTURED = False
GRATITUDE_MAIL_ALLOWLIST = [
    pattern.strip()
    for pattern in os.environ.get(
        "GRATITUDE_MAIL_ALLOWLIST", "*" if _MAIL_CAPTURED else "*@example.test"
    ).split(",")
    if pattern.strip()
]

# DKIM for direct SMTP (docs/deliverability.md): d= is the From domain unless set, and must align with it.
_FROM_DOMAIN = parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower()
GRATITUDE_DKIM_KEY_FILE = os.environ.get("GRATITUDE_DKIM_KEY_FILE", "")
GRATITUDE_DKIM_SELECTOR = os.environ.get("GRATITUDE_DKIM_SELECTOR", "gratitude")
GRATITUDE_DKIM_DOMAIN = os.environ.get("GRATITUDE_DKIM_DOMAIN", _FROM_DOMAIN).lower().rstrip(".")
# Optional second signature (RFC 8463), next to RSA, never instead of it.
GRATITUDE_DKIM_ED25519_KEY_FILE = os.environ.get("GRATITUDE_DKIM_ED25519_KEY_FILE", "")
GRATITUDE_DKIM_ED25519_SELECTOR = os.environ.get("GRATITUDE_DKIM_ED25519_SELECTOR", "gratitude-ed25519")
if _FROM_DOMAIN != GRATITUDE_DKIM_DOMAIN and not _FROM_DOMAIN.endswith(f".{GRATITUDE_DKIM_DOMAIN}"):
    raise ImproperlyConfigured(
        f"GRATITUDE_DKIM_DOMAIN {GRATITUDE_DKIM_DOMAIN!r} is not aligned with From's domain {_FROM_DOMAIN!r}"
    )
# Provider webhooks (bounces, complaints, unsubscribes) authenticate with HTTP basic auth "user:password".
# Unset, a random secret nobody knows is used, so every webhook request is refused.
_WEBHOOK_SECRET = os.environ.get("GRATITUDE_MAIL_WEBHOOK_SECRET", "")
if IS_PROD and GRATITUDE_MAIL_PROVIDER and not _WEBHOOK_SECRET:
    raise ImproperlyConfigured("GRATITUDE_MAIL_WEBHOOK_SECRET must be set with a mail provider in prod")
ANYMAIL = {
    **{name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name[:8] == "ANYMAIL_"},
    "WEBHOOK_SECRET": _WEBHOOK_SECRET or f"unset:{secrets.token_urlsafe(32)}",
}
# "Is this email from us?": checks per signed-in person (or address, when signed out) per hour.
GRATITUDE_REFERENCE_CHECKS_PER_HOUR = env_int("GRATITUDE_REFERENCE_CHECKS_PER_HOUR", 20)
# ... and checks naming one address, from any client: a code cannot be guessed for a known address.
GRATITUDE_REFERENCE_CHECKS_PER_ADDRESS_PER_HOUR = env_int(
    "GRATITUDE_REFERENCE_CHECKS_PER_ADDRESS_PER_HOUR", 10
)
