"""Every way a session ends ends it at once for every process: a copy of the cookie taken before logout,
before login (the key is renewed) or before a password change opens nothing afterwards.

Sessions live in the database only. Django's cached_db engine was tried for speed and withdrawn
(docs/benchmarks.md, "The registrant's pages, logged in"): a logout during a cache failure, or racing a
cache miss's refill, left a copy of the session alive in the cache for the cookie's whole age."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from gratitude.testing.factories import make_registry, make_user

pytestmark = pytest.mark.django_db

RIGHT = "the-right-passphrase-17"


def _login(client: Client, email: str) -> None:
    response = client.post(reverse("accounts:login"), {"username": email, "password": RIGHT})
    assert response.status_code == 302


def _with_cookie(key: str) -> Client:
    """Another browser holding a copy of the session cookie."""
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = key
    return copy


def _registry_page(client: Client, registry_id: int) -> int:
    return client.get(reverse("registries:detail", args=[registry_id])).status_code


def test_sessions_live_in_the_database_alone():
    """No cache in front: nothing a logout deletes can outlive it in a cache (see the module's docstring)."""
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_a_copy_of_the_cookie_opens_nothing_after_logout():
    owner = make_user(email="sam@example.test", password=RIGHT)
    registry = make_registry(owner=owner)
    client = Client()
    _login(client, "sam@example.test")
    copy = _with_cookie(client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert _registry_page(copy, registry.pk) == 200

    client.post(reverse("accounts:logout"))

    assert _registry_page(copy, registry.pk) == 302  # to the login page
    assert not Session.objects.exists()


def test_logging_in_renews_the_key_and_the_one_from_before_opens_nothing():
    owner = make_user(email="sam@example.test", password=RIGHT)
    registry = make_registry(owner=owner)
    client = Client()
    client.get(reverse("accounts:login"))
    session = client.session
    session["before_login"] = True
    session.save()
    before = session.session_key
    assert before is not None

    _login(client, "sam@example.test")

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert _registry_page(_with_cookie(before), registry.pk) == 302
    assert _registry_page(_with_cookie(after), registry.pk) == 200


def test_a_changed_password_ends_every_other_session():
    owner = make_user(email="sam@example.test", password=RIGHT)
    registry = make_registry(owner=owner)
    client = Client()
    _login(client, "sam@example.test")
    assert _registry_page(client, registry.pk) == 200

    owner.set_password("another-passphrase-29")
    owner.save()

    assert _registry_page(client, registry.pk) == 302
