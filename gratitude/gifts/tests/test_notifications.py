"""The gifts domain's mail: the giver's receipt and hold reminder (their own requests), and the gift alert
under "covered only". Each is re-checked at send time; forged rows are breaches."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from gratitude.gifts.services import (
    gift_cancel,
    gift_contribute,
    gift_record,
    reservation_create,
    reservation_fulfil,
    reservation_release,
)
from gratitude.notifications.models import Notification
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.outbox.refusals import Refusal
from gratitude.notifications.rendering.bait_checks import visible_text
from gratitude.notifications.rendering.messages import render
from gratitude.registries.models import Registry
from gratitude.registries.services.lifecycle import registry_archive
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


def _refusal(kind, row):
    """The row's provenance refusal; fails the test if the row would be sent."""
    refusal = kind.provenance(row)
    assert refusal is not None, f"{row.kind} row {row.idempotency_key} would be sent"
    return refusal


RECEIPT = KINDS["gift_receipt"]
REMINDER = KINDS["reservation_reminder"]
ALERT = KINDS["gift_alert"]


def _forge(**fields) -> Notification:
    return Notification.objects.create(due_at=timezone.now(), **fields)


# --- the receipt -------------------------------------------------------------------------------


def _confirmed_giver() -> None:
    """Robin has an account and proved the address: her receipts and reminders say everything."""
    make_user(email="robin@example.test", display_name="Robin")


def _receipt(*, confirmed: bool = True, **fields):
    if confirmed:
        _confirmed_giver()
    item = fields.pop("item", None) or make_item(
        registry=make_registry(title="Alex & Sam's wedding"), title="Salad bowl", quantity=3
    )
    gift = gift_record(
        item=item, giver_name="Robin", giver_email="robin@example.test", send_receipt=True, **fields
    )
    return gift, Notification.objects.get(kind="gift_receipt", gift=gift)


def test_the_receipt_names_the_gift_and_the_registry_and_why_it_came():
    gift, row = _receipt(message="Enjoy!", giver_address="1 Lane", quantity=2)

    message = render([row], RECEIPT)

    assert RECEIPT.provenance(row) is None
    # Robin confirmed the address and chose her name: greeted by it, never by the name typed with the gift.
    assert message.text.startswith("Hi Robin,")
    assert "you gave 2 × “Salad bowl” from the registry “Alex & Sam's wedding”" in message.text
    assert "Enjoy!" in message.text
    assert "You shared a mailing address" in message.text
    assert "1 Lane" not in message.text  # the address itself is not repeated in mail
    assert "you asked for a receipt" in message.text
    assert f"/r/{gift.registry.share_key}/" in message.text


def test_a_receipt_to_an_address_nobody_confirmed_is_fixed_text_with_a_way_to_stop_all_mail():
    """Anyone can type anyone's address and tick "email me a receipt": what the address's owner gets then
    carries none of the giver's words, names no item, greets nobody by name, and offers "never email me
    again" (docs/deliverability.md)."""
    item = make_item(registry=make_registry(title="Alex & Sam's wedding"), title="PayPal verify now")
    gift, row = _receipt(confirmed=False, item=item, message="Verify at once: your account is locked")
    # Words with a link are refused at input; what is left of an attacker's words must not reach them either.

    message = render([row], RECEIPT)

    assert message.subject == "Your receipt: a gift from “Alex & Sam's wedding”"
    for part in (message.subject, message.text, message.html):
        for typed in ("Robin", "Verify at", "locked", gift.item.title):
            assert typed not in part
    assert message.text.startswith("Hello,\n")
    assert "a gift was recorded on the registry “Alex & Sam's wedding”" in message.text
    assert re.search(r"Never email me again: https?://\S+/mail/never/\S+/", message.text)
    assert ">Never email me again</a>" in message.html


