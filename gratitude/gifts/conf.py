"""The gifts' settings: how long a hold lasts, when its giver is reminded, how many guest actions an hour.

Read at call time through these functions (defaults and environment overrides: config/settings/; the rule
for every app's conf.py: gratitude/core/conf.py).
"""

from __future__ import annotations

from django.conf import settings


def reservation_hours() -> int:
    """A hold lapses by itself this long after it was made."""
    return int(settings.GRATITUDE_RESERVATION_HOURS)


def reservation_reminder_hours() -> int:
    """A giver who asked to be reminded hears this long before their hold lapses."""
    return int(settings.GRATITUDE_RESERVATION_REMINDER_HOURS)


def guest_actions_per_hour() -> int:
    """Gifts, holds and contributions one client may make in an hour through the share links (and the API)."""
    return int(settings.GRATITUDE_GUEST_ACTIONS_PER_HOUR)
