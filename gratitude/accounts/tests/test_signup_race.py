"""Sign-up cannot be blocked by someone else (docs/registries.md, "Signing up"): through the real pages and a
real SMTP server, the owner of an address signs up, a stranger then signs up with the same address, and the
owner still finishes with the first link, choosing the name and password; the stranger can neither log in
nor change them afterwards, and once the limit is reached the page says nothing was sent."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from gratitude.accounts.models import PendingSignup, User
from gratitude.accounts.services import SIGNUP_MAILS_PER_HOUR
from gratitude.testing.smtp import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "robin@example.test"
OWNERS_PASSWORD = "robins own long passphrase 31"
STRANGERS_PASSWORD = "strangers long passphrase 77"


def _sign_up(client: Client):
    return client.post(reverse("accounts:signup"), {"email": ADDRESS}, follow=True)


def _links(sink: SmtpSink) -> list[str]:
    """The confirmation link of every sign-up message that reached the address, oldest first."""
    call_command("worker", drain=True, verbosity=0)
    links = []
    for message in sink.to(ADDRESS):
        plain = message.get_body(preferencelist=("plain",))
        assert plain is not None
        found = re.search(r"https?://\S+/accounts/verify/\S+/", plain.get_content())
        assert found is not None, plain.get_content()
        links.append(urlsplit(found.group(0)).path)
    return links


def _logs_in(password: str) -> bool:
    client = Client()
    client.post(reverse("accounts:login"), {"username": ADDRESS, "password": password})
    return "_auth_user_id" in client.session


def test_a_second_signup_cannot_lock_out_the_owner_who_sets_the_password_with_the_link(smtp_settings):
    owner, stranger = Client(), Client()
    assert b"Check your email" in _sign_up(owner).content
    first_link = _links(smtp_settings)[0]
    # The stranger signs up with Robin's address afterwards: Robin just gets a second link.
    assert b"Check your email" in _sign_up(stranger).content
    assert len(_links(smtp_settings)) == 2

    opened = owner.get(first_link)
    assert opened.status_code == 200 and b"Finish signing up" in opened.content
    finished = owner.post(
        first_link, {"display_name": "Robin Park", "password": OWNERS_PASSWORD}, follow=True
    )

    assert finished.redirect_chain == [(reverse("home"), 302)]
    assert b"Hello, Robin Park" in finished.content
    robin = User.objects.get(email=ADDRESS)
    assert robin.check_password(OWNERS_PASSWORD) and robin.email_verified
    assert not PendingSignup.objects.exists()
    assert _logs_in(OWNERS_PASSWORD)
    assert not _logs_in(STRANGERS_PASSWORD)

    # Every sign-up before it is void: the second link sets nothing, even in the owner's own hands.
    second_link = _links(smtp_settings)[1]
    again = Client().post(second_link, {"display_name": "Mallory", "password": STRANGERS_PASSWORD})
    assert again.status_code == 400
    robin.refresh_from_db()
    assert robin.check_password(OWNERS_PASSWORD) and robin.display_name == "Robin Park"


def test_past_the_limit_the_page_says_no_message_was_sent_and_none_is(smtp_settings):
    for _ in range(SIGNUP_MAILS_PER_HOUR):
        assert b"Check your email" in _sign_up(Client()).content

    capped = _sign_up(Client())

    text = capped.content.decode()
    assert "We sent no new message" in text and f"We did not send a message to {ADDRESS}" in text
    assert "We sent a message" not in text
    assert len(_links(smtp_settings)) == SIGNUP_MAILS_PER_HOUR


def test_an_unconfirmed_address_at_its_cap_of_mail_gets_no_signup_message_and_the_page_says_so(smtp_settings):
    """The cap on mail to an address nobody confirmed would refuse the link at send time, so the page must
    not say "we sent": after three receipts today, a sign-up sends nothing and says so."""
    from gratitude.testing.factories import make_gift

    for _ in range(3):
        make_gift(giver_email=ADDRESS, send_receipt=True)
    call_command("worker", drain=True, verbosity=0)
    assert len(smtp_settings.to(ADDRESS)) == 3

    page = _sign_up(Client())

    assert b"We sent no new message" in page.content and b"Check your email" not in page.content
    call_command("worker", drain=True, verbosity=0)
    assert len(smtp_settings.to(ADDRESS)) == 3
