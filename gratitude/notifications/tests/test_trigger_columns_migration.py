"""The data migration that names each existing outbox row's trigger in columns, from its old idempotency key:
run forward on rows of every key shape the writers made, and on a row of no known shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.thanks.models import AddressRequest

BEFORE = [("notifications", "0004_outbox_trigger_columns")]
AFTER = [("notifications", "0005_fill_trigger_columns")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_their_trigger_from_the_key_they_were_written_with():
    old_apps = _migrate(BEFORE)
    Notification = old_apps.get_model("notifications", "Notification")
    owner = make_user()
    giver = make_user()
    gift = make_gift(item=make_item(registry=make_registry(owner=owner)))
    registry_id = gift.registry_id
    request = AddressRequest.objects.create(
        registry_id=registry_id, gift=gift, giver_email=giver.email, giver=giver, requested_by=owner
    )
    # Only the rows below, written as before the columns were filled in.
    Notification.objects.all().delete()
    sent = 1_700_000_000_123_456
    keys = {
        f"gift_alert:gift:{gift.pk}:user:{owner.pk}": ("gift", gift.pk, None),
        f"gift_receipt:gift:{gift.pk}": ("gift", gift.pk, None),
        f"email_verify:user:{owner.pk}:request:{'ab' * 16}": ("user", owner.pk, None),
        f"password_reset:user:{owner.pk}:request:{'cd' * 16}": ("user", owner.pk, None),
        f"signup_existing:user:{owner.pk}:request:{'ef' * 16}": ("user", owner.pk, None),
        f"address_request:registry:{registry_id}:user:{giver.pk}": ("address_request", request.pk, None),
        f"thank_you_reminder:registry:{registry_id}:user:{owner.pk}:on:2031-06-14": (
            "registry",
            registry_id,
            None,
        ),
        "registry_invitation:invitation:41": ("invitation", 41, None),
        "reservation_reminder:reservation:42": ("reservation", 42, None),
        "reservation_link:reservation:43": ("reservation", 43, None),
        "reservation_released:reservation:44": ("reservation", 44, None),
        f"registry_archive_notice:registry:{registry_id}:on:2031-06-28:user:{owner.pk}": (
            "registry",
            registry_id,
            datetime(2031, 6, 28, tzinfo=UTC),
        ),
        f"campaign:campaign:45:user:{owner.pk}": ("campaign", 45, None),
        f"correction:campaign:46:user:{owner.pk}": ("campaign", 46, None),
        f"quiet_delegate_invitation:delegation:47:sent:{sent}": (
            "quiet_delegate",
            47,
            datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=sent),
        ),
        # A forged or hand-written row: no trigger, so provenance refuses it as before.
        "forged:1": ("", None, None),
        # An address request that no longer exists names no trigger either.
        f"address_request:registry:{registry_id}:user:{owner.pk}": ("", None, None),
    }
    for key in keys:
        Notification.objects.create(
            kind=key.split(":", 1)[0],
            recipient_id=owner.pk,
            idempotency_key=key,
            due_at=timezone.now(),
        )

    new_apps = _migrate(AFTER)

    rows = new_apps.get_model("notifications", "Notification").objects.all()
    found = {row.idempotency_key: (row.trigger_type, row.trigger_id, row.trigger_at) for row in rows}
    assert found == keys
