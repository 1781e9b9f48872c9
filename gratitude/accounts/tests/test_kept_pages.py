"""The login and sign-up pages kept for plain guests (core/guest_pages.py): the same page as a rendered one,
each visitor with their own working CSRF token and cookie, the same headers, and anyone with a session,
messages or a query string rendered afresh."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from gratitude.core.guest_pages import CSRF_PLACEHOLDER
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db

FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
HX_TOKEN = re.compile(r'"X-CSRFToken": "([A-Za-z0-9]+)"')


def _tokens(page: str) -> set[str]:
    return set(FORM_TOKEN.findall(page)) | set(HX_TOKEN.findall(page))


@pytest.mark.parametrize("name", ["accounts:login", "accounts:signup"])
def test_each_plain_guest_gets_the_same_page_with_their_own_token(name):
    pages = [Client().get(reverse(name)) for _ in range(3)]
    texts = [page.content.decode() for page in pages]
    assert all(page.status_code == 200 for page in pages)
    assert all("csrftoken" in page.cookies for page in pages)
    assert all(str(CSRF_PLACEHOLDER) not in text for text in texts)
    tokens = [_tokens(text) for text in texts]
    assert all(len(found) == 1 for found in tokens)  # the form's and htmx's: one token, as when rendered
    assert len(set.union(*tokens)) == 3
    shapes = {FORM_TOKEN.sub("", HX_TOKEN.sub("", text)) for text in texts}
    assert len(shapes) == 1


def test_a_kept_login_page_still_says_not_to_store_it():
    for _ in range(3):
        response = Client().get(reverse("accounts:login"))
        assert "no-store" in response["Cache-Control"]


def test_the_token_on_a_kept_login_page_logs_in():
    make_user(email="robin@example.test", password="a long pass phrase 1729")
    Client().get(reverse("accounts:login"))  # kept now
    browser = Client(enforce_csrf_checks=True)
    found = FORM_TOKEN.search(browser.get(reverse("accounts:login")).content.decode())
    assert found is not None
    token = found.group(1)
    response = browser.post(
        reverse("accounts:login"),
        {
            "username": "robin@example.test",
            "password": "a long pass phrase 1729",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302


def test_a_query_string_or_waiting_messages_are_rendered_afresh():
    Client().get(reverse("accounts:login"))
    page = Client().get(reverse("accounts:login") + "?next=/registries/").content.decode()
    assert 'name="next" value="/registries/"' in page
    browser = Client()
    storage = CookieStorage(HttpRequest())
    storage.add(constants.INFO, "You are logged out.")
    browser.cookies["messages"] = storage._encode(storage._queued_messages)  # type: ignore[attr-defined]
    assert "You are logged out." in browser.get(reverse("accounts:login")).content.decode()


def test_a_logged_in_person_is_sent_on_not_shown_a_kept_page(client):
    Client().get(reverse("accounts:signup"))
    client.force_login(make_user())
    assert client.get(reverse("accounts:signup")).status_code == 302
    assert client.get(reverse("accounts:login")).status_code == 302
