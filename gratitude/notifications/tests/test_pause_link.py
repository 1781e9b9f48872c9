"""The footer's "Pause all messages about this registry" (quiet mode, docs/safety.md promise 9): every message
about a registry carries a signed link bound to its recipient and that registry; its page works without
signing in, GET changes nothing, one POST (with CSRF) pauses. A member pauses the registry; anyone else (a
giver) stops mail about that registry to themselves only. One button undoes either."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.gifts.services import gift_record
from gratitude.notifications.devtools.samples import sample_rows
from gratitude.notifications.models import Notification, Unsubscribe
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.rendering.bait_checks import scan_html, text_links
from gratitude.notifications.rendering.messages import render
from gratitude.notifications.sending.occasion_opt_outs import opted_out
from gratitude.notifications.web.pause_link import (
    MAX_AGE,
    make_token,
    pause_url,
    read_token,
)
from gratitude.registries.models import Registry
from gratitude.registries.pause_targets import pause_target_for
from gratitude.registries.services.members import registry_member_add, registry_member_remove
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

FOOTER_WORDS = "Pause all messages about this registry"


def _path(user, registry) -> str:
    return urlsplit(pause_url(user=user, registry=registry)).path


def _csrf(response) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert match, "the page has no CSRF-protected form"
    return match.group(1).decode()


def _press(client: Client, path: str, action: str):
    """What a person does: open the page, press its one button (a POST carrying the page's CSRF token)."""
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, {"action": action, "csrfmiddlewaretoken": _csrf(page)})


# --- The footer -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_message_about_a_registry_carries_the_pause_link_and_no_other_does(kind):
    with sample_rows(kind) as (declared, rows):
        rendered = render(rows, declared)
        lead = rows[0]
        links = set(text_links(rendered.text)) | set(scan_html(rendered.html).links)
        pause_links = {link for link in links if "/registries/pause/" in link}
        if lead.registry is None:
            assert FOOTER_WORDS not in rendered.text
            assert not pause_links
            return
        expected = pause_url(user=lead.recipient, registry=lead.registry)
        assert f"{FOOTER_WORDS}: {expected}" in rendered.text
        assert f'<a href="{expected}"' in rendered.html and FOOTER_WORDS in rendered.html
        assert pause_links == {expected}
        target = pause_target_for(token=urlsplit(expected).path.rsplit("/", 2)[-2])
        assert target is not None
        assert (target.person, target.registry) == (lead.recipient, lead.registry)


# --- The token --------------------------------------------------------------------------------------------


def test_the_token_binds_recipient_and_registry_and_refuses_alterations():
    person, registry = make_user(), make_registry()
    token = make_token(user=person, registry=registry)
    claim = read_token(token)
    assert claim is not None and (claim.user_id, claim.registry_id) == (person.pk, registry.pk)

    assert read_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert read_token("") is None
    # Another purpose's signature (the unsubscribe salt) opens nothing here.
    assert read_token(signing.dumps({"u": person.pk, "r": registry.pk}, salt="other")) is None
    assert (
        read_token(signing.dumps({"u": True, "r": registry.pk}, salt="gratitude.notifications.pause_link"))
        is None
    )
    assert Client().get(_path(person, registry).replace(token[-6:], "xxxxxx")).status_code == 400


def test_a_link_lasts_two_years_then_says_so_kindly():
    person, registry = make_user(), make_registry()
    path = _path(person, registry)
    with time_machine.travel(timezone.now() + MAX_AGE - timedelta(days=1)):
        assert Client().get(path).status_code == 200
    with time_machine.travel(timezone.now() + MAX_AGE + timedelta(days=1)):
        response = Client().get(path)
    assert response.status_code == 410
    assert b"more than two years old" in response.content


def test_a_link_to_a_deleted_registry_or_person_is_refused():
    person, registry = make_user(), make_registry()
    path = _path(person, registry)
    Registry.objects.filter(pk=registry.pk).delete()
    assert Client().get(path).status_code == 400


# --- The page: a member pauses the registry -----------------------------------------------------------


