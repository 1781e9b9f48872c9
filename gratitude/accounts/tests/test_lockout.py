"""The login lockout locks: after GRATITUDE_LOGIN_FAILURE_LIMIT failures for one (address, client address),
even the right password is refused for the cool-off, on a kind page; other addresses and other clients are
not caught by it. Counted in the shared cache (Redis here)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db

RIGHT = "the-right-passphrase-17"


def _login(client: Client, email: str, password: str, ip: str = "198.51.100.7"):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def _fail(client: Client, email: str, times: int, ip: str = "198.51.100.7") -> list[int]:
    return [_login(client, email, "wrong-guess", ip).status_code for _ in range(times)]


def test_the_right_password_is_refused_after_the_failure_limit(settings):
    make_user(email="sam@example.test", password=RIGHT)
    client = Client()
    statuses = _fail(client, "sam@example.test", settings.AXES_FAILURE_LIMIT)
    assert statuses[-1] == 429
    response = _login(client, "sam@example.test", RIGHT)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Too many failed attempts" in page
    assert "reset your password" in page


def test_an_address_typed_differently_shares_one_count(settings):
    make_user(email="sam@example.test", password=RIGHT)
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, " SAM@example.test" if n % 2 else "sam@EXAMPLE.test", "wrong-guess")
    assert _login(client, "sam@example.test", RIGHT).status_code == 429


def test_below_the_limit_the_right_password_still_logs_in(settings):
    make_user(email="sam@example.test", password=RIGHT)
    client = Client()
    _fail(client, "sam@example.test", settings.AXES_FAILURE_LIMIT - 1)
    assert _login(client, "sam@example.test", RIGHT).status_code == 302
    assert client.session["_auth_user_id"]


def test_the_lockout_is_per_address_and_client(settings):
    make_user(email="sam@example.test", password=RIGHT)
    make_user(email="alex@example.test", password=RIGHT)
    _fail(Client(), "sam@example.test", settings.AXES_FAILURE_LIMIT)
    # Another address from the same client, and the same address from another client, still log in.
    assert _login(Client(), "alex@example.test", RIGHT).status_code == 302
    assert _login(Client(), "sam@example.test", RIGHT, ip="203.0.113.9").status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(settings):
    """Behind one proxy REMOTE_ADDR is the proxy for everyone: the count follows X-Forwarded-For's entry
    our proxy wrote, and a client-typed entry to its left does not buy a fresh count."""
    settings.GRATITUDE_TRUSTED_PROXIES = 1
    make_user(email="sam@example.test", password=RIGHT)
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"),
            {"username": "sam@example.test", "password": "wrong-guess"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7",
        )
    locked = client.post(
        reverse("accounts:login"),
        {"username": "sam@example.test", "password": RIGHT},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert locked.status_code == 429
    other_visitor = Client().post(
        reverse("accounts:login"),
        {"username": "sam@example.test", "password": RIGHT},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert other_visitor.status_code == 302
