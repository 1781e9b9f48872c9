"""The campaign settings (canary slice, wait, thresholds, rate cap), read from Django settings or else from
the environment, each with a default. Read at call time, so tests and operators can change them.

They live here rather than in config/settings.py while issue 8 is being built; docs/operations.md lists them.
"""

from __future__ import annotations

import math
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, str] = {
    # The first slice of a campaign: a count ("100") or a share of the frozen audience ("1%").
    "GRATITUDE_CANARY_SLICE": "100",
    # How long to watch the canary after its last message went out before sending the rest.
    "GRATITUDE_CANARY_WAIT_SECONDS": "1800",
    # Stop when more than this share of the canary's sent messages bounced / complained / unsubscribed.
    "GRATITUDE_CANARY_MAX_BOUNCE_RATE": "0.05",
    "GRATITUDE_CANARY_MAX_COMPLAINT_RATE": "0.003",
    "GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE": "0.02",
    # The rest goes out at most this fast. Keep it under GRATITUDE_BLAST_FLOOR_PER_HOUR (1,000) on a site
    # without a campaign history, or the kind's blast-radius breaker trips: that is the breaker working.
    "GRATITUDE_CAMPAIGN_RATE_PER_HOUR": "800",
    # Audience drift at send time above this share of the frozen count halts the campaign.
    "GRATITUDE_CAMPAIGN_MAX_DRIFT": "0.01",
}


def _raw(name: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value).strip()


def _float(name: str) -> float:
    try:
        value = float(_raw(name))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {_raw(name)!r}") from exc
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative")
    return value


def canary_size(frozen_count: int) -> int:
    """How many of a frozen audience go in the canary: at least one, at most all of them."""
    raw = _raw("GRATITUDE_CANARY_SLICE")
    try:
        size = math.ceil(frozen_count * float(raw[:-1]) / 100) if raw.endswith("%") else int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"GRATITUDE_CANARY_SLICE must be like '100' or '1%', not {raw!r}") from exc
    return max(1, min(size, frozen_count))


def canary_wait_seconds() -> float:
    return _float("GRATITUDE_CANARY_WAIT_SECONDS")


def canary_max_rates() -> dict[str, float]:
    return {
        "bounces": _float("GRATITUDE_CANARY_MAX_BOUNCE_RATE"),
        "complaints": _float("GRATITUDE_CANARY_MAX_COMPLAINT_RATE"),
        "unsubscribes": _float("GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE"),
    }


def rate_per_hour() -> float:
    rate = _float("GRATITUDE_CAMPAIGN_RATE_PER_HOUR")
    if rate <= 0:
        raise ImproperlyConfigured("GRATITUDE_CAMPAIGN_RATE_PER_HOUR must be above zero")
    return rate


def max_drift() -> float:
    return _float("GRATITUDE_CAMPAIGN_MAX_DRIFT")
