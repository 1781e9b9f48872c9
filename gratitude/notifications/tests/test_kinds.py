"""Kinds are declared in one place, and event-backed kinds have exactly one way in (SAFETY.md promise 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction

from gratitude.notifications import services
from gratitude.notifications.kinds import KINDS
from gratitude.notifications.mail_templates import mail_engine
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
        assert [p.name for p in users] == ["kinds.py"], f"{kind.name} template used from {users}"


def test_outbox_rows_are_constructed_only_by_the_notification_services():
    pattern = re.compile(
        r"Notification\.objects\.(create|bulk_create|get_or_create)|(?<!class )\bNotification\("
    )
    writers = sorted(
        p.relative_to(APP_ROOT).as_posix() for p in _app_python_files() if pattern.search(p.read_text())
    )
    assert writers == ["notifications/services.py"]


@pytest.mark.django_db
def test_account_mail_path_refuses_event_backed_kinds_loudly():
    user = make_user()
    with pytest.raises(ValueError, match="not an account mail kind"), transaction.atomic():
        services.notification_enqueue_account_mail(kind="gift_alert", user=user)


@pytest.mark.django_db(transaction=True)
def test_outbox_write_outside_the_business_transaction_fails_loudly():
    user = make_user()
    with pytest.raises(AssertionError, match="event's transaction"):
        services.notification_enqueue_account_mail(kind="email_verify", user=user)


@pytest.mark.django_db(transaction=True)
def test_enqueuing_the_same_trigger_twice_writes_one_row():
    from gratitude.testing.factories import make_gift

    gift = make_gift()
    with transaction.atomic():
        again = services.notification_enqueue_gift_alerts(gift=gift)
    assert len(again) == 1
    assert gift.notifications.count() == 1
