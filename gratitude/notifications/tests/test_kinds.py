"""Each kind is declared once, by its own app, and event-backed kinds have exactly one way in (docs/safety.md
promise 2)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from django.db import transaction

from gratitude.accounts.notifications import EMAIL_VERIFY, account_mail_enqueue
from gratitude.gifts.notifications import gift_alerts_enqueue
from gratitude.notifications.outbox.kinds import KINDS, kind_named, register
from gratitude.notifications.rendering.template_engine import mail_engine
from gratitude.testing.factories import make_user

APP_ROOT = Path(__file__).resolve().parents[2]


def _app_python_files() -> list[Path]:
    return [
        path
        for path in APP_ROOT.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts and "testing" not in path.parts
    ]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_its_template_triplet(kind):
    base = f"notifications/email/{KINDS[kind].template}"
    for part in ("subject.txt", "body.txt", "body.html"):
        # Mail templates are the mail engine's (Jinja2): compiled here, so a syntax error fails this test.
        assert mail_engine().get_template(f"{base}/{part}") is not None


def test_event_backed_templates_are_referenced_from_one_module_only():
    for kind in (k for k in KINDS.values() if k.event_backed):
        pattern = re.compile(rf"""(template\s*=\s*["']{kind.template}["']|email/{kind.template}/)""")
        users = [p for p in _app_python_files() if pattern.search(p.read_text())]
        # Only where the kind is declared: its app's notifications.py.
        assert len(users) == 1 and users[0].name == "notifications.py", (
            f"{kind.name} template used from {users}"
        )


def test_outbox_rows_are_constructed_only_by_the_notification_services():
    pattern = re.compile(
        r"Notification\.objects\.(create|bulk_create|get_or_create)|(?<!class )\bNotification\("
    )
    writers = sorted(
        p.relative_to(APP_ROOT).as_posix() for p in _app_python_files() if pattern.search(p.read_text())
    )
    assert writers == ["notifications/outbox/writes.py"]


def test_a_kind_is_registered_once_under_its_name():
    assert kind_named("email_verify") is EMAIL_VERIFY
    assert register(EMAIL_VERIFY) is EMAIL_VERIFY  # the same declaration again is harmless
    with pytest.raises(ValueError, match="registered twice"):
        register(dataclasses.replace(EMAIL_VERIFY, label="something else"))
    assert kind_named("email_verify") is EMAIL_VERIFY


@pytest.mark.django_db
def test_account_mail_path_refuses_event_backed_kinds_loudly():
    user = make_user()
    with pytest.raises(ValueError, match="not an account mail kind"), transaction.atomic():
        account_mail_enqueue(kind="gift_alert", user=user)


@pytest.mark.django_db(transaction=True)
def test_outbox_write_outside_the_business_transaction_fails_loudly():
    user = make_user()
    with pytest.raises(AssertionError, match="event's transaction"):
        account_mail_enqueue(kind="email_verify", user=user)


@pytest.mark.django_db(transaction=True)
def test_enqueuing_the_same_trigger_twice_writes_one_row():
    from gratitude.testing.factories import make_gift

    gift = make_gift()
    with transaction.atomic():
        again = gift_alerts_enqueue(gift=gift)
    assert len(again) == 1
    assert gift.notifications.count() == 1
