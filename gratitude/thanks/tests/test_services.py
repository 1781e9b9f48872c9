"""Thank You List services: statuses with dates, undo, notes, received, address requests and their answers,
and which registrants the weekly reminder job queues mail for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.core.errors import GratitudeError, PermissionDenied
from gratitude.gifts.models import Gift
from gratitude.gifts.services import gift_cancel
from gratitude.notifications.models import Notification
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.thanks.models import AddressRequest, EnteredAddress, ThankYou, ThankYouChange, ThankYouStatus
from gratitude.thanks.selectors import GiverAddress, giver_key
from gratitude.thanks.services import (
    address_request_answer,
    address_request_create,
    giver_address_clear,
    giver_address_enter,
    thank_you_mark,
    thank_you_mark_received,
    thank_you_mark_undo,
    thank_you_note_set,
    thank_you_reminders_enqueue,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)


def _registry_with_gifts(n: int = 3, **registry_fields):
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner, **registry_fields)
    item = make_item(registry=registry, quantity=50)
    gifts = [
        make_gift(item=item, giver_name=f"Giver {i}", giver_email=f"giver{i}@example.test") for i in range(n)
    ]
    return owner, registry, gifts


def _status(gift) -> ThankYou:
    return ThankYou.objects.get(gift=gift)


# --- thank_you_mark -----------------------------------------------------------------------------------------


def test_marking_written_then_sent_records_each_date_and_counts_changes():
    owner, _, gifts = _registry_with_gifts(2)

    with time_machine.travel(T0, tick=False):
        assert thank_you_mark(gifts=gifts, status="written", by=owner) == 2
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        assert thank_you_mark(gifts=gifts[:1], status="sent", by=owner) == 1

    first, second = _status(gifts[0]), _status(gifts[1])
    assert (first.status, first.written_at, first.sent_at) == ("sent", T0, T0 + timedelta(days=2))
    assert (second.status, second.written_at, second.sent_at) == ("written", T0, None)
    assert first.updated_by == owner


def test_marking_sent_straight_from_to_do_also_dates_the_writing():
    owner, _, gifts = _registry_with_gifts(1)

    with time_machine.travel(T0, tick=False):
        thank_you_mark(gifts=gifts, status="sent", by=owner)

    record = _status(gifts[0])
    assert (record.written_at, record.sent_at) == (T0, T0)


def test_going_back_clears_the_later_dates_and_marking_again_changes_nothing():
    owner, _, gifts = _registry_with_gifts(1)
    thank_you_mark(gifts=gifts, status="sent", by=owner)

    assert thank_you_mark(gifts=gifts, status="written", by=owner) == 1
    record = _status(gifts[0])
    assert record.status == "written" and record.written_at is not None and record.sent_at is None

    assert thank_you_mark(gifts=gifts, status="written", by=owner) == 0
    assert thank_you_mark(gifts=gifts, status="todo", by=owner) == 1
    record.refresh_from_db()
    assert (record.status, record.written_at, record.sent_at) == ("todo", None, None)


def test_a_co_registrant_and_a_delegate_may_mark_too():
    _, registry, gifts = _registry_with_gifts(1)
    partner, helper = make_user(), make_user()
    registry_member_add(registry=registry, user=partner)
    registry_member_add(registry=registry, user=helper, role="delegate")

    assert thank_you_mark(gifts=gifts, status="written", by=partner) == 1
    assert thank_you_mark(gifts=gifts, status="sent", by=helper) == 1


def test_a_non_member_cannot_mark_and_nothing_changes():
    _, _, gifts = _registry_with_gifts(2)
    stranger = make_user()

    with pytest.raises(PermissionDenied):
        thank_you_mark(gifts=gifts, status="sent", by=stranger)

    assert ThankYou.objects.count() == 0
    assert ThankYouChange.objects.count() == 0


def test_mixing_in_a_gift_of_a_registry_one_is_not_a_member_of_changes_nothing():
    owner, _, gifts = _registry_with_gifts(1)
    _, _, others = _registry_with_gifts(1)

    with pytest.raises(PermissionDenied):
        thank_you_mark(gifts=[*gifts, *others], status="sent", by=owner)

    assert ThankYou.objects.count() == 0


def test_an_unknown_status_is_refused():
    owner, _, gifts = _registry_with_gifts(1)

    with pytest.raises(GratitudeError, match="status"):
        thank_you_mark(gifts=gifts, status="thanked", by=owner)


def test_cancelled_gifts_are_left_alone():
    owner, _, gifts = _registry_with_gifts(2)
    gift_cancel(gift=gifts[0])

    assert thank_you_mark(gifts=gifts, status="sent", by=owner) == 1
    assert not ThankYou.objects.filter(gift=gifts[0]).exists()


# --- undo ---------------------------------------------------------------------------------------------------


def test_undo_puts_back_exactly_what_one_mark_changed():
    owner, registry, gifts = _registry_with_gifts(3)
    with time_machine.travel(T0, tick=False):
        thank_you_mark(gifts=gifts[:1], status="written", by=owner)
    batch = uuid.uuid4()
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert thank_you_mark(gifts=gifts, status="sent", by=owner, batch=batch) == 3

    assert thank_you_mark_undo(registry=registry, batch=batch, by=owner) == 3

    first = _status(gifts[0])
    assert (first.status, first.written_at, first.sent_at) == ("written", T0, None)
    assert [_status(g).status for g in gifts[1:]] == ["todo", "todo"]
    assert [_status(g).written_at for g in gifts[1:]] == [None, None]
    # Undoing twice does nothing more.
    assert thank_you_mark_undo(registry=registry, batch=batch, by=owner) == 0


def test_undo_never_overwrites_a_later_mark():
    owner, registry, gifts = _registry_with_gifts(2)
    batch = uuid.uuid4()
    thank_you_mark(gifts=gifts, status="written", by=owner, batch=batch)
    thank_you_mark(gifts=gifts[:1], status="sent", by=owner)

    assert thank_you_mark_undo(registry=registry, batch=batch, by=owner) == 1

    assert _status(gifts[0]).status == "sent"
    assert _status(gifts[1]).status == "todo"


def test_undo_is_for_members_of_that_registry_only():
    owner, registry, gifts = _registry_with_gifts(1)
    batch = uuid.uuid4()
    thank_you_mark(gifts=gifts, status="sent", by=owner, batch=batch)
    other_owner, other_registry, _ = _registry_with_gifts(1)

    with pytest.raises(PermissionDenied):
        thank_you_mark_undo(registry=registry, batch=batch, by=other_owner)
    # Another registry's member naming this batch under their own registry finds nothing to undo.
    assert thank_you_mark_undo(registry=other_registry, batch=batch, by=other_owner) == 0
    assert _status(gifts[0]).status == "sent"


# --- notes and received -------------------------------------------------------------------------------------


def test_a_note_is_saved_trimmed_and_limited_in_length():
    owner, _, gifts = _registry_with_gifts(1)

    record = thank_you_note_set(gift=gifts[0], note="  The blue one, no label  ", by=owner)
    assert record.note == "The blue one, no label"
    assert record.status == ThankYouStatus.TODO

    with pytest.raises(GratitudeError, match="2,000"):
        thank_you_note_set(gift=gifts[0], note="x" * 2001, by=owner)
    assert _status(gifts[0]).note == "The blue one, no label"


def test_only_members_write_notes():
    _, _, gifts = _registry_with_gifts(1)

    with pytest.raises(PermissionDenied):
        thank_you_note_set(gift=gifts[0], note="hello", by=make_user())


def test_marking_received_and_not_received_counts_what_changed():
    owner, _, gifts = _registry_with_gifts(2)

    with time_machine.travel(T0, tick=False):
        assert thank_you_mark_received(gifts=gifts[:1], received=True, by=owner) == 1
        assert thank_you_mark_received(gifts=gifts, received=True, by=owner) == 1
    gifts[0].refresh_from_db()
    assert gifts[0].received_at == T0

    assert thank_you_mark_received(gifts=gifts, received=False, by=owner) == 2
    gifts[0].refresh_from_db()
    assert gifts[0].received_at is None

    with pytest.raises(PermissionDenied):
        thank_you_mark_received(gifts=gifts, received=True, by=make_user())


# --- address requests ---------------------------------------------------------------------------------------


def test_asking_a_giver_without_an_account_writes_the_request_and_one_outbox_row():
    owner, registry, gifts = _registry_with_gifts(1)
    gift = gifts[0]

    request = address_request_create(gift=gift, by=owner)

    giver = User.objects.get(email="giver0@example.test")
    assert request.giver == giver and request.giver_contact_created
    assert giver.display_name == ""  # never the name a registrant or giver typed (docs/safety.md promise 16)
    assert not giver.has_usable_password()  # a contact: it cannot log in
    assert giver.email_verified_at is None
    row = Notification.objects.get(kind="address_request")
    assert (row.recipient, row.gift, row.registry) == (giver, gift, registry)
    assert row.idempotency_key == f"address_request:registry:{registry.pk}:user:{giver.pk}"


def test_a_giver_with_an_account_is_asked_at_that_account():
    owner, registry, _ = _registry_with_gifts(0)
    giver = make_user(email="robin@example.test", display_name="Robin R.")
    gift = make_gift(item=make_item(registry=registry), giver_name="Robin", giver_email="Robin@Example.test")

    request = address_request_create(gift=gift, by=owner)

    assert request.giver == giver and not request.giver_contact_created
    assert User.objects.filter(email="robin@example.test").count() == 1


def test_each_giver_is_asked_at_most_once_per_registry_even_about_another_gift():
    owner, registry, _ = _registry_with_gifts(0)
    item = make_item(registry=registry, quantity=5)
    first = make_gift(item=item, giver_name="Robin", giver_email="robin@example.test")
    second = make_gift(item=item, giver_name="Robin", giver_email="robin@example.test")
    address_request_create(gift=first, by=owner)

    with pytest.raises(GratitudeError, match="only once"):
        address_request_create(gift=second, by=owner)

    assert Notification.objects.filter(kind="address_request").count() == 1
    # Another registry may ask the same giver once too.
    other_owner, other_registry, _ = _registry_with_gifts(0)
    elsewhere = make_gift(
        item=make_item(registry=other_registry), giver_name="Robin", giver_email="robin@example.test"
    )
    address_request_create(gift=elsewhere, by=other_owner)
    assert Notification.objects.filter(kind="address_request").count() == 2


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no_email", "left no email"),
        ("has_address", "already shared"),
        ("covered_only", "surprise"),
        ("paused", "paused"),
    ],
)
def test_an_address_request_is_refused_when_it_makes_no_sense(setup, message):
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only" if setup == "covered_only" else "show_all")
    if setup == "paused":
        registry.paused_at = timezone.now()
        registry.save(update_fields=["paused_at"])
    gift = make_gift(
        item=make_item(registry=registry),
        giver_email="" if setup == "no_email" else "robin@example.test",
        giver_address="1 Main St" if setup == "has_address" else "",
    )

    with pytest.raises(GratitudeError, match=message):
        address_request_create(gift=gift, by=owner)

    assert AddressRequest.objects.count() == 0
    assert Notification.objects.filter(kind="address_request").count() == 0


def test_only_members_may_ask_and_a_refusal_leaves_no_contact_account_behind():
    _, _, gifts = _registry_with_gifts(1)

    with pytest.raises(PermissionDenied):
        address_request_create(gift=gifts[0], by=make_user())

    assert not User.objects.filter(email="giver0@example.test").exists()
    assert Notification.objects.filter(kind="address_request").count() == 0


def test_the_answer_goes_on_every_active_gift_of_that_giver_on_that_registry_only():
    owner, registry, _ = _registry_with_gifts(0)
    item = make_item(registry=registry, quantity=5)
    first = make_gift(item=item, giver_name="Robin", giver_email="robin@example.test")
    second = make_gift(item=item, giver_name="Robin", giver_email="robin@example.test")
    someone_else = make_gift(item=item, giver_name="Sam", giver_email="sam@example.test")
    elsewhere = make_gift(giver_name="Robin", giver_email="robin@example.test")
    request = address_request_create(gift=first, by=owner)

    assert (
        address_request_answer(address_request=request, address="  1 Main St \n\n  Springfield   12345 ") == 2
    )

    for gift in (first, second):
        gift.refresh_from_db()
        assert gift.giver_address == "1 Main St\nSpringfield 12345"
    someone_else.refresh_from_db()
    elsewhere.refresh_from_db()
    assert someone_else.giver_address == elsewhere.giver_address == ""
    request.refresh_from_db()
    assert request.answered_at is not None


def test_an_empty_or_overlong_answer_is_refused():
    owner, _, gifts = _registry_with_gifts(1)
    request = address_request_create(gift=gifts[0], by=owner)

    with pytest.raises(GratitudeError, match="address"):
        address_request_answer(address_request=request, address="  \n ")
    with pytest.raises(GratitudeError, match="600"):
        address_request_answer(address_request=request, address="x" * 601)
    request.refresh_from_db()
    assert request.answered_at is None


# --- reminders: who gets one queued -------------------------------------------------------------------------


def _reminders() -> list[Notification]:
    return list(Notification.objects.filter(kind="thank_you_reminder").order_by("recipient_id"))


def _old_gift_registry(**registry_fields):
    """A registry with an owner, a co-registrant, a delegate, and one gift given on T0."""
    owner = make_user(display_name="Alex")
    with time_machine.travel(T0, tick=False):
        registry = make_registry(owner=owner, **registry_fields)
        partner, helper = make_user(display_name="Sam"), make_user(display_name="Helper")
        registry_member_add(registry=registry, user=partner)
        registry_member_add(registry=registry, user=helper, role="delegate")
        gift = make_gift(item=make_item(registry=registry))
    return owner, partner, registry, gift


def test_registrants_get_a_reminder_once_a_gift_is_a_fortnight_old_never_the_delegate():
    owner, partner, registry, _ = _old_gift_registry()

    with time_machine.travel(T0 + timedelta(days=13), tick=False):
        assert thank_you_reminders_enqueue() == 0
    with time_machine.travel(T0 + timedelta(days=14, minutes=1), tick=False):
        assert thank_you_reminders_enqueue() == 2

    rows = _reminders()
    assert [r.recipient for r in rows] == [owner, partner]
    assert {(r.registry_id, r.gift_id) for r in rows} == {(registry.pk, None)}


def test_the_waiting_time_is_a_setting(settings):
    settings.GRATITUDE_THANK_YOU_REMINDER_DAYS = 3
    _old_gift_registry()

    with time_machine.travel(T0 + timedelta(days=3, minutes=1), tick=False):
        assert thank_you_reminders_enqueue() == 2


def test_a_gift_marked_received_is_waiting_from_the_next_day():
    owner, _, _, gift = _old_gift_registry()
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        thank_you_mark_received(gifts=[gift], received=True, by=owner)
        assert thank_you_reminders_enqueue() == 0
    with time_machine.travel(T0 + timedelta(days=2, minutes=1), tick=False):
        assert thank_you_reminders_enqueue() == 2


def test_no_reminder_once_every_gift_is_thanked():
    owner, _, _, gift = _old_gift_registry()
    thank_you_mark(gifts=[gift], status="sent", by=owner)

    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert thank_you_reminders_enqueue() == 0


def test_written_but_not_sent_still_counts_as_waiting():
    owner, _, _, gift = _old_gift_registry()
    thank_you_mark(gifts=[gift], status="written", by=owner)

    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert thank_you_reminders_enqueue() == 2


def test_at_most_one_reminder_a_week_per_registrant_and_registry():
    _old_gift_registry()
    with time_machine.travel(T0 + timedelta(days=20), tick=False):
        assert thank_you_reminders_enqueue() == 2
        assert thank_you_reminders_enqueue() == 0
    with time_machine.travel(T0 + timedelta(days=26), tick=False):
        assert thank_you_reminders_enqueue() == 0
    with time_machine.travel(T0 + timedelta(days=27, minutes=1), tick=False):
        assert thank_you_reminders_enqueue() == 2
    assert len(_reminders()) == 4


def test_no_reminder_about_a_paused_or_archived_registry():
    _, _, paused, _ = _old_gift_registry()
    _, _, archived, _ = _old_gift_registry()
    paused.paused_at = archived.archived_at = T0
    paused.save(update_fields=["paused_at"])
    archived.save(update_fields=["archived_at"])

    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert thank_you_reminders_enqueue() == 0


def test_no_reminder_to_someone_in_quiet_mode_or_unconfirmed():
    owner, partner, _, _ = _old_gift_registry()
    owner.quiet_since = T0
    owner.save(update_fields=["quiet_since"])
    partner.email_verified_at = None
    partner.save(update_fields=["email_verified_at"])

    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert thank_you_reminders_enqueue() == 0


def test_a_rolled_back_reminder_run_leaves_nothing():
    _old_gift_registry()

    with (
        time_machine.travel(T0 + timedelta(days=30), tick=False),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        thank_you_reminders_enqueue()
        raise RuntimeError("the run fails after writing")

    assert _reminders() == []


# --- an address a registrant types in -------------------------------------------------------------------


def test_a_member_types_in_an_address_for_a_giver_who_shared_none():
    _owner, registry, gifts = _registry_with_gifts(1)
    partner = make_user(display_name="Sam")
    registry_member_add(registry=registry, user=partner)

    entered = giver_address_enter(gift=gifts[0], address="  12  Harbour Street \n\n Portsmouth ", by=partner)

    assert entered.address == "12 Harbour Street\nPortsmouth"
    assert entered.entered_by == partner
    assert entered.giver_key == giver_key(email=gifts[0].giver_email, name=gifts[0].giver_name)
    # Never recorded as if the giver had shared it.
    gifts[0].refresh_from_db()
    assert gifts[0].giver_address == ""


def test_typing_again_replaces_it_and_clearing_removes_it():
    owner, _registry, gifts = _registry_with_gifts(1)
    giver_address_enter(gift=gifts[0], address="1 Old Road", by=owner)

    giver_address_enter(gift=gifts[0], address="2 New Road", by=owner)
    assert list(EnteredAddress.objects.values_list("address", flat=True)) == ["2 New Road"]

    assert giver_address_clear(gift=gifts[0], by=owner) is True
    assert giver_address_clear(gift=gifts[0], by=owner) is False
    assert not EnteredAddress.objects.exists()


def test_one_typed_in_address_serves_all_of_a_givers_gifts_even_without_an_email():
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry)
    first = make_gift(item=item, giver_name="Kim  Lee", giver_email="")
    second = make_gift(item=item, giver_name="kim lee", giver_email="")

    giver_address_enter(gift=first, address="3 Elm Road", by=owner)
    giver_address_enter(gift=second, address="4 Elm Road", by=owner)

    assert list(EnteredAddress.objects.values_list("giver_key", "address")) == [("n:kim lee", "4 Elm Road")]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("stranger", "Only the registry's members"),
        ("surprise", "a surprise"),
        ("shared", "shared a mailing address themselves"),
        ("shared-elsewhere", "shared a mailing address themselves"),
        ("cancelled", "no longer on the list"),
        ("empty", "please enter the address"),
        ("long", "keep it under 600 characters"),
    ],
)
def test_typing_in_an_address_is_refused_when_it_makes_no_sense(setup, message):
    owner = make_user()
    registry = make_registry(owner=owner, surprise="covered_only" if setup == "surprise" else "show_all")
    item = make_item(registry=registry)
    gift = make_gift(item=item, giver_email="robin@example.test")
    by, address = owner, "1 Lane"
    if setup == "stranger":
        by = make_user()
    elif setup == "shared":
        Gift.objects.filter(pk=gift.pk).update(giver_address="9 Shared Street")
    elif setup == "shared-elsewhere":
        make_gift(item=item, giver_email="robin@example.test", giver_address="9 Shared Street")
    elif setup == "cancelled":
        gift_cancel(gift=gift)
    elif setup in ("empty", "long"):
        address = " \n " if setup == "empty" else "x" * 601

    with pytest.raises(GratitudeError, match=message):
        giver_address_enter(gift=gift, address=address, by=by)

    assert not EnteredAddress.objects.exists()


def test_only_members_clear_a_typed_in_address():
    owner, _registry, gifts = _registry_with_gifts(1)
    giver_address_enter(gift=gifts[0], address="1 Lane", by=owner)

    with pytest.raises(PermissionDenied):
        giver_address_clear(gift=gifts[0], by=make_user())

    assert EnteredAddress.objects.count() == 1


def test_an_address_the_giver_shares_later_takes_precedence_over_one_typed_in():
    from gratitude.thanks.selectors import giver_address, thank_you_overview

    owner, registry, gifts = _registry_with_gifts(1)
    giver_address_enter(gift=gifts[0], address="1 Guessed Lane", by=owner)
    request = address_request_create(gift=gifts[0], by=owner)
    assert giver_address(gift=gifts[0]) == GiverAddress(
        address="1 Guessed Lane",
        shared_by_giver=False,
        entered_by=owner.name,
        entered_at=EnteredAddress.objects.get().entered_at,
    )

    address_request_answer(address_request=request, address="2 Real Road")

    assert giver_address(gift=gifts[0]) == GiverAddress(address="2 Real Road", shared_by_giver=True)
    giver = thank_you_overview(registry=registry).givers[giver_key(email=gifts[0].giver_email, name="")]
    assert (giver.address, giver.address_entered_by) == ("2 Real Road", None)
