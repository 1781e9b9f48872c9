"""Mail to an address nobody confirmed (docs/safety.md promise 16, docs/deliverability.md): through the real
pages, the real worker and a real SMTP server (aiosmtpd), a stranger whose address someone typed gets fixed
words only, at most a few messages across every kind and registry, and a "never email me again" that works
signed out and stops everything; invitations cannot be looped; a hand-typed address is never asked for a
mailing address."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.accounts.services import quiet_delegate_invite
from gratitude.gifts.models import Gift
from gratitude.notifications.models import Notification, NotificationState, SuppressedAddress
from gratitude.notifications.sending.unconfirmed_addresses import make_never_email_token
from gratitude.registries.models import RegistryInvitation
from gratitude.registries.services.invitations import (
    INVITATIONS_PER_ADDRESS_PER_REGISTRY,
    INVITATIONS_PER_INVITER_PER_DAY,
    registry_invitation_create,
)
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.testing.smtp import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)

STRANGER = "stranger@example.test"
# What an attacker types into a giver's form, hoping our signed mail carries it to someone else.
ATTACKER_NAME = "Amazon Account Security"
ATTACKER_MESSAGE = "Your account is locked. Call 555 0100 now to restore access"
ATTACKER_ITEM = "Account suspended notice"


def _drain() -> None:
    call_command("worker", drain=True, verbosity=0)


def _parts(message) -> list[str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return [str(message["Subject"]).strip(), plain.get_content(), html.get_content()]


def _give(client: Client, item, **fields):
    data = {"giver_name": ATTACKER_NAME, "giver_email": STRANGER, "quantity": 1, "message": ATTACKER_MESSAGE}
    data.update(fields)
    return client.post(reverse("gifts:give", args=[item.registry.share_key, item.pk]), data)


def _never_email_link(message) -> str:
    found = re.search(r"Never email me again: (\S+)", _parts(message)[1])
    assert found is not None
    return urlsplit(found.group(1)).path


def test_a_stranger_receipt_carries_only_our_words_and_the_registry_title(smtp_settings: SmtpSink):
    registry = make_registry(title="Alex & Sam's wedding")
    item = make_item(registry=registry, title=ATTACKER_ITEM)

    response = _give(Client(), item, send_receipt="on")
    assert response.status_code == 302
    _drain()

    [message] = smtp_settings.to(STRANGER)
    assert message["X-Gratitude-Kind"] == "gift_receipt"
    subject, text, html = _parts(message)
    assert subject == "Your receipt: a gift from “Alex & Sam's wedding”"
    for part in (subject, text, html):
        for typed in (ATTACKER_NAME, "Amazon", ATTACKER_MESSAGE, "555 0100", ATTACKER_ITEM):
            assert typed not in part, (typed, part)
    assert text.startswith("Hello,\r\n")
    assert "a gift was recorded on the registry “Alex & Sam's wedding”" in text
    assert _never_email_link(message).startswith("/mail/never/")
    # The registrant's alert still tells them everything: the rule is about the stranger's mailbox.
    assert Gift.objects.get().message == ATTACKER_MESSAGE


def test_an_address_typed_by_a_stranger_is_not_printed_in_mail_to_it(smtp_settings: SmtpSink):
    """An address is words too, chosen by whoever typed it, and a catch-all domain delivers anything:
    "go.to.paypal-secure.example/verify@..." would carry a domain into our signed mail. To an unconfirmed
    address the mail says "this address" instead."""
    hostile = "go.to.paypal-secure.example/verify@example.test"
    item = make_item(registry=make_registry(title="Alex & Sam's wedding"))

    response = _give(Client(), item, giver_email=hostile, send_receipt="on")
    assert response.status_code == 302
    _drain()

    [message] = smtp_settings.to(hostile)
    for part in _parts(message):
        assert "paypal-secure" not in part
    assert "when you recorded this gift with this address" in _parts(message)[1]


def test_never_email_me_again_get_changes_nothing_post_twice_one_suppression_then_nothing_of_any_kind(
    smtp_settings: SmtpSink,
):
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Alex's birthday")
    _give(Client(), make_item(registry=registry), send_receipt="on")
    _drain()
    link = _never_email_link(smtp_settings.to(STRANGER)[0])

    shown = Client().get(link)
    assert shown.status_code == 200 and b"Never email me again" in shown.content
    assert not SuppressedAddress.objects.exists()
    # Signed out, no cookie, no CSRF token: a mail client's one-click POST, then the page's button.
    first = Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})
    second = Client(enforce_csrf_checks=True).post(link)
    assert (first.status_code, second.status_code) == (200, 200)
    [entry] = SuppressedAddress.objects.all()
    assert (entry.address, entry.reason, entry.detail) == (STRANGER, "never_email", "one_click")
    assert Client().post(link[:-3] + "xx/").status_code == 400

    # Then nothing, whatever the kind or registry: a receipt, a hold's link, an invitation, a sign-up.
    other = make_registry(title="Another registry")
    _give(Client(), make_item(registry=other), send_receipt="on")
    Client().post(
        reverse("gifts:reserve", args=[other.share_key, make_item(registry=other).pk]),
        {"giver_name": "Kim", "giver_email": STRANGER, "quantity": 1},
    )
    registry_invitation_create(registry=registry, invited_by=owner, email=STRANGER, name="Sam")
    signup = Client().post(reverse("accounts:signup"), {"email": STRANGER})
    assert b"We sent no new message" in signup.content
    _drain()

    assert len(smtp_settings.to(STRANGER)) == 1
    later = Notification.objects.filter(recipient__email=STRANGER).exclude(state=NotificationState.SENT)
    assert {row.kind for row in later} == {"gift_receipt", "reservation_link", "registry_invitation"}
    assert {row.reason for row in later} == {"suppressed: never_email"}


def test_every_kind_and_registry_together_is_capped_per_day_and_per_month(smtp_settings: SmtpSink, settings):
    """Three a day and ten a month (the defaults) to one unconfirmed address, whoever causes them: a row over
    the cap is suppressed with its reason at send time, never sent."""
    assert (settings.GRATITUDE_UNCONFIRMED_MAILS_PER_DAY, settings.GRATITUDE_UNCONFIRMED_MAILS_PER_MONTH) == (
        3,
        10,
    )
    owner = make_user(display_name="Alex")
    registries = [make_registry(owner=owner, title=f"Registry {n}") for n in range(4)]
    start = timezone.now()

    with time_machine.travel(start, tick=True):
        # Four kinds, four registries, one address, on one day.
        make_gift(item=make_item(registry=registries[0]), giver_email=STRANGER, send_receipt=True)
        Client().post(
            reverse("gifts:reserve", args=[registries[1].share_key, make_item(registry=registries[1]).pk]),
            {"giver_name": "Kim", "giver_email": STRANGER, "quantity": 1},
        )
        registry_invitation_create(registry=registries[2], invited_by=owner, email=STRANGER, name="Sam")
        quiet_delegate_invite(user=owner, email=STRANGER)
        make_gift(item=make_item(registry=registries[3]), giver_email=STRANGER, send_receipt=True)
        _drain()
    assert len(smtp_settings.to(STRANGER)) == 3
    capped = Notification.objects.filter(recipient__email=STRANGER, state=NotificationState.SUPPRESSED)
    assert [row.reason for row in capped] == ["unconfirmed_cap: 3 a day"] * 2

    for day in range(1, 4):
        # A rolling day: each round comes 25 hours after the one before.
        with time_machine.travel(start + timedelta(hours=25 * day), tick=True):
            for _ in range(4):
                make_gift(item=make_item(registry=registries[0]), giver_email=STRANGER, send_receipt=True)
            _drain()
    # Days 1 and 2 send three each (nine in all); on day 3 the month's tenth goes, then the month is full.
    assert len(smtp_settings.to(STRANGER)) == 10
    reasons = [row.reason for row in capped.order_by("pk")]
    assert reasons.count("unconfirmed_cap: 3 a day") == 2 + 1 + 1
    assert reasons.count("unconfirmed_cap: 10 a month") == 3


def test_a_confirmed_address_is_not_capped(smtp_settings: SmtpSink):
    make_user(email=STRANGER, display_name="Robin")  # signed up and confirmed
    registry = make_registry()
    for _ in range(5):
        make_gift(item=make_item(registry=registry), giver_email=STRANGER, send_receipt=True)
    _drain()
    assert len(smtp_settings.to(STRANGER)) == 5


def test_invite_withdraw_reinvite_does_not_deliver_six_of_six(smtp_settings: SmtpSink):
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Alex's birthday")
    client = Client()
    client.force_login(owner)
    invite = reverse("registries:invite", args=[registry.pk])
    answers = []
    for _ in range(6):
        answers.append(client.post(invite, {"name": "Sam", "email": STRANGER, "role": "co_registrant"}))
        _drain()
        for invitation in RegistryInvitation.objects.filter(state="pending"):
            client.post(reverse("registries:invitation_revoke", args=[registry.pk, invitation.pk]))

    assert [a.status_code for a in answers] == [302] * INVITATIONS_PER_ADDRESS_PER_REGISTRY + [400] * (
        6 - INVITATIONS_PER_ADDRESS_PER_REGISTRY
    )
    assert "already invited to this registry 2 times this month" in answers[-1].content.decode()
    assert len(smtp_settings.to(STRANGER)) == INVITATIONS_PER_ADDRESS_PER_REGISTRY


def test_one_inviter_sends_a_bounded_number_of_invitations_a_day():
    owner = make_user(display_name="Alex")
    registries = [make_registry(owner=owner) for _ in range(2)]
    for n in range(INVITATIONS_PER_INVITER_PER_DAY):
        registry_invitation_create(
            registry=registries[n % 2], invited_by=owner, email=f"friend{n}@example.test", name="Friend"
        )

    from gratitude.core.errors import GratitudeError

    with pytest.raises(GratitudeError, match="invitations today"):
        registry_invitation_create(
            registry=registries[0], invited_by=owner, email="one.more@example.test", name="X"
        )
    assert RegistryInvitation.objects.count() == INVITATIONS_PER_INVITER_PER_DAY


def test_a_hand_recorded_gift_is_never_asked_for_an_address(smtp_settings: SmtpSink):
    """A registrant types a stranger's address with a gift recorded by hand: "You get this because you left
    this address with your gift" would be untrue, so the request is refused and nothing is sent."""
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, title="Teapot")
    client = Client()
    client.force_login(owner)
    recorded = client.post(
        reverse("member_gifts:record", args=[registry.pk]),
        {"item": item.pk, "giver_name": "Sam", "giver_email": STRANGER, "quantity": 1},
    )
    assert recorded.status_code == 302
    gift = Gift.objects.get(giver_email=STRANGER)
    page = client.get(reverse("thanks:gift", args=[registry.pk, gift.pk])).content.decode()
    assert "Ask Sam for an address" not in page and "recorded by hand" in page

    asked = client.post(reverse("thanks:ask_address", args=[registry.pk, gift.pk]))

    assert asked.status_code == 400
    assert "recorded by hand" in asked.content.decode()
    _drain()
    assert not Notification.objects.filter(kind="address_request").exists()
    assert smtp_settings.to(STRANGER) == []


