"""Log lines operators can search and nobody can read secrets in: a request id on each line, addresses,
passwords, tokens and the secret parts of links redacted, one JSON object a line in prod.

Wired by LOGGING in config/settings/logs.py; docs/operations.md, "Logs", says where to look.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str] = ContextVar("gratitude_request_id", default="-")

REDACTED = "[redacted]"
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# name=value, name: value, "name": "value" for names that carry secrets (form fields, headers, settings).
_SECRET_PAIR = re.compile(
    r"""(?ix)
    (["']?(?:password\d?|passwd|secret(?:_key)?|token|api[_-]?key|authorization|cookie|sessionid|csrftoken|
    csrfmiddlewaretoken|signature|x-gratitude-signature|webhook_secret)["']?\s*[=:]\s*)
    (?:(?:Basic|Bearer|Token)\s+\S+|"[^"]*"|'[^']*'|[^\s,;&'"}]+)
    """
)
# Links whose path segment is the credential: share keys, holds, signed tokens (see each app's urls.py).
_SECRET_PATH = re.compile(
    r"(/(?:r|r/hold|t/address|accounts/verify|accounts/trusted|accounts/reset/[^/\s]+|mail/unsubscribe"
    r"|registries/pause|registries/invitations)/)(?!hold/)[^/\s?\"']+"
)


def redact(text: str) -> str:
    text = _SECRET_PATH.sub(rf"\1{REDACTED}", text)
    text = _SECRET_PAIR.sub(rf"\1{REDACTED}", text)
    return _ADDRESS.sub("[address]", text)


class RequestIdFilter(logging.Filter):
    """Stamps the current request's id (or "-" outside a request) on the record. Django logs a 4xx after
    the middleware has returned, with the request attached: its id is read from there."""

    def filter(self, record: logging.LogRecord) -> bool:
        attached = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = attached or request_id_var.get()
        return True


class RedactFilter(logging.Filter):
    """Rewrites the message and the traceback with `redact` before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message, HTTP status, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            entry["status"] = status
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)