def test_get_changes_nothing_and_shows_one_button_without_signing_in():
    owner = make_user()
    registry = make_registry(owner=owner, title="Alex & Sam's <b>wedding</b>")

    response = Client().get(_path(owner, registry))

    assert response.status_code == 200
    assert response.content.count(b"<button") == 1
    assert b"Pause all messages" in response.content
    assert b"Alex &amp; Sam&#x27;s &lt;b&gt;wedding&lt;/b&gt;" in response.content
    registry.refresh_from_db()
    assert registry.paused_at is None
    assert not Unsubscribe.objects.exists()


def test_the_post_needs_the_pages_csrf_token():
    owner = make_user()
    registry = make_registry(owner=owner)
    client = Client(enforce_csrf_checks=True)

    assert client.post(_path(owner, registry), {"action": "pause"}).status_code == 403
    registry.refresh_from_db()
    assert registry.paused_at is None


def test_a_member_pauses_the_registry_in_one_press_and_resumes_in_one_more():
    owner = make_user()
    co = make_user()
    registry = make_registry(owner=owner, title="Our wedding")
    registry_member_add(registry=registry, user=co)
    client = Client(enforce_csrf_checks=True)
    path = _path(co, registry)

    response = _press(client, path, "pause")

    assert (response.status_code, response["Location"]) == (302, path)
    registry.refresh_from_db()
    assert registry.paused_at is not None and registry.paused_by == co
    done = client.get(path)
    assert b"Messages are paused" in done.content
    for unkind in (b"sorry", b"are you sure", b"loss", b"condolence", b"survey"):
        assert unkind not in done.content.lower()
    # Signed out, the page says how to resume, and offers no button that would.
    assert b'data-testid="resume-needs-login"' in done.content
    assert b"Resume messages" not in done.content

    client.force_login(co)
    signed_in = client.get(path)
    assert b"Resume messages" in signed_in.content and signed_in.content.count(b"<button") == 2  # + log out
    client.post(path, {"action": "resume", "csrfmiddlewaretoken": _csrf(signed_in)})
    registry.refresh_from_db()
    assert registry.paused_at is None


@pytest.mark.parametrize("who", ["nobody", "someone_else"])
def test_resuming_from_the_link_needs_the_member_signed_in_as_themselves(who):
    """The link pauses without signing in; whoever holds it (a forwarded message, a shared inbox) cannot
    switch the registry's messages back on: the resume goes to the login page and changes nothing."""
    owner = make_user()
    registry = make_registry(owner=owner)
    path = _path(owner, registry)
    client = Client()
    _press(client, path, "pause")
    if who == "someone_else":
        client.force_login(make_user())

    response = client.post(path, {"action": "resume"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    registry.refresh_from_db()
    assert registry.paused_at is not None


def test_an_unknown_action_changes_nothing():
    owner = make_user()
    registry = make_registry(owner=owner)
    assert Client().post(_path(owner, registry), {"action": "delete"}).status_code == 400
    registry.refresh_from_db()
    assert registry.paused_at is None


# --- The page: anyone else mutes the registry for themselves ---------------------------------------------


def test_a_giver_stops_mail_about_that_registry_to_themselves_only():
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry)
    gift_record(item=item, giver_name="Robin", giver_email="robin@example.test", send_receipt=True)
    receipt = Notification.objects.get(kind="gift_receipt")
    giver = receipt.recipient
    path = _path(giver, registry)
    client = Client(enforce_csrf_checks=True)

    page = client.get(path)
    assert b"gets no more messages about this registry" in page.content
    _press(client, path, "pause")

    registry.refresh_from_db()
    assert registry.paused_at is None, "a giver cannot pause someone else's registry"
    assert opted_out(receipt, KINDS["gift_receipt"]) == "registry_muted"
    later = make_gift(item=item)
    alert = Notification.objects.get(kind="gift_alert", gift=later)
    assert opted_out(alert, KINDS["gift_alert"]) is None
    assert b"Messages are paused" in client.get(path).content

    _press(client, path, "resume")
    assert opted_out(receipt, KINDS["gift_receipt"]) is None


def test_someone_who_left_the_registry_mutes_rather_than_pauses():
    owner, left = make_user(), make_user()
    registry = make_registry(owner=owner)
    member = registry_member_add(registry=registry, user=left)
    path = _path(left, registry)
    registry_member_remove(member=member, by=left)

    _press(Client(), path, "pause")

    registry.refresh_from_db()
    assert registry.paused_at is None
    assert Unsubscribe.objects.filter(user=left, category=f"registry:{registry.pk}").exists()