def test_a_contribution_receipt_says_how_much():
    _confirmed_giver()
    item = make_item(quantity=1, price=Decimal("90"), group_gift=True, title="Stroller fund")
    gift = gift_contribute(
        item=item,
        giver_name="Robin",
        giver_email="robin@example.test",
        amount=Decimal("15"),
        send_receipt=True,
    )
    row = Notification.objects.get(kind="gift_receipt", gift=gift)

    assert "you contributed 15.00 EUR toward “Stroller fund”" in render([row], RECEIPT).text


def test_a_cancelled_gift_sends_no_receipt():
    gift, row = _receipt()
    gift_cancel(gift=gift)

    refusal = RECEIPT.provenance(row)

    assert refusal is not None
    assert (refusal.reason, refusal.breach) == ("gift_cancelled", False)


def test_a_receipt_row_for_a_gift_whose_giver_did_not_ask_is_a_breach():
    gift = gift_record(item=make_item(), giver_name="Robin", giver_email="robin@example.test")
    forged = _forge(
        kind="gift_receipt",
        recipient=make_user(),
        gift=gift,
        registry=gift.registry,
        idempotency_key=f"gift_receipt:gift:{gift.pk}",
        trigger_type="gift",
        trigger_id=gift.pk,
    )
    other_gift, real = _receipt()
    stolen = _forge(
        kind="gift_receipt",
        recipient=make_user(),
        gift=other_gift,
        registry=other_gift.registry,
        idempotency_key=f"gift_receipt:gift:{other_gift.pk}:again",
        trigger_type="gift",
        trigger_id=other_gift.pk,
    )

    assert _refusal(RECEIPT, forged).breach is True
    assert _refusal(RECEIPT, stolen).breach is True
    assert RECEIPT.provenance(real) is None


# --- the hold reminder -------------------------------------------------------------------------


def _hold(*, confirmed: bool = True, **fields):
    if confirmed:
        _confirmed_giver()
    item = fields.pop("item", None) or make_item(registry=make_registry(title="Baby Kim"), title="Car seat")
    reservation = reservation_create(
        item=item, giver_name="Robin", giver_email="robin@example.test", remind=True, **fields
    )
    return reservation, Notification.objects.get(kind="reservation_reminder")


def test_a_giver_who_leaves_an_address_gets_the_holds_page_at_once_naming_no_item_if_unconfirmed():
    reservation = reservation_create(
        item=make_item(registry=make_registry(title="Baby Kim"), title="Car seat"),
        giver_name="Robin",
        giver_email="robin@example.test",
    )
    [row] = Notification.objects.filter(kind="reservation_link")

    message = render([row], KINDS["reservation_link"])

    assert KINDS["reservation_link"].provenance(row) is None
    assert message.subject == "Your hold on a gift for “Baby Kim”: its page"
    assert f"/r/hold/{reservation.token}/" in message.text
    for part in (message.subject, message.text, message.html):
        assert "Car seat" not in part and "Robin" not in part
    reservation_release(reservation=reservation)
    assert KINDS["reservation_link"].provenance(row) == Refusal("reservation_ended")


def test_the_reminder_says_when_the_hold_ends_and_links_to_the_givers_own_page():
    reservation, row = _hold()

    message = render([row], REMINDER)

    assert REMINDER.provenance(row) is None
    assert message.text.startswith("Hi Robin,")  # confirmed, and the name she chose
    assert "you reserved 1 × “Car seat” from the registry “Baby Kim”" in message.text
    assert f"/r/hold/{reservation.token}/" in message.text
    assert "you asked for a reminder" in message.text


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("release", "reservation_released"),
        ("fulfil", "reservation_fulfilled"),
        ("lapse", "reservation_lapsed"),
        ("archive", "registry_archived"),
    ],
)
def test_a_reminder_for_a_hold_that_ended_is_not_sent(change, reason, settings):
    owner = make_user()
    reservation, row = _hold(item=make_item(registry=make_registry(owner=owner)))
    when = timezone.now()
    if change == "release":
        reservation_release(reservation=reservation)
    elif change == "fulfil":
        reservation_fulfil(reservation=reservation)
    elif change == "archive":
        registry_archive(registry=reservation.item.registry, by=owner)
    else:
        when += timedelta(hours=settings.GRATITUDE_RESERVATION_HOURS + 1)

    with time_machine.travel(when):
        refusal = REMINDER.provenance(row)

    assert refusal is not None
    assert (refusal.reason, refusal.breach) == (reason, False)


