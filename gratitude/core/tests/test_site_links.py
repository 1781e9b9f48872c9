"""base.html's header and footer links, reversed once per process (core/templatetags/site_links.py), are
the links `{% url %}` writes: on a logged-in page, on a guest's, and under a path prefix."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse, set_script_prefix

from gratitude.core.templatetags.site_links import site_links
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db

LOGGED_IN = [
    "home",
    "registries:search",
    "registries:list",
    "accounts:logout",
    "notifications:centre",
    "accounts:mail_preferences",
    "api:tokens",
    "accounts:name",
    "notifications:check",
]


def test_a_logged_in_page_carries_every_link_as_url_writes_it(client: Client):
    client.force_login(make_user())
    page = client.get(reverse("registries:list")).content.decode()
    for name in LOGGED_IN:
        assert f'"{reverse(name)}"' in page, name


def test_a_guests_page_links_to_login_and_sign_up():
    page = Client().get(reverse("registries:search")).content.decode()
    assert f'href="{reverse("accounts:login")}"' in page
    assert f'href="{reverse("accounts:signup")}"' in page


def test_under_a_path_prefix_the_links_carry_it():
    template = engines["django"].from_string(
        "{% load site_links %}{% site_links as l %}{{ l.accounts__login }}"
    )
    try:
        set_script_prefix("/gifts/")
        assert template.render({}) == "/gifts/accounts/login/" == reverse("accounts:login")
    finally:
        set_script_prefix("/")
    assert site_links()["accounts__login"] == "/accounts/login/"
