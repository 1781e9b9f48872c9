"""The apps' own settings: registries, gifts and the Thank You List, "Add from any store", the JSON API and
campaigns. Each app reads its own through its conf.py (gratitude/<app>/conf.py)."""

from __future__ import annotations

import os

from config.settings.base import IS_PROD
from config.settings.environ import env_bool, env_float, env_int

# --- Registries, gifts and the Thank You List (docs/registries.md, docs/thank-you-list.md) ----------
GRATITUDE_RESERVATION_HOURS = env_int("GRATITUDE_RESERVATION_HOURS", 48)
# Gifts, holds and contributions one client (a signed-in person, or an address) may make in an hour through
# the share links; past it a friendly 429 page (gifts/views.py).
GRATITUDE_GUEST_ACTIONS_PER_HOUR = env_int("GRATITUDE_GUEST_ACTIONS_PER_HOUR", 30)
# A giver who asked to be reminded hears this long before their hold lapses.
GRATITUDE_RESERVATION_REMINDER_HOURS = env_int("GRATITUDE_RESERVATION_REMINDER_HOURS", 12)
# An invitation to help run a registry can be accepted for this long.
GRATITUDE_INVITATION_DAYS = env_int("GRATITUDE_INVITATION_DAYS", 14)
# A registry with auto-archive on archives itself this long after its event (after a notice 14 days ahead).
GRATITUDE_ARCHIVE_AFTER_DAYS = env_int("GRATITUDE_ARCHIVE_AFTER_DAYS", 90)
# A gift not marked received counts as waiting for thanks (for the reminder) this long after it was given.
GRATITUDE_THANK_YOU_REMINDER_DAYS = env_int("GRATITUDE_THANK_YOU_REMINDER_DAYS", 14)

# "Add from any store" fetches pasted links (docs/registries.md). Tests and demos serve store pages on
# 127.0.0.1: this lets the fetch reach 127.0.0.0/8 and ::1, and nothing else. Never in production.
GRATITUDE_FETCH_ALLOW_LOOPBACK = env_bool("GRATITUDE_FETCH_ALLOW_LOOPBACK", False) and not IS_PROD
# Store links one person may have fetched per hour (each costs a connection and a kept picture).
GRATITUDE_STORE_FETCHES_PER_HOUR = env_int("GRATITUDE_STORE_FETCHES_PER_HOUR", 60)

# The JSON API: requests per token (or signed-in person, or address for public reads) per minute.
GRATITUDE_API_REQUESTS_PER_MINUTE = env_int("GRATITUDE_API_REQUESTS_PER_MINUTE", 120)

# --- Campaigns (docs/operations.md); checked and interpreted by gratitude/operations/conf.py -------------
# The first slice of a campaign: a count ("100") or a share of the frozen audience ("1%").
GRATITUDE_CANARY_SLICE = os.environ.get("GRATITUDE_CANARY_SLICE", "").strip() or "100"
# How long to watch the canary after its last message went out before sending the rest.
GRATITUDE_CANARY_WAIT_SECONDS = env_float("GRATITUDE_CANARY_WAIT_SECONDS", 1800)
# Stop when more than this share of the canary's sent messages bounced / complained / unsubscribed.
GRATITUDE_CANARY_MAX_BOUNCE_RATE = env_float("GRATITUDE_CANARY_MAX_BOUNCE_RATE", 0.05)
GRATITUDE_CANARY_MAX_COMPLAINT_RATE = env_float("GRATITUDE_CANARY_MAX_COMPLAINT_RATE", 0.003)
GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE = env_float("GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE", 0.02)
# The rest goes out at most this fast. Keep it under GRATITUDE_BLAST_FLOOR_PER_HOUR on a site without a
# campaign history, or the kind's blast-radius breaker trips: that is the breaker working.
GRATITUDE_CAMPAIGN_RATE_PER_HOUR = env_float("GRATITUDE_CAMPAIGN_RATE_PER_HOUR", 800)
# Audience drift at send time above this share of the frozen count halts the campaign.
GRATITUDE_CAMPAIGN_MAX_DRIFT = env_float("GRATITUDE_CAMPAIGN_MAX_DRIFT", 0.01)
