"""The check page tells the truth, signed out too (docs/safety.md promise 17): a giver who never had an
account, holding a genuine message from a real SMTP server, hears "yes" with the kind and the day when they
type its code and the address it came to; a wrong address, a forged code or a malformed one all read the same
"no"; and the page is limited per client and per address named, so it reveals no code and tests no address."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.notifications.models import Notification, NotificationState
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.testing.smtp import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)

CHECK = reverse("notifications:check")
GIVER = "robin.giver@example.test"


@pytest.fixture
def receipt(smtp_settings: SmtpSink) -> tuple[str, Notification]:
    """A receipt the worker delivered to a giver with no account, and its code as read in the message."""
    registry = make_registry(owner=make_user(display_name="Alex"), title="Alex's birthday")
    make_gift(item=make_item(registry=registry), giver_email=GIVER, send_receipt=True)
    call_command("worker", drain=True, verbosity=0)
    received = smtp_settings.to(GIVER)
    assert len(received) == 1
    code = received[0]["X-Gratitude-Reference"]
    row = Notification.objects.get(reference=code)
    assert (row.kind, row.state, row.recipient.has_usable_password()) == (
        "gift_receipt",
        NotificationState.SENT,
        False,
    )
    return code, row


def _visitor(n: int = 1) -> Client:
    return Client(REMOTE_ADDR=f"192.0.2.{n}")


def _answer(response) -> str:
    match = re.search(r'data-testid="check-result">(.*?)</div>', response.content.decode(), re.S)
    assert match is not None, response.content
    return " ".join(match.group(1).split())


def test_a_genuine_code_with_its_address_is_confirmed_signed_out_with_kind_and_day(receipt):
    code, row = receipt
    response = _visitor().post(CHECK, {"code": f" {code[:5].lower()}-{code[5:]} ", "address": GIVER.upper()})

    assert response.status_code == 200
    answer = _answer(response)
    day = timezone.localtime(row.sent_at).strftime("%-d %B %Y")
    assert answer == f"Yes: we sent this email to that address on {day}. It is a receipt for a gift."
    # Signed out, "yes" says what it was and when, not the subject (which names the registry).
    assert "Alex" not in answer and row.subject not in answer


def test_wrong_address_forged_code_and_malformed_code_read_the_same_no(receipt):
    code, _ = receipt
    forged = "23456789AB" if code != "23456789AB" else "3456789ABC"
    answers = {
        _answer(_visitor(1).post(CHECK, {"code": code, "address": "someone.else@example.test"})),
        _answer(_visitor(2).post(CHECK, {"code": forged, "address": GIVER})),
        _answer(_visitor(3).post(CHECK, {"code": "not a code", "address": GIVER})),
        _answer(_visitor(4).post(CHECK, {"code": code, "address": ""})),
    }
    assert len(answers) == 1
    assert answers.pop().startswith("We find no email with this code sent to this address.")


def test_a_message_not_sent_is_not_confirmed(receipt):
    """A row that exists but never went (suppressed) is as unknown as a made-up code."""
    code, row = receipt
    Notification.objects.filter(pk=row.pk).update(state=NotificationState.SUPPRESSED)
    assert _answer(_visitor().post(CHECK, {"code": code, "address": GIVER})).startswith("We find no email")


def test_checks_naming_one_address_are_limited_whoever_asks(settings, receipt):
    """Guessing codes for a known address from many clients stops at the per-address limit; the genuine code
    is then refused too (429), so the limit cannot be told apart from an answer."""
    code, _ = receipt
    settings.GRATITUDE_REFERENCE_CHECKS_PER_ADDRESS_PER_HOUR = 3
    guess = {"code": "23456789AB", "address": GIVER}
    statuses = [_visitor(n).post(CHECK, guess).status_code for n in range(3)]
    statuses.append(_visitor(9).post(CHECK, {"code": code, "address": GIVER}).status_code)
    assert statuses == [200, 200, 200, 429]
    # Another address is not held back by this one's limit.
    other = _visitor(10).post(CHECK, {"code": code, "address": "other@example.test"})
    assert other.status_code == 200


def test_one_client_is_limited_across_addresses(settings, receipt):
    """Testing many addresses for one code from one client stops at the per-client limit."""
    code, _ = receipt
    settings.GRATITUDE_REFERENCE_CHECKS_PER_HOUR = 2
    visitor = _visitor()
    statuses = [
        visitor.post(CHECK, {"code": code, "address": f"guess{n}@example.test"}).status_code for n in range(2)
    ]
    statuses.append(visitor.post(CHECK, {"code": code, "address": GIVER}).status_code)
    assert statuses == [200, 200, 429]


def test_signed_in_the_person_still_finds_their_own_message_without_typing_the_address(
    smtp_settings: SmtpSink,
):
    alex = make_user(display_name="Alex")
    make_gift(item=make_item(registry=make_registry(owner=alex)))
    call_command("worker", drain=True, verbosity=0)
    code = smtp_settings.to(alex.email)[0]["X-Gratitude-Reference"]
    client = Client()
    client.force_login(alex)

    answer = _answer(client.post(CHECK, {"code": code}))
    assert answer.startswith("Yes: we sent you this email on")
    assert _answer(client.post(CHECK, {"code": code, "address": alex.email})).startswith("Yes: we sent you")


def test_every_kind_has_plain_words_for_the_answer():
    """A kind added later without words would be confirmed as "a message": the check must say what it was."""
    from gratitude.notifications.outbox.kinds import all_kinds

    assert [kind.name for kind in all_kinds() if not kind.label.strip()] == []
