"""One-click unsubscribe (RFC 8058, docs/safety.md promise 14) and the per-category preferences page: GET
never changes state, POST works without cookies and twice is one unsubscribe, an altered token is refused, and
the send-time guard stops the category while the person's own requests still come."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from gratitude.accounts.services import password_reset_request
from gratitude.notifications.devtools.samples import preview
from gratitude.notifications.models import Notification, NotificationState, Unsubscribe
from gratitude.notifications.outbox.kinds import KINDS, Category
from gratitude.notifications.sending.suppression import category_unsubscribe
from gratitude.notifications.web.unsubscribe import make_token, read_token, unsubscribe_url
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


def _path(user, category="event") -> str:
    return urlsplit(unsubscribe_url(user=user, category=category)).path


def _one_click(path: str):
    """What a mail client does: a cookie-less POST with the RFC 8058 body, CSRF checks on."""
    return Client(enforce_csrf_checks=True).post(
        path, data=ONE_CLICK_BODY, content_type="application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_non_transactional_kinds_carry_both_headers_unfolded(kind):
    raw = preview(kind).raw
    if not KINDS[kind].unsubscribable:
        assert b"List-Unsubscribe" not in raw
        return
    line = re.search(rb"\r\nList-Unsubscribe: (.*)\r\n(?P<next>.)", raw)
    assert line is not None
    # One line: the next line starts a new header, not a continuation (a folded one broke DKIM at Gmail).
    assert line["next"] not in (b" ", b"\t")
    assert re.fullmatch(rb"<https?://[^\s<>,;]+/mail/unsubscribe/[^\s<>,;/]+/>", line.group(1))
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def test_the_token_binds_person_and_category_and_refuses_alterations():
    user = make_user()
    token = make_token(user=user, category="event")
    claim = read_token(token)
    assert claim is not None and (claim.user_id, claim.category) == (user.pk, "event")

    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_payload = make_token(user=user, category="reminder").split(":")[0] + ":" + token.split(":")[1]
    for bad in (flipped, other_payload, token + "x", "", "not-a-token", token.replace(":", "")):
        assert read_token(bad) is None, bad
    with pytest.raises(ValueError, match="cannot be unsubscribed"):
        make_token(user=user, category=Category.TRANSACTIONAL)


def test_get_only_shows_a_confirmation_and_changes_nothing():
    user = make_user(display_name="Alex")
    path = _path(user)
    for method in ("get", "head"):
        response = getattr(Client(), method)(path)
        assert response.status_code == 200
    response = Client().get(path)
    assert b"Unsubscribe from gift alerts" in response.content
    assert Unsubscribe.objects.count() == 0


def test_post_works_without_cookies_never_redirects_and_twice_is_one_unsubscribe():
    user = make_user()
    path = _path(user)

    first = _one_click(path)
    second = _one_click(path)

    assert (first.status_code, second.status_code) == (200, 200)
    assert not first.has_header("Location") and not second.has_header("Location")
    assert list(Unsubscribe.objects.values_list("user_id", "category", "source")) == [
        (user.pk, "event", "one_click")
    ]


def test_the_confirmation_pages_button_unsubscribes_too():
    user = make_user()
    response = Client(enforce_csrf_checks=True).post(
        _path(user, "reminder"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert Unsubscribe.objects.filter(user=user, category="reminder").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_altered_token_is_refused_with_a_4xx(method):
    user = make_user()
    path = _path(user)
    token = path.rstrip("/").rsplit("/", 1)[1]
    altered = path.replace(token, token[:-2] + ("xy" if not token.endswith("xy") else "zz"))

    response = _one_click(altered) if method == "post" else Client().get(altered)

    assert 400 <= response.status_code < 500
    assert Unsubscribe.objects.count() == 0


def test_a_token_for_a_deleted_person_is_refused():
    user = make_user()
    path = _path(user)
    user.delete()
    assert _one_click(path).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_guard_suppresses_an_unsubscribed_category_at_send_time(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = make_user()
    registry = make_registry(owner=owner)
    gift = make_gift(item=make_item(registry=registry))
    # Queued first, unsubscribed after: the guard looks at the world as it is when sending.
    assert _one_click(_path(owner)).status_code == 200

    call_command("worker", drain=True, verbosity=0)

    row = Notification.objects.get(gift=gift, recipient=owner)
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "unsubscribed: event")
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_transactional_mail_still_comes_after_unsubscribing_from_everything(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = make_user()
    user.set_password("a long enough passphrase 1")
    user.save()
    for category in ("event", "reminder", "marketing"):
        category_unsubscribe(user=user, category=category, source="preferences")
    with transaction.atomic():
        password_reset_request(email=user.email)

    call_command("worker", drain=True, verbosity=0)

    assert Notification.objects.get(recipient=user, kind="password_reset").state == NotificationState.SENT
    assert len(mail.outbox) == 1
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers


def test_the_preferences_page_stops_and_resumes_a_category(client):
    user = make_user()
    page = reverse("accounts:mail_preferences")
    assert client.get(page).status_code == 302  # signed-in only

    client.force_login(user)
    response = client.get(page)
    assert response.status_code == 200
    for label in (b"Gift alerts and registry news", b"Reminders", b"News from this site"):
        assert label in response.content

    client.post(page, {"category": "reminder", "action": "stop"})
    assert list(Unsubscribe.objects.values_list("category", "source")) == [("reminder", "preferences")]
    assert b"Get these again" in client.get(page).content
    client.post(page, {"category": "reminder", "action": "resume"})
    assert Unsubscribe.objects.count() == 0
    assert client.post(page, {"category": "transactional", "action": "stop"}).status_code == 400
