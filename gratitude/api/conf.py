"""The JSON API's settings: its request budget (docs/api.md).

Read at call time through these functions (defaults and environment overrides: config/settings/; the rule
for every app's conf.py: gratitude/core/conf.py).
"""

from __future__ import annotations

from django.conf import settings


def api_requests_per_minute() -> int:
    """Requests per token (or signed-in person, or address for public reads) per minute."""
    return int(settings.GRATITUDE_API_REQUESTS_PER_MINUTE)
