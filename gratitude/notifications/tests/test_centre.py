"""The notification centre and "Is this email from us?" (docs/safety.md promise 13): the reference code in a
message is found by the person it was sent to, and reads "not found" the same way for everyone else."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from gratitude.notifications.models import Notification, NotificationState
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)

CHECK = reverse("notifications:check")


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def sent():
    """Two gift alerts delivered to Alex by the worker; Sam is another registrant's owner."""
    alex = make_user(display_name="Alex")
    registry = make_registry(owner=alex, title="Alex's birthday")
    first = make_gift(item=make_item(registry=registry, title="Teapot"), giver_name="Robin")
    call_command("worker", drain=True, verbosity=0)
    second = make_gift(item=make_item(registry=registry, title="Kettle"), giver_name="Kim")
    call_command("worker", drain=True, verbosity=0)
    rows = [Notification.objects.get(gift=gift, recipient=alex) for gift in (first, second)]
    assert [row.state for row in rows] == [NotificationState.SENT, NotificationState.SENT]
    return alex, rows


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _check(client: Client, code: str):
    return client.post(CHECK, {"code": code})


def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', b"", content)


def test_the_centre_shows_sent_mail_as_rows_never_as_flash_banners(sent):
    """The list of sent mail is not Django's messages: no notification shows as a status banner."""
    alex, rows = sent
    client = _client(alex)

    page = client.get(reverse("notifications:centre")).content.decode()

    assert page.count('data-testid="centre-row"') == len(rows)
    assert 'role="status"' not in page


def test_the_centre_lists_what_was_sent_newest_first_with_the_same_code_and_content(sent):
    alex, (older, newer) = sent
    response = _client(alex).get(reverse("notifications:centre"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(newer.reference) < page.index(older.reference)
    # The code printed in the mail is the code listed here, and the content is what went out.
    by_reference = {m.extra_headers["X-Gratitude-Reference"]: m for m in mail.outbox}
    for row in (older, newer):
        message = by_reference[row.reference]
        assert row.reference in message.body
        assert row.body_text == message.body
        assert isinstance(message, EmailMultiAlternatives)
        assert row.body_html == message.alternatives[0][0]
        detail = _client(alex).get(reverse("notifications:centre_message", args=[row.reference]))
        assert detail.status_code == 200
        assert row.reference.encode() in detail.content
        assert b"Hi Alex," in detail.content
        assert b"sandbox" in detail.content


def test_another_person_and_anonymous_visitors_cannot_open_a_message(sent):
    _, (row, _) = sent
    sam = make_user()
    detail = reverse("notifications:centre_message", args=[row.reference])

    assert _client(sam).get(detail).status_code == 404
    assert row.reference.encode() not in _client(sam).get(reverse("notifications:centre")).content
    assert _client().get(detail).status_code == 302  # to the login page


def test_the_check_finds_a_code_only_for_its_recipient(sent):
    alex, (row, _) = sent
    found = _check(_client(alex), f"  {row.reference.lower()[:5]}-{row.reference.lower()[5:]} ")
    assert found.status_code == 200
    assert b"Yes: we sent you this email" in found.content


def test_not_found_reads_the_same_for_every_other_case(sent):
    alex, (row, _) = sent
    sam = make_user()
    unsent = Notification.objects.filter(recipient=alex).exclude(state=NotificationState.SENT).first()
    never = "23456789AB" if row.reference != "23456789AB" else "3456789ABC"

    answers = [
        _check(_client(sam), row.reference),  # sent, but to someone else
        _check(_client(), row.reference),  # anonymous
        _check(_client(alex), never),  # never existed
        _check(_client(alex), "not a code"),  # malformed
    ]
    if unsent is not None:
        answers.append(_check(_client(alex), unsent.reference))

    assert {a.status_code for a in answers} == {200}
    signed_in = {_without_csrf(a.content) for a in answers if a.wsgi_request.user.is_authenticated}
    assert len(signed_in) == 1
    assert b"We find no email with this code sent to this address" in signed_in.pop()
    assert b"We find no email with this code sent to this address" in answers[1].content


def test_checks_are_rate_limited(settings, sent):
    alex, (row, _) = sent
    settings.GRATITUDE_REFERENCE_CHECKS_PER_HOUR = 3
    client = _client(alex)
    statuses = [_check(client, "23456789AB").status_code for _ in range(3)]
    statuses.append(_check(client, row.reference).status_code)

    assert statuses == [200, 200, 200, 429]
    # Anonymous visitors are counted per address.
    anonymous = _client()
    assert [_check(anonymous, "23456789AB").status_code for _ in range(4)] == [200, 200, 200, 429]
