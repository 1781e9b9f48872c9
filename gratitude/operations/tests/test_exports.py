"""The operators' CSV exports (audit log, a recall's recipients) neutralise formula cells with the very
function the Thank You List export uses: full-width ＝ ＋ － ＠ included."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import cast

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from gratitude.core import spreadsheets
from gratitude.operations import exports
from gratitude.operations.models import RecalledMessage
from gratitude.operations.services import audit_record
from gratitude.operations.tests.support import make_staff
from gratitude.thanks import exports as thanks_exports

pytestmark = pytest.mark.django_db

STARTS = ["=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20"]


def _rows(lines) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines))))


@pytest.mark.parametrize("start", STARTS)
def test_a_recall_csv_neutralises_every_formula_start(start):
    message = RecalledMessage(
        sent_to=f"{start}x@example.test",
        sent_at=datetime(2031, 1, 2, tzinfo=UTC),
        reference="ABCDEFGHJK",
        message_id=f"{start}id",
        subject=f'{start}HYPERLINK("http://evil.example","click")',
    )
    rows = _rows(exports.csv_lines(exports.RECALL_HEADER, exports.recall_rows([message])))
    assert rows[1][1:] == [f"'{start}x@example.test", "ABCDEFGHJK", f"'{start}id", "'" + message.subject]


def test_the_audit_csv_neutralises_full_width_formulas(client: Client):
    audit_record(
        actor="\uff1dcmd|' /C calc'!A0", action="sends.halt", target="\uff0b1", reason="\uff20SUM(1)"
    )
    client.force_login(make_staff())

    response = client.get(reverse("operations:audit_csv"))

    rows = _rows(cast(StreamingHttpResponse, response).getvalue().decode())
    assert rows[1][1:] == ["'\uff1dcmd|' /C calc'!A0", "", "sends.halt", "'\uff0b1", "'\uff20SUM(1)"]


def test_one_function_serves_every_export():
    assert thanks_exports.spreadsheet_safe is spreadsheets.spreadsheet_safe
    assert exports.spreadsheet_safe is spreadsheets.spreadsheet_safe
