"""CSV exports for operators (the audit log, a recall's recipients), safe to open in a spreadsheet: every
cell goes through the Thank You List's own rule (core/spreadsheets.py), full-width ＝ included."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse

from gratitude.core.spreadsheets import spreadsheet_safe
from gratitude.operations.models import AuditEntry, RecalledMessage
from gratitude.operations.recall import iso


def safe_cell(value: Any) -> str:
    text = iso(value) if isinstance(value, datetime) else ("" if value is None else str(value))
    return spreadsheet_safe(text)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_response(filename: str, lines: Iterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


AUDIT_HEADER = ["when", "actor", "account", "action", "target", "reason"]


def audit_rows(entries: Iterable[AuditEntry]) -> Iterator[list[Any]]:
    for entry in entries:
        account = entry.user.email if entry.user is not None else ""
        yield [entry.created_at, entry.actor, account, entry.action, entry.target, entry.reason]


RECALL_HEADER = ["sent_at", "sent_to", "reference", "message_id", "subject"]


def recall_rows(messages: Iterable[RecalledMessage]) -> Iterator[list[Any]]:
    for message in messages:
        yield [message.sent_at, message.sent_to, message.reference, message.message_id, message.subject]