def test_a_reminder_row_nobody_asked_for_is_a_breach():
    silent = reservation_create(item=make_item(), giver_name="Sam", giver_email="sam@example.test")
    forged = _forge(
        kind="reservation_reminder",
        recipient=make_user(),
        registry=silent.item.registry,
        idempotency_key=f"reservation_reminder:reservation:{silent.pk}",
        trigger_type="reservation",
        trigger_id=silent.pk,
    )
    made_up = _forge(
        kind="reservation_reminder",
        recipient=make_user(),
        registry=silent.item.registry,
        idempotency_key="reservation_reminder:reservation:999999",
        trigger_type="reservation",
        trigger_id=999999,
    )

    assert _refusal(REMINDER, forged).breach is True
    assert _refusal(REMINDER, made_up).breach is True


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_reminder_only_when_it_is_due(settings):
    settings.GRATITUDE_RESERVATION_HOURS = 48
    settings.GRATITUDE_RESERVATION_REMINDER_HOURS = 12
    reservation, _ = _hold()

    call_command("worker", drain=True, verbosity=0)
    # At once only the hold's own page, which goes to every giver who leaves an address.
    assert [m.extra_headers["X-Gratitude-Kind"] for m in mail.outbox] == ["reservation_link"]
    with time_machine.travel(reservation.expires_at - timedelta(hours=11)):
        call_command("worker", drain=True, verbosity=0)

    assert [m.to for m in mail.outbox] == [["robin@example.test"]] * 2
    assert mail.outbox[1].extra_headers["X-Gratitude-Kind"] == "reservation_reminder"


# --- "covered only" in the gift alert ---------------------------------------------------------


def _covered_only_alert(reveal_on=None):
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Alex's baby", surprise="covered_only")
    Registry.objects.filter(pk=registry.pk).update(reveal_on=reveal_on)
    item = make_item(registry=registry, title="Rocking horse")
    gift = gift_record(
        item=item, giver_name="Aunt Robin", giver_email="robin@example.test", message="Ride on!"
    )
    return Notification.objects.get(kind="gift_alert", gift=gift)


def test_a_covered_only_alert_names_neither_the_item_nor_the_giver():
    row = _covered_only_alert()

    message = render([row], ALERT)

    for part in (message.subject, message.text, visible_text(message.html), message.html):
        for secret in ("Rocking horse", "Aunt Robin", "robin@example.test", "Ride on!"):
            assert secret not in part
    assert "Alex's baby" in message.text.replace("&#x27;", "'")


def test_after_the_reveal_date_the_alert_may_say_what_and_who():
    row = _covered_only_alert(reveal_on=date(2030, 1, 1))

    with time_machine.travel("2030-01-02"):
        message = render([row], ALERT)

    assert "Rocking horse" in message.text
    assert "Aunt Robin" in message.text


# --- a contribution to a group gift in the gift alert ------------------------------------------------


def _stroller(*, surprise="show_all"):
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, title="Baby Kim", surprise=surprise)
    item = make_item(registry=registry, title="Stroller", quantity=1, price=Decimal("300"), group_gift=True)
    return registry, item


def _contribute(item, name, amount, **fields):
    gift = gift_contribute(item=item, giver_name=name, amount=Decimal(amount), **fields)
    return Notification.objects.get(kind="gift_alert", gift=gift)


