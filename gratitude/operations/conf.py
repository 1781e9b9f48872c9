"""The campaign settings (canary slice, wait, thresholds, rate cap), checked and interpreted.

They are declared, with their defaults and environment overrides, in config/settings/features.py like every
other setting, and docs/operations.md lists them. They are read at call time, so tests and operators can
change them (the rule for every app's conf.py: gratitude/core/conf.py); a value that makes no sense stops
the campaign step with ImproperlyConfigured rather than guessing.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _non_negative(name: str, value: object) -> float:
    # Settings changed at run time (tests, `settings` overrides) may be strings or numbers: accept both.
    try:
        number = float(str(value).strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from exc
    if not math.isfinite(number) or number < 0:
        raise ImproperlyConfigured(f"{name} must be a finite number, not negative")
    return number


def canary_size(frozen_count: int) -> int:
    """How many of a frozen audience go in the canary: at least one, at most all of them."""
    raw = str(settings.GRATITUDE_CANARY_SLICE).strip()
    try:
        size = math.ceil(frozen_count * float(raw[:-1]) / 100) if raw.endswith("%") else int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"GRATITUDE_CANARY_SLICE must be like '100' or '1%', not {raw!r}") from exc
    return max(1, min(size, frozen_count))


def canary_wait_seconds() -> float:
    return _non_negative("GRATITUDE_CANARY_WAIT_SECONDS", settings.GRATITUDE_CANARY_WAIT_SECONDS)


def canary_max_rates() -> dict[str, float]:
    return {
        "bounces": _non_negative(
            "GRATITUDE_CANARY_MAX_BOUNCE_RATE", settings.GRATITUDE_CANARY_MAX_BOUNCE_RATE
        ),
        "complaints": _non_negative(
            "GRATITUDE_CANARY_MAX_COMPLAINT_RATE", settings.GRATITUDE_CANARY_MAX_COMPLAINT_RATE
        ),
        "unsubscribes": _non_negative(
            "GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE", settings.GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE
        ),
    }


def rate_per_hour() -> float:
    rate = _non_negative("GRATITUDE_CAMPAIGN_RATE_PER_HOUR", settings.GRATITUDE_CAMPAIGN_RATE_PER_HOUR)
    if rate <= 0:
        raise ImproperlyConfigured("GRATITUDE_CAMPAIGN_RATE_PER_HOUR must be above zero")
    return rate


def max_drift() -> float:
    return _non_negative("GRATITUDE_CAMPAIGN_MAX_DRIFT", settings.GRATITUDE_CAMPAIGN_MAX_DRIFT)
