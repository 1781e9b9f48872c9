"""`gratitude demo_data`: loads the demo once, and a second run changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from gratitude.accounts.models import User
from gratitude.core.management.commands.demo_data import DEMO_ITEMS, DEMO_OWNER, DEMO_PARTNER, DEMO_PASSWORD
from gratitude.notifications.models import Notification
from gratitude.registries.models import Item, Registry, RegistryMember

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "registries": Registry.objects.count(),
        "members": RegistryMember.objects.count(),
        "items": Item.objects.count(),
        "notifications": Notification.objects.count(),
    }


def test_demo_data_is_idempotent():
    first_out, second_out = StringIO(), StringIO()

    call_command("demo_data", stdout=first_out)
    after_first = _counts()
    call_command("demo_data", stdout=second_out)

    assert after_first == {
        "users": 2,
        "registries": 1,
        "members": 2,
        "items": len(DEMO_ITEMS),
        "notifications": 0,
    }
    assert _counts() == after_first
    assert "Demo data loaded." in first_out.getvalue()
    assert "Demo data already loaded." in second_out.getvalue()


def test_demo_logins_work_and_are_verified():
    call_command("demo_data", stdout=StringIO())

    for address in (DEMO_OWNER, DEMO_PARTNER):
        user = User.objects.get(email=address)
        assert user.check_password(DEMO_PASSWORD)
        assert user.email_verified
    registry = Registry.objects.get()
    roles = dict(registry.members.values_list("user__email", "role"))
    assert roles == {DEMO_OWNER: "owner", DEMO_PARTNER: "co_registrant"}
