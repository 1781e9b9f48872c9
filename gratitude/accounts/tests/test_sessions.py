"""Sessions are read from the shared cache and written to the database with it (cached_db,
config/settings/security.py), and every way a session ends still ends it at once for every process: a copy
of the cookie taken before logout, before login (the key is renewed) or before a password change opens
nothing afterwards. A session whose cache entry was lost is read back from the database."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
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


def test_sessions_use_the_shared_cache_in_front_of_the_database_here():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


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


def test_a_session_the_cache_lost_is_read_back_from_the_database():
    owner = make_user(email="sam@example.test", password=RIGHT)
    registry = make_registry(owner=owner)
    client = Client()
    _login(client, "sam@example.test")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    cache.delete(f"django.contrib.sessions.cached_db{key}")

    assert _registry_page(client, registry.pk) == 200
    assert Session.objects.filter(session_key=key).exists()
