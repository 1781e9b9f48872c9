"""Mail redirected to a quiet person's trusted delegate (sending/quiet_mode.py, docs/quiet-mode.md "Must-go
messages"): it says at the top, in neutral words, that it comes to the delegate on the person's behalf, and it
carries none of the links that would act for the person (pause, unsubscribe, preferences) or that only the
person can open (their notification centre, the code check)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from gratitude.accounts.models import QuietDelegate
from gratitude.accounts.services import quiet_mode_enable
from gratitude.gifts.services import gift_record
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.rendering.messages import build_email, render
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)

DELEGATE = "sam.trusted@example.test"
ON_BEHALF = (
    f"Sent to you, {DELEGATE}, on behalf of Jo Giver: they chose you to receive messages like this one "
    "for them. What follows is addressed to them."
)
# Links that act for the person, or that only the person can open.
# The code check is not among them: it answers anyone holding the code and the address a message came to,
# so the delegate checks a forwarded message with their own address.
PERSONS_LINKS = ("/pause/", "/unsubscribe/", "/accounts/emails/", "/mail/never/")


@pytest.fixture
def giver():
    # A giver with an account they can sign in to: their own mail points at their centre and the code check.
    return make_user(display_name="Jo Giver", password="a long and fine password 7")


def _receipt(giver) -> Notification:
    gift = gift_record(
        item=make_item(registry=make_registry()), giver_name="Jo", giver_email=giver.email, send_receipt=True
    )
    return Notification.objects.get(kind="gift_receipt", gift=gift)


def _trust(person) -> None:
    delegate = make_user(email=DELEGATE, display_name="Sam Trusted")
    QuietDelegate.objects.create(
        user=person,
        email=delegate.email,
        delegate=delegate,
        accepted_at=timezone.now(),
        receives_must_go=True,
    )


def _links(rendered_text: str) -> list[str]:
    return re.findall(r"https://\S+", rendered_text)


def test_the_persons_own_receipt_has_their_links_and_no_forwarding_line(giver):
    rendered = render([_receipt(giver)], KINDS["gift_receipt"])

    assert rendered.text.startswith("Hi Jo Giver,")
    assert "on behalf of" not in rendered.text and "on behalf of" not in rendered.html
    assert "Pause all messages about this registry" in rendered.text
    assert "notification centre" in rendered.text


def test_a_forwarded_message_says_so_first_in_text_and_html(giver):
    rendered = render([_receipt(giver)], KINDS["gift_receipt"], forwarded_to=DELEGATE)

    first, _, rest = rendered.text.partition("\n\n")
    assert first == ON_BEHALF
    assert rest.startswith("Hi Jo Giver,")  # the message itself is unchanged, still the person's
    html_text = " ".join(re.sub(r"<[^>]+>", " ", rendered.html).split())
    assert ON_BEHALF in html_text
    assert html_text.index(ON_BEHALF) < html_text.index("Hi Jo Giver,")


def test_a_forwarded_message_carries_none_of_the_persons_links(giver):
    rendered = render([_receipt(giver)], KINDS["gift_receipt"], forwarded_to=DELEGATE)

    assert "Pause all messages" not in rendered.text and "Pause all messages" not in rendered.html
    assert "notification centre" not in rendered.text and "notification centre" not in rendered.html
    for link in _links(rendered.text) + re.findall(r'href="([^"]+)"', rendered.html):
        assert not any(part in link for part in PERSONS_LINKS), link
        assert not link.endswith("/mail/"), link  # the person's notification centre


def test_a_forwarded_message_of_an_unsubscribable_kind_has_no_one_click_unsubscribe():
    """Today only receipts are forwarded; a kind added to the must-go list later must not hand a delegate's
    mail client a one-click unsubscribe that would act for the person."""
    owner = make_user(display_name="Jo Giver", password="a long and fine password 7")
    gift = gift_record(item=make_item(registry=make_registry(owner=owner)), giver_name="Robin")
    alert = Notification.objects.get(kind="gift_alert", gift=gift)
    kind = KINDS["gift_alert"]

    own = render([alert], kind)
    forwarded = render([alert], kind, forwarded_to=DELEGATE)

    assert own.unsubscribe_url and "List-Unsubscribe" in build_email(alert, kind, own).extra_headers
    assert forwarded.unsubscribe_url == ""
    headers = build_email(alert, kind, forwarded, to=DELEGATE).extra_headers
    assert "List-Unsubscribe" not in headers and "List-Unsubscribe-Post" not in headers
    assert "Unsubscribe" not in forwarded.text


def test_the_forwarding_line_is_neutral(giver):
    rendered = render([_receipt(giver)], KINDS["gift_receipt"], forwarded_to=DELEGATE)
    first = rendered.text.partition("\n\n")[0].lower()
    for word in ("sorry", "loss", "lost", "difficult", "condolence", "quiet mode", "pause", "break"):
        assert word not in first


def test_the_worker_forwards_a_receipt_to_the_delegate_with_the_line_and_without_the_links(
    giver, smtp_settings
):
    _trust(giver)
    quiet_mode_enable(user=giver)
    row = _receipt(giver)
    call_command("worker", drain=True, verbosity=0)

    row.refresh_from_db()
    assert (row.state, row.sent_to) == (NotificationState.SENT, DELEGATE)
    [message] = smtp_settings.to(DELEGATE)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith(ON_BEHALF)
    assert "Pause all messages" not in text and "List-Unsubscribe" not in message
    # What the centre keeps is what went out.
    assert row.body_text.startswith(ON_BEHALF)


def test_the_worker_does_not_mark_the_persons_own_mail_as_forwarded(giver, smtp_settings):
    """Quiet, with no delegate who chose to receive such mail: the receipt goes to the person, as theirs."""
    quiet_mode_enable(user=giver)
    _receipt(giver)
    call_command("worker", drain=True, verbosity=0)

    [message] = smtp_settings.to(giver.email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Hi Jo Giver,")
    assert "on behalf of" not in text
