"""The sending path (docs/notifications.md): caps on unconfirmed addresses, pacing, leases and retries, and
the blast-radius breaker. Read through gratitude/notifications/conf.py."""

from __future__ import annotations

import os

from config.settings.base import IS_PROD
from config.settings.environ import env_int

# Mail to an address nobody confirmed (a giver's, an invitee's, a sign-up not finished), all kinds and
# registries together; checked at send time (notifications/sending/unconfirmed_addresses.py,
# docs/deliverability.md).
GRATITUDE_UNCONFIRMED_MAILS_PER_DAY = env_int("GRATITUDE_UNCONFIRMED_MAILS_PER_DAY", 3)
GRATITUDE_UNCONFIRMED_MAILS_PER_MONTH = env_int("GRATITUDE_UNCONFIRMED_MAILS_PER_MONTH", 10)
GRATITUDE_ALERT_SETTLE_SECONDS = env_int("GRATITUDE_ALERT_SETTLE_SECONDS", 600 if IS_PROD else 0)
GRATITUDE_DIGEST_WINDOW_SECONDS = env_int("GRATITUDE_DIGEST_WINDOW_SECONDS", 3600 if IS_PROD else 0)
GRATITUDE_DIGEST_HOUR = env_int("GRATITUDE_DIGEST_HOUR", 18)
GRATITUDE_QUIET_HOURS = os.environ.get("GRATITUDE_QUIET_HOURS", "21-8" if IS_PROD else "off")
GRATITUDE_LEASE_SECONDS = env_int("GRATITUDE_LEASE_SECONDS", 300)
GRATITUDE_SEND_RETRY_BUDGET = env_int("GRATITUDE_SEND_RETRY_BUDGET", 8)
# Blast radius (docs/notifications.md, docs/safety.md promise 3).
GRATITUDE_BLAST_K = env_int("GRATITUDE_BLAST_K", 2)
GRATITUDE_BLAST_M = env_int("GRATITUDE_BLAST_M", 5)
GRATITUDE_BLAST_CAP_PER_HOUR = env_int("GRATITUDE_BLAST_CAP_PER_HOUR", 50_000)
GRATITUDE_BLAST_FLOOR_PER_HOUR = env_int("GRATITUDE_BLAST_FLOOR_PER_HOUR", 1_000)
