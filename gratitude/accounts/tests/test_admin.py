"""The admin cannot make an operator: a superuser posting the staff and superuser flags, groups or a new
address on a person's admin page changes none of them (docs/safety.md promise 4: the two-person rule needs
two real operators); `gratitude staff` is the audited way."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from gratitude.accounts.models import User
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    boss = make_user()
    User.objects.filter(pk=boss.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(boss)
    return client


def _change_page_post(client: Client, person: User, **fields: object):
    data = {
        "email": person.email,
        "display_name": person.display_name,
        "timezone": person.timezone,
        "is_active": "on",
        **fields,
    }
    return client.post(reverse("admin:accounts_user_change", args=[person.pk]), data)


def test_a_superuser_cannot_make_someone_staff_or_superuser_or_change_their_address(superuser_client):
    person = make_user(email="sam@example.test")
    group = Group.objects.create(name="operators")
    group.permissions.add(Permission.objects.get(codename="change_user"))

    response = _change_page_post(
        superuser_client,
        person,
        email="attacker@example.test",
        is_staff="on",
        is_superuser="on",
        groups=[group.pk],
        user_permissions=[Permission.objects.get(codename="change_user").pk],
        display_name="Sam Renamed",
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.display_name == "Sam Renamed"  # the form saved: what it may change, it changed
    assert (person.is_staff, person.is_superuser, person.email) == (False, False, "sam@example.test")
    assert not person.groups.exists() and not person.user_permissions.exists()


def test_the_admin_page_shows_the_operator_fields_read_only(superuser_client):
    person = make_user()
    page = superuser_client.get(reverse("admin:accounts_user_change", args=[person.pk])).content.decode()
    for name in ("is_staff", "is_superuser", "email", "groups"):
        assert f'name="{name}"' not in page
