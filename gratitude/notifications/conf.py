"""The sending path's settings: pacing, leases and retries, blast radius, caps, mail transport and DKIM.

Read at call time through these functions (defaults and environment overrides: config/settings/, the
"sending" and "mail" parts; the rule for every app's conf.py: gratitude/core/conf.py). GRATITUDE_ENV and
GRATITUDE_DEV_MAILBOX are the whole site's: core.conf reads them, and they are offered here too.
"""

from __future__ import annotations

from django.conf import settings

from gratitude.core.conf import dev_mailbox, env

__all__ = [
    "alert_settle_seconds",
    "blast_cap_per_hour",
    "blast_floor_per_hour",
    "blast_k",
    "blast_m",
    "dev_mailbox",
    "digest_hour",
    "digest_window_seconds",
    "dkim_domain",
    "dkim_ed25519_key_file",
    "dkim_ed25519_selector",
    "dkim_key_file",
    "dkim_selector",
    "env",
    "lease_seconds",
    "mail_allowlist",
    "mail_provider",
    "quiet_hours",
    "reference_checks_per_address_per_hour",
    "reference_checks_per_hour",
    "send_retry_budget",
    "unconfirmed_mails_per_day",
    "unconfirmed_mails_per_month",
]


# --- Pacing (notifications/sending/pacing.py)
# ------------------------------------------------------------------


def alert_settle_seconds() -> int:
    """How long after its trigger a gift alert waits, so a quick cancel never alerts."""
    return int(settings.GRATITUDE_ALERT_SETTLE_SECONDS)


def digest_window_seconds() -> int:
    """A recipient gets at most one message per this window for one registry."""
    return int(settings.GRATITUDE_DIGEST_WINDOW_SECONDS)


def digest_hour() -> int:
    """The local hour of the daily digest."""
    return int(settings.GRATITUDE_DIGEST_HOUR)


def quiet_hours() -> str:
    """The quiet hours as written ("21-8" or "off"); sending/pacing.py interprets them."""
    return str(settings.GRATITUDE_QUIET_HOURS)


# --- Claiming and retrying (notifications/sending/delivery.py)
# --------------------------------------------------


def lease_seconds() -> int:
    return int(settings.GRATITUDE_LEASE_SECONDS)


def send_retry_budget() -> int:
    return int(settings.GRATITUDE_SEND_RETRY_BUDGET)


# --- Blast radius (docs/safety.md promise 3) -------------------------------------------------------------


def blast_k() -> int:
    return int(settings.GRATITUDE_BLAST_K)


def blast_m() -> int:
    return int(settings.GRATITUDE_BLAST_M)


def blast_cap_per_hour() -> int:
    return int(settings.GRATITUDE_BLAST_CAP_PER_HOUR)


def blast_floor_per_hour() -> int:
    return int(settings.GRATITUDE_BLAST_FLOOR_PER_HOUR)


# --- Unconfirmed addresses (notifications/sending/unconfirmed_addresses.py)
# -----------------------------------------------


def unconfirmed_mails_per_day() -> int:
    return int(settings.GRATITUDE_UNCONFIRMED_MAILS_PER_DAY)


def unconfirmed_mails_per_month() -> int:
    return int(settings.GRATITUDE_UNCONFIRMED_MAILS_PER_MONTH)


# --- Transport, allowlist and DKIM (docs/deliverability.md) ---------------------------------------------


def mail_provider() -> str:
    """The anymail ESP's name, or "" for EMAIL_URL's transport."""
    return str(settings.GRATITUDE_MAIL_PROVIDER)


def mail_allowlist() -> list[str]:
    """Outside prod, only addresses matching one of these fnmatch patterns get mail (docs/safety.md 5)."""
    return list(settings.GRATITUDE_MAIL_ALLOWLIST)


def dkim_key_file() -> str:
    return str(settings.GRATITUDE_DKIM_KEY_FILE or "")


def dkim_selector() -> str:
    return str(settings.GRATITUDE_DKIM_SELECTOR)


def dkim_ed25519_key_file() -> str:
    return str(settings.GRATITUDE_DKIM_ED25519_KEY_FILE or "")


def dkim_ed25519_selector() -> str:
    return str(settings.GRATITUDE_DKIM_ED25519_SELECTOR)


def dkim_domain() -> str:
    return str(settings.GRATITUDE_DKIM_DOMAIN)


# --- "Is this email from us?" (notifications/web/views.py) --------------------------------------------------


def reference_checks_per_hour() -> int:
    """Checks per signed-in person (or address, when signed out) per hour; the API's check shares it."""
    return int(settings.GRATITUDE_REFERENCE_CHECKS_PER_HOUR)


def reference_checks_per_address_per_hour() -> int:
    """Checks naming one address, from any client, per hour."""
    return int(settings.GRATITUDE_REFERENCE_CHECKS_PER_ADDRESS_PER_HOUR)
