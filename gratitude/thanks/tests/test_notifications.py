"""The Thank You List's mail on the real sending path (outbox, worker, a real SMTP server): the address
request and the weekly reminder, what they say, and the send-time checks that stop them."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from gratitude.gifts.services import gift_cancel, gift_contribute
from gratitude.notifications.models import Notification, NotificationState
from gratitude.operations.selectors import halt_for
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.thanks.services import (
    address_request_answer,
    address_request_create,
    thank_you_mark,
    thank_you_reminders_enqueue,
)

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)


def drain() -> None:
    call_command("worker", drain=True, verbosity=0)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.links += [value for name, value in attrs if name == "href" and value]


def mail(sink, kind, to=None):
    """What the SMTP server accepted of one kind (gift alerts for the same gifts go out too)."""
    return [m for m in sink.messages if m["X-Gratitude-Kind"] == kind and (to is None or to in str(m["To"]))]


def _parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    parser = _Tags()
    parser.feed(html)
    return text, html, parser


def _asked(**registry_fields):
    """Alex's registry with Robin's gift (an email, no address), and Alex asking Robin for an address."""
    owner = make_user(display_name="Alex Rivera")
    registry = make_registry(owner=owner, title="Alex & Sam's wedding", **registry_fields)
    gift = make_gift(
        item=make_item(registry=registry, title="Cast-iron casserole"),
        giver_name="Robin Giver",
        giver_email="robin@example.test",
    )
    request = address_request_create(gift=gift, by=owner)
    return owner, registry, gift, request


# --- address_request ----------------------------------------------------------------------------------------


def test_the_giver_gets_one_short_message_naming_registrant_registry_and_gift(smtp_settings):
    _, registry, gift, request = _asked()

    drain()

    row = Notification.objects.get(kind="address_request")
    assert row.state == NotificationState.SENT, row.reason
    [message] = mail(smtp_settings, "address_request")
    assert smtp_settings.to("robin@example.test") == [message]
    assert message["X-Gratitude-Kind"] == "address_request"
    assert message["X-Gratitude-Reference"] == row.reference
    assert message["Subject"].strip() == "A thank-you for your gift from “Alex & Sam's wedding”"
    text, html, parsed = _parts(message)
    # Robin never confirmed the address: greeted by no name, and no item named (docs/deliverability.md).
    assert text.startswith("Hello,")
    assert "this address was left with a gift from the registry “Alex & Sam's wedding”" in text
    assert "Robin Giver" not in text and "Cast-iron casserole" not in text
    assert "Alex Rivera would like to send you a thank-you note by post" in text
    assert row.reference in text and row.reference in html
    assert "You get this because this address was left with a gift" in text
    # No form, input or login button in the mail itself: only a link to our page.
    assert not parsed.tags & {"form", "input", "button", "textarea", "select", "script"}
    assert "password" not in text.lower() and "log in" not in text.lower()
    links = re.findall(r"http://\S+/t/address/\S+/", text)
    assert len(links) == 1 and links[0] in parsed.links
    # The link opens the page for this giver, without an account.
    path = re.sub(r"^https?://[^/]+", "", links[0])
    page = Client().get(path)
    assert page.status_code == 200
    assert "Alex Rivera" in page.content.decode() and "Cast-iron casserole" in page.content.decode()
    # The request went to the giver only, and only once.
    assert len(mail(smtp_settings, "address_request")) == 1
    # Answering puts the address on the gift.
    assert Client().post(path, {"address": "1 Main St\nSpringfield"}).status_code == 302
    gift.refresh_from_db()
    assert gift.giver_address == "1 Main St\nSpringfield"
    request.refresh_from_db()
    assert request.answered_at is not None
    assert registry.pk == row.registry_id


def test_a_request_about_a_contribution_names_the_amount_not_a_quantity(smtp_settings):
    make_user(email="robin@example.test", display_name="Robin Giver")  # a giver who confirmed the address
    owner = make_user(display_name="Alex Rivera")
    registry = make_registry(owner=owner, title="Alex & Sam's wedding")
    item = make_item(registry=registry, title="Sofa", price=Decimal("900"), quantity=1, group_gift=True)
    gift = gift_contribute(
        item=item, giver_name="Robin Giver", giver_email="robin@example.test", amount=Decimal("150")
    )
    address_request_create(gift=gift, by=owner)

    drain()

    [message] = mail(smtp_settings, "address_request")
    text, html, _ = _parts(message)
    for part in (text, html):
        assert "you contributed 150.00 EUR toward “Sofa”" in part
        assert "1 ×" not in part


def test_an_address_shared_before_sending_stops_the_request(smtp_settings):
    _, _, _, request = _asked()
    address_request_answer(address_request=request, address="1 Main St")

    drain()

    row = Notification.objects.get(kind="address_request")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "address_already_shared")
    assert mail(smtp_settings, "address_request") == []


def test_a_gift_cancelled_before_sending_stops_the_request(smtp_settings):
    _, _, gift, _ = _asked()
    gift_cancel(gift=gift, reason="returned")

    drain()

    row = Notification.objects.get(kind="address_request")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "gift_cancelled")
    assert mail(smtp_settings, "address_request") == []


def test_a_registry_paused_before_sending_stops_the_request(smtp_settings):
    _, registry, _, _ = _asked()
    registry.paused_at = timezone.now()
    registry.save(update_fields=["paused_at"])

    drain()

    row = Notification.objects.get(kind="address_request")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "registry_paused")
    assert mail(smtp_settings, "address_request") == []


def test_a_request_from_someone_who_left_the_registry_is_not_sent(smtp_settings):
    from gratitude.registries.models import RegistryMember
    from gratitude.registries.services.members import registry_member_remove

    owner = make_user()
    registry = make_registry(owner=owner)
    partner = make_user(display_name="Sam")
    registry_member_add(registry=registry, user=partner)
    gift = make_gift(item=make_item(registry=registry), giver_email="robin@example.test")
    address_request_create(gift=gift, by=partner)
    registry_member_remove(member=RegistryMember.objects.get(registry=registry, user=partner))

    drain()

    row = Notification.objects.get(kind="address_request")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "requester_left")
    assert mail(smtp_settings, "address_request") == []


def test_a_forged_address_request_is_never_sent_and_trips_the_breaker(smtp_settings):
    # Written straight into the outbox, as a bug or an attacker would: a real gift, no request behind it.
    gift = make_gift(giver_email="robin@example.test")
    stranger = make_user(email="stranger@example.test")
    Notification.objects.create(
        kind="address_request",
        recipient=stranger,
        gift=gift,
        registry_id=gift.registry_id,
        idempotency_key="forged:address_request:1",
        due_at=timezone.now(),
    )

    drain()

    row = Notification.objects.get(idempotency_key="forged:address_request:1")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "no_address_request")
    assert smtp_settings.to("stranger@example.test") == []
    assert halt_for(kind="address_request") is not None


# --- thank_you_reminder -------------------------------------------------------------------------------------


def _waiting_registry(**registry_fields):
    owner = make_user(display_name="Alex")
    with time_machine.travel(T0, tick=False):
        registry = make_registry(owner=owner, title="Alex's housewarming", **registry_fields)
        item = make_item(registry=registry, quantity=9, title="Doormat")
        gifts = [
            make_gift(item=item, giver_name="Robin", giver_email="robin@example.test"),
            make_gift(item=item, giver_name="Robin", giver_email="robin@example.test"),
            make_gift(item=item, giver_name="Kim", giver_email=""),
        ]
    return owner, registry, gifts


def test_a_registrant_with_gifts_waiting_gets_one_gentle_reminder(smtp_settings):
    owner, registry, gifts = _waiting_registry()
    thank_you_mark(gifts=gifts[2:], status="sent", by=owner)

    with time_machine.travel(T0 + timedelta(days=15), tick=False):
        drain()  # the worker runs the periodic reminder job, then sends what it queued

    [row] = Notification.objects.filter(kind="thank_you_reminder")
    assert row.state == NotificationState.SENT, row.reason
    [message] = mail(smtp_settings, "thank_you_reminder", to=owner.email)
    assert message["X-Gratitude-Kind"] == "thank_you_reminder"
    assert (
        message["Subject"].strip() == "Your Thank You List for “Alex's housewarming”: 2 gifts still to thank"
    )
    text, _, parsed = _parts(message)
    assert text.startswith("Hi Alex,")
    assert (
        "2 gifts from 1 person on your registry “Alex's housewarming” are not yet marked as thanked" in text
    )
    assert "So far 1 of 3 gifts is thanked." in text
    assert f"/registries/{registry.pk}/thanks/" in text
    assert "at most once every 7 days" in text
    assert row.reference in text
    assert not parsed.tags & {"form", "input", "button"}


def test_with_covered_only_the_reminder_names_no_giver(smtp_settings):
    owner, _, _ = _waiting_registry(surprise="covered_only")

    with time_machine.travel(T0 + timedelta(days=15), tick=False):
        drain()

    [message] = mail(smtp_settings, "thank_you_reminder", to=owner.email)
    text, html, _ = _parts(message)
    assert "Robin" not in text and "Doormat" not in text and "Robin" not in html
    assert "3 gifts on your registry" in text
    assert "we say nothing about what or from whom" in text


def test_quiet_mode_after_queueing_stops_the_reminder(smtp_settings):
    owner, _, _ = _waiting_registry()
    with time_machine.travel(T0 + timedelta(days=15), tick=False):
        thank_you_reminders_enqueue()
        owner.quiet_since = timezone.now()
        owner.save(update_fields=["quiet_since"])
        drain()

    row = Notification.objects.get(kind="thank_you_reminder")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "quiet_mode")
    assert mail(smtp_settings, "thank_you_reminder") == []


def test_a_registry_paused_after_queueing_stops_the_reminder(smtp_settings):
    _, registry, _ = _waiting_registry()
    with time_machine.travel(T0 + timedelta(days=15), tick=False):
        thank_you_reminders_enqueue()
        registry.paused_at = timezone.now()
        registry.save(update_fields=["paused_at"])
        drain()

    row = Notification.objects.get(kind="thank_you_reminder")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "registry_paused")


def test_everything_thanked_after_queueing_stops_the_reminder(smtp_settings):
    owner, _, gifts = _waiting_registry()
    with time_machine.travel(T0 + timedelta(days=15), tick=False):
        thank_you_reminders_enqueue()
        thank_you_mark(gifts=gifts, status="sent", by=owner)
        drain()

    row = Notification.objects.get(kind="thank_you_reminder")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "nothing_to_thank")
    assert mail(smtp_settings, "thank_you_reminder") == []


def test_weeks_of_worker_runs_send_one_reminder_a_week(smtp_settings):
    owner, _, _ = _waiting_registry()

    for day in range(15, 36):
        with time_machine.travel(T0 + timedelta(days=day, hours=1), tick=False):
            drain()

    # Days 15, 22 and 29 (then day 36 is outside the range): one a week, never two within seven days.
    sent = list(
        Notification.objects.filter(kind="thank_you_reminder", state=NotificationState.SENT).order_by(
            "sent_at"
        )
    )
    assert len(sent) == 3
    times = [row.sent_at for row in sent if row.sent_at is not None]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= timedelta(days=7) for gap in gaps)
    assert len(mail(smtp_settings, "thank_you_reminder", to=owner.email)) == 3


def test_a_forged_reminder_to_a_stranger_is_never_sent_and_trips_the_breaker(smtp_settings):
    _, registry, _ = _waiting_registry()
    stranger = make_user(email="stranger@example.test")
    with time_machine.travel(T0 + timedelta(days=15), tick=False):
        Notification.objects.create(
            kind="thank_you_reminder",
            recipient=stranger,
            registry=registry,
            idempotency_key="forged:thank_you_reminder:1",
            due_at=timezone.now(),
        )
        drain()

    row = Notification.objects.get(idempotency_key="forged:thank_you_reminder:1")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "not_a_member")
    assert smtp_settings.to("stranger@example.test") == []
    assert halt_for(kind="thank_you_reminder") is not None


def test_a_failing_periodic_job_is_logged_and_delivery_goes_on(smtp_settings, monkeypatch, caplog):
    from gratitude.notifications import periodic_jobs

    monkeypatch.setattr(periodic_jobs, "_jobs", {})
    periodic_jobs.register(boom, every_seconds=3600)
    _asked()

    drain()

    assert "periodic job gratitude.thanks.tests.test_notifications.boom failed" in caplog.text
    assert len(mail(smtp_settings, "address_request")) == 1


def boom() -> None:
    raise RuntimeError("a periodic job's bug")
