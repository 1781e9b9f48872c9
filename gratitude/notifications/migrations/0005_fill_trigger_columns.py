"""Fill the trigger columns of rows written before they existed, from the idempotency keys of the time.

Until then a row's trigger was named only inside its key; from now on the key is opaque and nothing reads it
back. The key shapes below are the ones the outbox writers made; a row whose key matches none (a forged or
hand-written one) keeps empty trigger columns, and provenance refuses it as before.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from django.db import migrations

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An address request's id is not in its key: the registry and the giver are, and name one request.
_ADDRESS_REQUEST_KEY = re.compile(r"^address_request:registry:(?P<registry>\d+):user:(?P<user>\d+)$")

# key shape -> the trigger's type; group "id" is the trigger's id, "on"/"sent" its moment when it has one.
_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^gift_alert:gift:(?P<id>\d+):user:\d+$"), "gift"),
    (re.compile(r"^gift_receipt:gift:(?P<id>\d+)$"), "gift"),
    (
        re.compile(r"^(email_verify|password_reset|signup_existing):user:(?P<id>\d+):request:[0-9a-f]+$"),
        "user",
    ),
    (_ADDRESS_REQUEST_KEY, "address_request"),
    (re.compile(r"^thank_you_reminder:registry:(?P<id>\d+):user:\d+:on:\d{4}-\d{2}-\d{2}$"), "registry"),
    (re.compile(r"^registry_invitation:invitation:(?P<id>\d+)$"), "invitation"),
    (re.compile(r"^reservation_(reminder|link|released):reservation:(?P<id>\d+)$"), "reservation"),
    (
        re.compile(r"^registry_archive_notice:registry:(?P<id>\d+):on:(?P<on>\d{4}-\d{2}-\d{2}):user:\d+$"),
        "registry",
    ),
    (re.compile(r"^(campaign|correction):campaign:(?P<id>\d+):user:\d+$"), "campaign"),
    (re.compile(r"^quiet_delegate_invitation:delegation:(?P<id>\d+):sent:(?P<sent>\d+)$"), "quiet_delegate"),
]


def trigger_of(key: str) -> tuple[str, int | None, datetime | None] | None:
    """(type, id, moment) named by an old idempotency key, or None for a key of no known shape. An address
    request's id is not in its key (registry and giver are): it comes back as None, found by the caller."""
    for pattern, trigger_type in _SHAPES:
        match = pattern.match(key)
        if match is None:
            continue
        parts = match.groupdict()
        moment = None
        if parts.get("on"):
            moment = datetime.combine(date.fromisoformat(parts["on"]), time.min, tzinfo=UTC)
        if parts.get("sent"):
            moment = _EPOCH + timedelta(microseconds=int(parts["sent"]))
        return trigger_type, int(parts["id"]) if parts.get("id") else None, moment
    return None


def fill_trigger_columns(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    AddressRequest = apps.get_model("thanks", "AddressRequest")
    batch = []
    for row in (
        Notification.objects.filter(trigger_type="")
        .only("pk", "idempotency_key")
        .iterator(chunk_size=2000)
    ):
        found = trigger_of(row.idempotency_key)
        if found is None:
            continue
        row.trigger_type, row.trigger_id, row.trigger_at = found
        if row.trigger_type == "address_request":
            parts = _ADDRESS_REQUEST_KEY.match(row.idempotency_key)
            assert parts is not None
            request = AddressRequest.objects.filter(
                registry_id=int(parts["registry"]), giver_id=int(parts["user"])
            ).first()
            if request is None:
                continue
            row.trigger_id = request.pk
        batch.append(row)
        if len(batch) >= 2000:
            Notification.objects.bulk_update(batch, ["trigger_type", "trigger_id", "trigger_at"])
            batch = []
    if batch:
        Notification.objects.bulk_update(batch, ["trigger_type", "trigger_id", "trigger_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_outbox_trigger_columns"),
        ("thanks", "0002_entered_address"),
    ]

    operations = [migrations.RunPython(fill_trigger_columns, migrations.RunPython.noop, elidable=True)]
