"""Quiet mode and paused registries at send time (notifications/sending/quiet_mode.py, docs/safety.md promise
9), on the real sending path: outbox, guards, the worker and a real SMTP server."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from gratitude.accounts.models import QuietDelegate
from gratitude.accounts.services import password_reset_request, quiet_mode_enable
from gratitude.gifts.services import gift_record
from gratitude.notifications.models import Notification, NotificationState
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.sending import quiet_mode
from gratitude.registries.services.invitations import registry_invitation_create
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.services.pause import registry_pause
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def drain() -> None:
    call_command("worker", drain=True, verbosity=0)


def kinds_at(sink, address):
    return sorted(str(m["X-Gratitude-Kind"]) for m in sink.to(address))


def _trusted(person, *, receives_must_go=True):
    delegate = make_user(display_name="Sam Trusted")
    QuietDelegate.objects.create(
        user=person,
        email=delegate.email,
        delegate=delegate,
        accepted_at=timezone.now(),
        receives_must_go=receives_must_go,
    )
    return delegate


def test_which_kinds_still_go_to_a_quiet_person_is_a_deliberate_short_list():
    """Adding a kind that reaches a quiet person must be a decision (docs/quiet-mode.md), never a default."""
    going = sorted(name for name in KINDS if quiet_mode._goes_while_quiet(name))
    assert going == [
        "email_verify",
        "gift_receipt",
        "password_reset",
        "quiet_delegate_invitation",
        "signup_existing",
    ]
    assert quiet_mode._goes_while_quiet("some_kind_added_later") is False


def test_a_gift_alert_queued_before_quiet_mode_is_never_sent(smtp_settings):
    owner = make_user()
    registry = make_registry(owner=owner)
    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")
    # Written before quiet mode, then quiet mode set behind the services' back: only the send-time check
    # stands between the row and the person.
    owner.quiet_since = timezone.now()
    owner.save(update_fields=["quiet_since"])
    drain()

    row = Notification.objects.get(gift=gift, recipient=owner)
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "quiet_mode")
    assert smtp_settings.messages == []


def test_a_paused_registry_stops_its_mail_to_everyone_at_send_time(smtp_settings):
    owner, partner = make_user(), make_user()
    registry = make_registry(owner=owner)
    registry_member_add(registry=registry, user=partner)
    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")
    registry.paused_at = timezone.now()
    registry.save(update_fields=["paused_at"])
    drain()

    rows = Notification.objects.filter(gift=gift)
    assert {(r.recipient_id, r.state, r.reason) for r in rows} == {
        (owner.pk, NotificationState.SUPPRESSED, "registry_paused"),
        (partner.pk, NotificationState.SUPPRESSED, "registry_paused"),
    }
    assert smtp_settings.messages == []


def test_only_the_paused_registry_is_silenced(smtp_settings):
    owner = make_user()
    paused, other = make_registry(owner=owner), make_registry(owner=owner)
    registry_pause(registry=paused, by=owner)
    gift_record(item=make_item(registry=paused), giver_name="Robin")
    kept = gift_record(item=make_item(registry=other), giver_name="Kim")
    drain()

    assert kinds_at(smtp_settings, owner.email) == ["gift_alert"]
    assert Notification.objects.get(gift=kept).state == NotificationState.SENT


def test_a_receipt_the_quiet_person_asked_for_goes_to_their_delegate(smtp_settings):
    giver = make_user(display_name="Jo Giver")
    delegate = _trusted(giver)
    quiet_mode_enable(user=giver)
    friend_registry = make_registry()
    gift = gift_record(
        item=make_item(registry=friend_registry), giver_name="Jo", giver_email=giver.email, send_receipt=True
    )
    drain()

    receipt = Notification.objects.get(kind="gift_receipt", gift=gift)
    assert receipt.state == NotificationState.SENT
    assert receipt.sent_to == delegate.email
    assert kinds_at(smtp_settings, delegate.email) == ["gift_receipt"]
    assert smtp_settings.to(giver.email) == []


def test_a_receipt_goes_to_the_quiet_person_when_no_delegate_chose_to_receive_it(smtp_settings):
    giver = make_user()
    delegate = _trusted(giver, receives_must_go=False)
    quiet_mode_enable(user=giver)
    gift = gift_record(item=make_item(), giver_name="Jo", giver_email=giver.email, send_receipt=True)
    drain()

    assert Notification.objects.get(kind="gift_receipt", gift=gift).sent_to == giver.email
    assert smtp_settings.to(delegate.email) == []


def test_a_revoked_delegate_no_longer_receives_must_go_mail(smtp_settings):
    giver = make_user()
    delegate = _trusted(giver)
    QuietDelegate.objects.filter(delegate=delegate).update(revoked_at=timezone.now())
    quiet_mode_enable(user=giver)
    gift_record(item=make_item(), giver_name="Jo", giver_email=giver.email, send_receipt=True)
    drain()

    assert kinds_at(smtp_settings, giver.email) == ["gift_receipt"]
    assert smtp_settings.to(delegate.email) == []


def test_a_password_reset_goes_to_the_person_themselves_never_to_a_delegate(smtp_settings):
    person = make_user(password="a long enough passphrase 42")
    delegate = _trusted(person)
    quiet_mode_enable(user=person)
    password_reset_request(email=person.email)
    drain()

    assert kinds_at(smtp_settings, person.email) == ["password_reset"]
    assert smtp_settings.to(delegate.email) == []
    assert Notification.objects.get(kind="password_reset").sent_to == person.email


def test_a_row_written_while_quiet_is_refused_at_send_time(smtp_settings):
    owner = make_user(display_name="Alex")
    invitee = make_user()
    quiet_mode_enable(user=invitee)
    registry_invitation_create(
        registry=make_registry(owner=owner), invited_by=owner, email=invitee.email, name="Kim"
    )
    row = Notification.objects.get(kind="registry_invitation")
    assert row.state == NotificationState.PENDING  # nothing cancelled it when it was written
    drain()

    row.refresh_from_db()
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "quiet_mode")
    assert smtp_settings.messages == []


def test_suppress_queued_needs_to_be_told_whose_rows():
    with pytest.raises(ValueError, match="whose rows"):
        quiet_mode.suppress_queued()


def test_suppress_queued_never_touches_a_row_a_worker_holds():
    owner = make_user()
    registry = make_registry(owner=owner)
    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")
    Notification.objects.filter(gift=gift).update(state=NotificationState.SENDING, lease_owner="w1")
    owner.quiet_since = timezone.now()
    owner.save(update_fields=["quiet_since"])

    assert quiet_mode.suppress_queued(user=owner) == 0
    row = Notification.objects.get(gift=gift)
    assert (row.state, row.lease_owner) == (NotificationState.SENDING, "w1")


def test_held_rows_are_cancelled_not_released_by_a_later_resume(smtp_settings):
    from gratitude.operations.services import sends_halt, sends_resume

    owner = make_user()
    registry = make_registry(owner=owner)
    sends_halt(kind=None, by="ops", reason="drill")
    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")
    drain()
    assert Notification.objects.get(gift=gift).state == NotificationState.HELD

    registry_pause(registry=registry, by=owner)
    sends_resume(kind=None, by="ops", reason="drill over")
    drain()

    row = Notification.objects.get(gift=gift)
    assert (row.state, row.reason) == (NotificationState.SUPPRESSED, "registry_paused")
    assert smtp_settings.messages == []
