"""Logging: one line a record on stderr, each with its request id, redacted (gratitude/core/logs.py)."""

from __future__ import annotations

import os

from config.settings.base import IS_PROD
from config.settings.environ import env_bool

# Logs go to stderr (gunicorn and systemd collect it), each line with its request id; one JSON object a line
# in prod. Addresses, passwords, tokens and signatures are redacted before any line is written
# (gratitude/core/logs.py). Request errors are logged here, never mailed: ADMINS is empty on purpose.
LOG_JSON = env_bool("GRATITUDE_LOG_JSON", IS_PROD)
_LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "gratitude.core.logs.RequestIdFilter"},
        "redact": {"()": "gratitude.core.logs.RedactFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "gratitude.core.logs.JsonFormatter"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["request_id", "redact"],
        }
    },
    "loggers": {
        "gratitude": {"handlers": ["stderr"], "level": _LOG_LEVEL},
        "django.request": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
