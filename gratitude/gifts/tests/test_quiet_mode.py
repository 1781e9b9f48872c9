"""Holds on a registry that stepped back (paused, or its owner in quiet mode): released, and their givers told
kindly only if they asked for mail (the `reservation_released` kind; docs/quiet-mode.md)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from gratitude.accounts.services import quiet_mode_enable
from gratitude.core.errors import GratitudeError
from gratitude.gifts.models import ReleasedBy, Reservation, ReservationState
from gratitude.gifts.notifications import reservation_released_enqueue, reservation_released_provenance
from gratitude.gifts.services import (
    reservation_create,
    reservation_fulfil,
    reservation_release,
    reservations_release_for_step_back,
)
from gratitude.notifications.models import Notification, NotificationState
from gratitude.registries.models import Registry
from gratitude.registries.services.pause import registry_pause, registry_resume
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)

# Words that have no place in a message about a registry that stepped back: no reason, no condolence, no
# question, no survey.
UNKIND = ("loss", "lost", "sorry", "condolence", "survey", "feedback", "why", "are you sure", "baby")


def drain() -> None:
    call_command("worker", drain=True, verbosity=0)


def _held(registry, *, remind=True, email="robin@example.test"):
    item = make_item(registry=registry, title="Wooden salad bowl")
    return reservation_create(item=item, giver_name="Robin", giver_email=email, remind=remind)


def test_pausing_releases_the_holds_and_tells_only_the_givers_who_asked_for_mail(smtp_settings):
    make_user(email="robin@example.test", display_name="Robin")  # a giver who confirmed the address
    owner = make_user()
    registry = make_registry(owner=owner, title="Baby Rivera", occasion="baby")
    asked = _held(registry, email="robin@example.test")
    silent = _held(registry, remind=False, email="kim@example.test")

    registry_pause(registry=registry, by=owner)
    drain()

    for hold in (asked, silent):
        hold.refresh_from_db()
        assert hold.state == ReservationState.RELEASED
    [message] = smtp_settings.to("robin@example.test")
    assert message["X-Gratitude-Kind"] == "reservation_released"
    assert smtp_settings.to("kim@example.test") == []
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hi Robin," in text and "Wooden salad bowl" in text and "nothing you need to do" in text
    body = text.lower().replace("baby rivera", "")  # the registry's own title is what the registrants wrote
    # The words, not the links: a signed link's random letters once spelled "why" (and failed this test).
    body = re.sub(r"https?://\S+", "", body)
    for word in UNKIND:
        assert word not in body, word
    # Their reminder, asked for before the pause, never comes: the hold it speaks of is gone.
    reminder = Notification.objects.get(kind="reservation_reminder", recipient__email="robin@example.test")
    assert reminder.state == NotificationState.SUPPRESSED


def test_an_owner_in_quiet_mode_releases_the_holds_too(smtp_settings):
    owner = make_user()
    registry = make_registry(owner=owner)
    hold = _held(registry)

    quiet_mode_enable(user=owner)
    drain()

    hold.refresh_from_db()
    assert hold.state == ReservationState.RELEASED
    assert [m["X-Gratitude-Kind"] for m in smtp_settings.to("robin@example.test")] == ["reservation_released"]


def test_a_hold_that_had_already_lapsed_is_ended_without_a_word(smtp_settings):
    owner = make_user()
    registry = make_registry(owner=owner)
    hold = _held(registry)
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        registry_pause(registry=registry, by=owner)
        drain()
    hold.refresh_from_db()
    assert hold.state == ReservationState.RELEASED
    assert not Notification.objects.filter(kind="reservation_released").exists()


def test_pausing_twice_tells_the_giver_once(smtp_settings):
    owner = make_user()
    registry = make_registry(owner=owner)
    _held(registry)
    registry_pause(registry=registry, by=owner)
    registry_pause(registry=registry, by=owner)
    drain()
    assert len(smtp_settings.to("robin@example.test")) == 1


def test_a_registry_that_stepped_back_takes_no_new_holds_and_says_so_neutrally():
    owner = make_user()
    registry = make_registry(owner=owner)
    item = make_item(registry=registry)
    registry_pause(registry=registry, by=owner)
    with pytest.raises(GratitudeError, match="isn't taking gifts right now"):
        reservation_create(item=item, giver_name="Robin")
    assert not Reservation.objects.exists()


def test_a_released_hold_cannot_be_fulfilled_and_the_giver_is_told_neutrally():
    owner = make_user()
    registry = make_registry(owner=owner)
    hold = _held(registry, remind=False)
    registry_pause(registry=registry, by=owner)
    with pytest.raises(GratitudeError, match="isn't taking gifts right now"):
        reservation_fulfil(reservation=hold)


def test_only_a_registry_that_stepped_back_has_its_holds_released_this_way():
    registry = make_registry()
    hold = _held(registry, remind=False)
    with pytest.raises(GratitudeError):
        reservations_release_for_step_back(registry=registry)
    hold.refresh_from_db()
    assert hold.state == ReservationState.HELD


# --- provenance at send time ------------------------------------------------------------------------------


def _row_for(hold) -> Notification:
    with transaction.atomic():
        return reservation_released_enqueue(reservation=hold)


def test_a_notice_for_a_hold_the_giver_released_themselves_is_a_breach():
    owner = make_user()
    registry = make_registry(owner=owner)
    hold = _held(registry)
    reservation_release(reservation=hold)  # the giver's own act, before any pause
    registry_pause(registry=registry, by=owner)
    refusal = reservation_released_provenance(_row_for(Reservation.objects.get(pk=hold.pk)))
    assert refusal is not None and (refusal.reason, refusal.breach) == ("released_by_giver", True)


def test_a_notice_for_a_hold_still_held_is_a_breach():
    hold = _held(make_registry())
    refusal = reservation_released_provenance(_row_for(hold))
    assert refusal is not None and (refusal.reason, refusal.breach) == ("not_released", True)


def test_a_notice_to_someone_who_asked_for_nothing_cannot_be_written():
    hold = _held(make_registry(), remind=False)
    with pytest.raises(ValueError, match="asked for no mail"), transaction.atomic():
        reservation_released_enqueue(reservation=hold)


def test_a_notice_not_yet_sent_when_the_registry_resumed_is_dropped_quietly(smtp_settings):
    owner = make_user()
    registry = make_registry(owner=owner)
    _held(registry)
    registry_pause(registry=registry, by=owner)
    registry_resume(registry=registry, by=owner)
    drain()
    row = Notification.objects.get(kind="reservation_released")
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "registry_resumed")
    assert smtp_settings.to("robin@example.test") == []


def test_quiet_mode_ended_then_a_pause_before_the_worker_runs_sends_the_notice_and_trips_nothing(
    smtp_settings,
):
    """A hold released when the owner went quiet; quiet mode ended and the registry was paused before the
    notice went out. The registry has stepped back again, so the notice is as true as when it was written;
    it must not read as a forged one (the step back it sees is later than the release)."""
    from gratitude.accounts.services import quiet_mode_disable
    from gratitude.operations.models import SendControl

    owner = make_user()
    registry = make_registry(owner=owner)
    hold = _held(registry)
    quiet_mode_enable(user=owner)
    quiet_mode_disable(user=owner)
    registry_pause(registry=Registry.objects.get(pk=registry.pk), by=owner)

    drain()

    row = Notification.objects.get(kind="reservation_released")
    assert row.state == NotificationState.SENT, row.reason
    assert len(smtp_settings.to("robin@example.test")) == 1
    assert not SendControl.objects.filter(halted=True).exists()
    hold.refresh_from_db()
    assert hold.released_by == ReleasedBy.STEP_BACK


def test_holds_released_before_the_field_existed_are_classified_by_the_old_rule():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("gratitude.gifts.migrations.0004_reservation_released_by")
    owner = make_user()
    registry = make_registry(owner=owner)
    by_giver, by_pause = _held(registry, email="a@example.test"), _held(registry, email="b@example.test")
    reservation_release(reservation=by_giver)
    registry_pause(registry=registry, by=owner)
    Reservation.objects.filter(pk__in=[by_giver.pk, by_pause.pk]).update(released_by="")

    migration.classify_earlier_releases(apps, None)

    assert Reservation.objects.get(pk=by_giver.pk).released_by == ReleasedBy.GIVER
    assert Reservation.objects.get(pk=by_pause.pk).released_by == ReleasedBy.STEP_BACK
