"""The Thank You List's settings (docs/thank-you-list.md).

Read at call time through these functions (defaults and environment overrides: config/settings/; the rule
for every app's conf.py: gratitude/core/conf.py).
"""

from __future__ import annotations

from django.conf import settings


def thank_you_reminder_days() -> int:
    """A gift not marked received counts as waiting for thanks this long after it was given."""
    return int(settings.GRATITUDE_THANK_YOU_REMINDER_DAYS)