def test_an_altered_never_email_token_is_refused_and_records_nothing():
    person = make_user(verified=False)
    token = make_never_email_token(user=person)

    assert Client().post(reverse("notifications:never_email", args=[token + "x"])).status_code == 400
    assert Client().get(reverse("notifications:never_email", args=["nonsense"])).status_code == 400
    assert not SuppressedAddress.objects.exists()


def test_naming_withdrawing_and_naming_trusted_people_is_bounded_per_person_a_day():
    from gratitude.accounts.models import QuietDelegate
    from gratitude.accounts.services import (
        QUIET_DELEGATE_INVITATIONS_PER_PERSON_PER_DAY,
        quiet_delegate_revoke,
    )
    from gratitude.core.errors import GratitudeError

    person = make_user(display_name="Alex")
    for n in range(QUIET_DELEGATE_INVITATIONS_PER_PERSON_PER_DAY):
        delegation = quiet_delegate_invite(user=person, email=f"trusted{n}@example.test")
        quiet_delegate_revoke(delegation=delegation, by=person)  # frees a place among the five live ones

    with pytest.raises(GratitudeError, match="people today"):
        quiet_delegate_invite(user=person, email="one.more@example.test")
    assert QuietDelegate.objects.filter(user=person).count() == QUIET_DELEGATE_INVITATIONS_PER_PERSON_PER_DAY
    sent = Notification.objects.filter(kind="quiet_delegate_invitation")
    assert sent.count() == QUIET_DELEGATE_INVITATIONS_PER_PERSON_PER_DAY


def test_an_inviter_who_never_confirmed_their_address_is_not_named_in_the_invitation(smtp_settings: SmtpSink):
    """Only a name its owner chose once they proved their address reaches someone else's mailbox."""
    inviter = make_user(display_name="PayPal Security Team", verified=False, password="a long passphrase 99")
    registry = make_registry(owner=inviter, title="Alex's birthday")
    registry_invitation_create(registry=registry, invited_by=inviter, email=STRANGER, name="Sam")
    _drain()

    [message] = smtp_settings.to(STRANGER)
    for part in _parts(message):
        assert "PayPal" not in part
    assert _parts(message)[0] == "An invitation to help with “Alex's birthday”"
