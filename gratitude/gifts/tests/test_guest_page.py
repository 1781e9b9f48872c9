"""The share page kept whole for plain guests (gifts/guest_page.py): served without a query once kept, each
visitor with their own working CSRF token, every write on the very next request, and never to anyone whose
page differs (a session: a registrant keeping the surprise, a giver with holds).

Every test runs twice: guests read pages through Django's test handler (the full application), and through
config/wsgi.py's entry point as gunicorn calls it, where a kept page is served on its short path
(core/guest_wsgi.py)."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gratitude.accounts.services import quiet_mode_enable
from gratitude.core.guest_pages import CSRF_PLACEHOLDER
from gratitude.gifts.models import Reservation
from gratitude.gifts.services import reservation_create
from gratitude.registries.services.items import item_archive, item_update
from gratitude.registries.services.lifecycle import registry_archive
from gratitude.registries.services.pause import registry_pause
from gratitude.registries.services.registries import registry_share_link_reset, registry_update
from gratitude.testing.entry_client import EntryClient
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

Guest: type[Client] = Client  # the client every guest below reads with; the fixture sets it per run
FULL_APP_CALLS: list[str] = []  # through the entry point: the requests the short path handed to the full app


@pytest.fixture(autouse=True, params=["full application", "config.wsgi entry point"])
def _guests_through(request, monkeypatch):
    if request.param == "full application":
        monkeypatch.setattr(sys.modules[__name__], "Guest", Client)
        return
    from config.wsgi import guest_application

    fallback = guest_application.fallback

    def counted(environ, start_response):
        FULL_APP_CALLS.append(environ["PATH_INFO"])
        return fallback(environ, start_response)

    monkeypatch.setattr(sys.modules[__name__], "Guest", EntryClient)
    monkeypatch.setattr(guest_application, "fallback", counted)
    FULL_APP_CALLS.clear()


TOKEN = re.compile(r'"X-CSRFToken": "([A-Za-z0-9]+)"')


@pytest.fixture
def listed():
    owner = make_user(display_name="Robin")
    registry = make_registry(owner=owner, title="Housewarming", occasion="wedding")
    item = make_item(registry=registry, title="Napkins", quantity=4)
    return owner, registry, item


def _url(registry) -> str:
    return reverse("gifts:shared_registry", args=[registry.share_key])


def _kept(registry) -> str:
    """Make the page kept, then prove the next plain guest is served it without a query."""
    for _ in range(2):  # the first request of a process learns the link's registry; the second keeps
        assert Guest().get(_url(registry)).status_code == 200
    full_app_calls = len(FULL_APP_CALLS)
    with CaptureQueriesContext(connection) as queries:
        page = Guest().get(_url(registry)).content.decode()
    assert len(queries) == 0, [q["sql"] for q in queries]
    # Through the entry point, the kept page is served on the short path, not by the full application.
    assert len(FULL_APP_CALLS) == full_app_calls
    return page


def _guest_sees(registry) -> str:
    response = Guest().get(_url(registry))
    return f"{response.status_code} {response.content.decode()}"


def _without_token(page: str) -> str:
    return TOKEN.sub("", page)


def test_plain_guests_get_the_kept_page_each_with_their_own_working_token(listed):
    _, registry, item = listed
    page = _kept(registry)
    assert "4 of 4" in page
    assert str(CSRF_PLACEHOLDER) not in page
    tokens = set()
    for _ in range(2):
        guest = Guest(enforce_csrf_checks=True)
        response = guest.get(_url(registry))
        assert "csrftoken" in response.cookies  # a new visitor gets the cookie, as a rendered page gives it
        found = TOKEN.search(response.content.decode())
        assert found is not None
        token = found.group(1)
        tokens.add(token)
        # The token on the kept page is this visitor's: a post with it passes the CSRF check.
        posted = guest.post(
            reverse("gifts:reserve", args=[registry.share_key, item.pk]),
            {"giver_name": "Sam", "quantity": 1},
            HTTP_X_CSRFTOKEN=token,
        )
        assert posted.status_code == 302
    assert len(tokens) == 2


def _rename(owner) -> None:
    owner.display_name = "Robin Okafor"
    owner.save()


WRITES: dict[str, Callable] = {
    "gift": lambda owner, registry, item: make_gift(item=item, quantity=1),
    "hold": lambda owner, registry, item: reservation_create(item=item, giver_name="Sam", quantity=1),
    "item edit": lambda owner, registry, item: item_update(item=item, title="Linen", quantity=4, price=None),
    "item archived": lambda owner, registry, item: item_archive(item=item),
    "new item": lambda owner, registry, item: make_item(registry=registry, title="Teapot", quantity=1),
    "title": lambda owner, registry, item: registry_update(
        registry=registry,
        by=owner,
        title="New home",
        occasion=registry.occasion,
        event_date=registry.event_date,
        visibility=registry.visibility,
        surprise=registry.surprise,
    ),
    "name": lambda owner, registry, item: _rename(owner),
    "archive": lambda owner, registry, item: registry_archive(registry=registry, by=owner),
    "pause": lambda owner, registry, item: registry_pause(registry=registry, by=owner),
    "quiet mode": lambda owner, registry, item: quiet_mode_enable(user=owner),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_is_on_the_next_request_after_the_page_was_kept(listed, write):
    owner, registry, item = listed
    before = _kept(registry)
    WRITES[write](owner, registry, item)
    after = _guest_sees(registry)
    assert after.startswith("200")
    assert _without_token(after[4:]) != _without_token(before)


def test_a_reset_link_and_a_private_registry_close_a_kept_page(listed):
    owner, registry, _ = listed
    old_url = _url(registry)
    _kept(registry)
    registry = registry_share_link_reset(registry=registry)
    assert Guest().get(old_url).status_code == 404
    _kept(registry)
    registry_update(
        registry=registry,
        by=owner,
        title=registry.title,
        occasion=registry.occasion,
        event_date=registry.event_date,
        visibility="private",
        surprise=registry.surprise,
    )
    assert _guest_sees(registry).startswith("404")


def test_a_kept_page_ends_when_a_hold_lapses_by_itself(listed):
    _, registry, item = listed
    hold = reservation_create(item=item, giver_name="Sam", quantity=2)
    Reservation.objects.filter(pk=hold.pk).update(expires_at=timezone.now() + timedelta(seconds=2.5))
    assert "2 of 4" in _kept(registry)
    time.sleep(2.7)
    assert "4 of 4" in _guest_sees(registry)


def test_a_registrant_keeping_the_surprise_is_never_served_the_kept_page(listed, client):
    owner, registry, item = listed
    make_gift(item=item, quantity=1)
    registry_update(
        registry=registry,
        by=owner,
        title=registry.title,
        occasion=registry.occasion,
        event_date=registry.event_date,
        visibility=registry.visibility,
        surprise="covered_only",
    )
    assert "3 of 4" in _kept(registry)  # guests see what is still wanted
    client.force_login(owner)
    page = client.get(_url(registry)).content.decode()
    assert "Napkins" in page
    assert "3 of 4" not in page


def test_a_giver_with_a_hold_sees_it_on_a_kept_page(listed):
    _, registry, item = listed
    _kept(registry)
    giver = Guest()
    giver.post(
        reverse("gifts:reserve", args=[registry.share_key, item.pk]), {"giver_name": "Sam", "quantity": 1}
    )
    assert "You reserved this" in giver.get(_url(registry)).content.decode()
    assert "You reserved this" not in _guest_sees(registry)


def test_a_query_string_is_rendered_not_kept(listed, settings):
    _, registry, _ = listed
    _kept(registry)
    with CaptureQueriesContext(connection) as queries:
        page = Guest().get(_url(registry) + "?from=mail").content.decode()
    assert len(queries) > 0
    # The link preview names the page's own address at SITE_URL, without what the query string added.
    assert "?from=mail" not in page
    assert f'<meta property="og:url" content="{settings.SITE_URL}{_url(registry)}">' in page


def test_text_typed_like_the_placeholder_is_shown_escaped_not_replaced(listed):
    owner, registry, _ = listed
    typed = str(CSRF_PLACEHOLDER)
    registry_update(
        registry=registry,
        by=owner,
        title=typed,
        occasion=registry.occasion,
        event_date=registry.event_date,
        visibility=registry.visibility,
        surprise=registry.surprise,
    )
    page = _kept(registry)
    assert "&lt;csrf-token-of-this-visitor&gt;" in page


def test_a_write_made_by_another_process_is_on_the_next_request_although_this_process_kept_the_page(listed):
    # This process keeps the pages it served last and asks the shared cache only for the version; a write made
    # in another process (a worker, another web worker) reaches it only through that version. Here the row is
    # changed with no signal this process sees, then the version is bumped as the other process would.
    from gratitude.gifts import guest_page
    from gratitude.registries.models import Item
    from gratitude.registries.versions import registry_version_bump

    _, registry, item = listed
    assert "Napkins" in _kept(registry)
    assert any(key.startswith(f"share-guest-page:{registry.pk}:") for key in guest_page._in_process)
    Item.objects.filter(pk=item.pk).update(title="Tea towels")  # update(): no post_save, no bump here

    assert "Napkins" in _guest_sees(registry)  # nothing said the page changed: the kept one is still right
    registry_version_bump(registry.pk)  # what the other process's write does after its commit

    page = _guest_sees(registry)
    assert "Tea towels" in page
    assert "Napkins" not in page


def test_the_hosts_spellings_share_one_kept_page_that_names_the_site_by_site_url(listed, settings):
    # Django accepts a Host in any case, with a trailing dot or a port; were the page kept under the Host a
    # request brought, a stranger could make us keep one copy per spelling. It is kept once, by path, and
    # names the site by SITE_URL.
    from django.core.cache import cache

    from gratitude.gifts import guest_page

    _, registry, _ = listed
    _kept(registry)
    mine = f"share-guest-page:{registry.pk}:"  # this registry's pages in this process (ids are reused)
    keys_before = {k for k in guest_page._in_process if k.startswith(mine) and registry.share_key in k}
    for host in ("TESTSERVER", "testserver.", "testserver:0001", "testserver:8443", "localhost"):
        with CaptureQueriesContext(connection) as queries:
            response = Guest(HTTP_HOST=host).get(_url(registry))
        assert response.status_code == 200, host
        assert len(queries) == 0, host  # the one kept page, not a new render
        page = response.content.decode()
        assert f'<meta property="og:url" content="{settings.SITE_URL}{_url(registry)}">' in page
        assert host not in page

    keys_after = {k for k in guest_page._in_process if k.startswith(mine) and registry.share_key in k}
    assert keys_after == keys_before == {f"share-guest-page:{registry.pk}:{_url(registry)}"}
    assert cache.get(f"share-guest-page:{registry.pk}:{_url(registry)}") is not None
