"""Occasion opt-outs at send time (quiet mode): "never send me anything about baby / wedding / ...", checked
by the guard chain for every kind, whatever was queued before the choice; the person's own requests still
come. Also the per-person registry mute that the footer's pause link records for non-members."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command

from gratitude.accounts.services import verification_resend
from gratitude.core.errors import GratitudeError
from gratitude.gifts.services import gift_record
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.sending.occasion_opt_outs import (
    OPT_OUT_OCCASIONS,
    occasion_opt_outs_set,
    occasions_of,
    opt_outs_of,
    opted_out,
)
from gratitude.notifications.web.pause_link import registry_mute, registry_muted, registry_unmute
from gratitude.operations.tests.support import make_registrants, make_staff, started, wedding_audience
from gratitude.registries.models import Occasion
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user

pytestmark = pytest.mark.django_db


def drain() -> None:
    """The worker in-process; the tests that run it use real transactions, as the worker does."""
    call_command("worker", drain=True, verbosity=0)


def test_the_declared_list_covers_registry_and_calendar_occasions():
    assert list(OPT_OUT_OCCASIONS) == [
        "baby",
        "wedding",
        "birthday",
        "housewarming",
        "graduation",
        "mothers_day",
        "fathers_day",
        "valentines_day",
        "holidays",
    ]
    assert set(Occasion.values) - set(OPT_OUT_OCCASIONS) == {"other"}
    assert OPT_OUT_OCCASIONS["mothers_day"] == "Mother's Day"


def test_the_service_records_exactly_the_chosen_set_and_refuses_unknown_slugs():
    person = make_user()

    occasion_opt_outs_set(user=person, occasions=["wedding", "baby", "baby"])
    person.refresh_from_db()
    assert person.occasion_opt_outs == ["baby", "wedding"]

    occasion_opt_outs_set(user=person, occasions=[])
    person.refresh_from_db()
    assert person.occasion_opt_outs == []

    with pytest.raises(GratitudeError, match="unknown occasion: funeral"):
        occasion_opt_outs_set(user=person, occasions=["funeral", "baby"])
    person.refresh_from_db()
    assert person.occasion_opt_outs == []


def test_stored_junk_is_ignored_when_read():
    person = make_user()
    person.occasion_opt_outs = ["baby", 3, None, "funeral"]
    assert opt_outs_of(person) == {"baby"}
    person.occasion_opt_outs = {"baby": True}
    assert opt_outs_of(person) == set()


@pytest.mark.django_db(transaction=True)
def test_a_gift_alert_queued_before_the_opt_out_is_suppressed_at_send_time():
    owner = make_user()
    registry = make_registry(owner=owner, occasion="baby")
    make_gift(item=make_item(registry=registry))
    row = Notification.objects.get(kind="gift_alert", recipient=owner)
    assert occasions_of(row, KINDS["gift_alert"]) == {"baby"}

    occasion_opt_outs_set(user=owner, occasions=["baby"])
    drain()

    row.refresh_from_db()
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "occasion_opt_out: baby")
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_of_another_occasion_changes_nothing():
    owner = make_user()
    registry = make_registry(owner=owner, occasion="wedding")
    occasion_opt_outs_set(user=owner, occasions=["baby", "mothers_day"])

    make_gift(item=make_item(registry=registry))
    drain()

    assert Notification.objects.get(kind="gift_alert", recipient=owner).state == NotificationState.SENT
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_the_persons_own_request_still_comes():
    """A giver who opted out of baby mail but asked for a receipt of the baby gift they just gave gets it."""
    owner = make_user()
    registry = make_registry(owner=owner, occasion="baby")
    giver = make_user(email="giver@example.test")
    occasion_opt_outs_set(user=giver, occasions=["baby"])
    item = make_item(registry=registry)

    gift_record(item=item, giver_name="Robin", giver_email=giver.email, send_receipt=True)
    receipt = Notification.objects.get(kind="gift_receipt")

    assert opted_out(receipt, KINDS["gift_receipt"]) is None


@pytest.mark.django_db(transaction=True)
def test_a_campaign_speaks_of_the_occasions_it_declared(settings):
    settings.GRATITUDE_CANARY_SLICE = "2"
    author, approver = make_staff("Author"), make_staff("Approver")
    stays, leaves = make_registrants(2, occasion="wedding")
    started(author, approver, audience=wedding_audience())
    rows = {row.recipient_id: row for row in Notification.objects.filter(kind="campaign")}
    assert occasions_of(rows[leaves.pk], KINDS["campaign"]) == {"wedding"}

    # Chosen after the audience was frozen and the rows written: the send-time check still keeps it.
    occasion_opt_outs_set(user=leaves, occasions=["wedding"])
    drain()

    rows[leaves.pk].refresh_from_db()
    rows[stays.pk].refresh_from_db()
    assert rows[leaves.pk].state == NotificationState.SUPPRESSED
    assert rows[leaves.pk].reason == "occasion_opt_out: wedding"
    assert rows[stays.pk].state == NotificationState.SENT


def test_a_muted_registry_stops_every_kind_about_it_to_that_person_only():
    owner = make_user()
    registry = make_registry(owner=owner, occasion="birthday")
    giver = make_user(email="giver@example.test")
    other = make_registry(occasion="birthday")

    assert registry_mute(user=giver, registry=registry) is True
    assert registry_mute(user=giver, registry=registry) is False
    assert registry_muted(user_id=giver.pk, registry_id=registry.pk)
    assert not registry_muted(user_id=giver.pk, registry_id=other.pk)
    assert not registry_muted(user_id=owner.pk, registry_id=registry.pk)

    gift_record(item=make_item(registry=registry), giver_name="R", giver_email=giver.email, send_receipt=True)
    receipt = Notification.objects.get(kind="gift_receipt", recipient=giver)
    # Even their own receipt: they asked for no more mail about this registry, later than for the receipt.
    assert opted_out(receipt, KINDS["gift_receipt"]) == "registry_muted"
    alert = Notification.objects.get(kind="gift_alert", recipient=owner)
    assert opted_out(alert, KINDS["gift_alert"]) is None

    registry_unmute(user=giver, registry=registry)
    assert opted_out(receipt, KINDS["gift_receipt"]) is None


def test_rows_about_nothing_in_particular_are_never_opted_out():
    person = make_user(verified=False)
    occasion_opt_outs_set(user=person, occasions=list(OPT_OUT_OCCASIONS))

    verification_resend(user=person)
    row = Notification.objects.get(kind="email_verify", recipient=person)

    assert occasions_of(row, KINDS["email_verify"]) == set()
    assert opted_out(row, KINDS["email_verify"]) is None