def test_a_contribution_alert_says_how_much_and_how_far_the_item_is_covered():
    _, item = _stroller()
    _contribute(item, "Sam", "80")
    row = _contribute(item, "Robin", "40", message="For long walks")

    message = render([row], ALERT)

    line = (
        "Robin contributed 40.00 EUR toward “Stroller” from your registry “Baby Kim”; "
        "with it, 120.00 of 300.00 EUR is covered."
    )
    assert line in message.text
    assert line in visible_text(message.html)
    assert "For long walks" in message.text
    assert " × " not in message.text  # not "gave 1 × Stroller"
    assert message.subject == "A contribution to a gift on “Baby Kim”"  # no typed name in a Subject


def test_a_digest_of_contributions_shows_the_progress_after_each():
    _, item = _stroller()
    first = _contribute(item, "Sam", "80")
    second = _contribute(item, "Robin", "40.50")

    message = render([first, second], ALERT)

    sam = message.text.index("Sam contributed 80.00 EUR toward “Stroller”")
    robin = message.text.index("Robin contributed 40.50 EUR toward “Stroller”")
    assert sam < robin
    assert "with it, 80.00 of 300.00 EUR is covered" in message.text
    assert "with it, 120.50 of 300.00 EUR is covered" in message.text
    assert message.subject == "2 gifts on “Baby Kim”"


def test_a_cancelled_contribution_no_longer_counts_in_the_progress():
    _, item = _stroller()
    earlier = _contribute(item, "Sam", "80")
    row = _contribute(item, "Robin", "40")
    assert earlier.gift is not None
    gift_cancel(gift=earlier.gift)

    assert "with it, 40.00 of 300.00 EUR is covered" in render([row], ALERT).text


def test_an_alert_mixing_a_contribution_and_a_gift_tells_each_its_own_way():
    registry, item = _stroller()
    teapot = make_item(registry=registry, title="Teapot")
    contribution = _contribute(item, "Sam", "80")
    gift = gift_record(item=teapot, giver_name="Robin", quantity=2)
    row = Notification.objects.get(kind="gift_alert", gift=gift)

    text = render([contribution, row], ALERT).text

    assert "Sam contributed 80.00 EUR toward “Stroller”" in text
    assert "Robin gave 2 × “Teapot” from your registry “Baby Kim”." in text


def test_a_covered_only_contribution_alert_tells_neither_amount_nor_item_nor_giver():
    _, item = _stroller(surprise="covered_only")
    _contribute(item, "Sam", "80")
    row = _contribute(item, "Robin", "40", message="For long walks")

    message = render([row], ALERT)

    for part in (message.subject, message.text, visible_text(message.html), message.html):
        for secret in ("Stroller", "Robin", "Sam", "For long walks", "40.00", "120.00", "300", "EUR"):
            assert secret not in part
    # The same words as for any covered item: a contribution must not stand out (there may be only one
    # group gift on the list, and then "someone contributed" would say which item).
    assert "An item on your registry “Baby Kim” was covered." in message.text
    assert message.subject == "Something on “Baby Kim” was covered"


# --- a gift recorded by hand: the others hear of it, not the one who recorded it ---------------------


@pytest.mark.django_db(transaction=True)
def test_a_gift_recorded_by_hand_is_mailed_to_the_other_members_only():
    from gratitude.gifts.services import gift_record_by_hand
    from gratitude.registries.services.members import registry_member_add

    owner = make_user(display_name="Alex", email="alex@example.test")
    registry = make_registry(owner=owner, title="Baby Kim")
    registry_member_add(registry=registry, user=make_user(display_name="Sam", email="sam@example.test"))

    gift_record_by_hand(registry=registry, by=owner, giver_name="Grandma", description="A knitted blanket")
    call_command("worker", drain=True, verbosity=0)

    assert [m.to for m in mail.outbox] == [["sam@example.test"]]
    assert "Grandma gave 1 × “A knitted blanket”" in mail.outbox[0].body
