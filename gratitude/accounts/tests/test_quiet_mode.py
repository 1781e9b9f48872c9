"""Quiet mode and trusted delegates (accounts.services, the delegate's accept page; docs/quiet-mode.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.accounts.models import QuietDelegate, User
from gratitude.accounts.services import (
    password_reset_request,
    quiet_delegate_accept,
    quiet_delegate_accept_with_new_password,
    quiet_delegate_invite,
    quiet_delegate_revoke,
    quiet_mode_disable,
    quiet_mode_enable,
)
from gratitude.accounts.tokens import invitation_stamp, make_quiet_delegate_token
from gratitude.core.errors import GratitudeError, PermissionDenied
from gratitude.gifts.models import Reservation, ReservationState
from gratitude.gifts.services import gift_record, reservation_create
from gratitude.notifications.models import Notification, NotificationState
from gratitude.registries.models import MemberRole
from gratitude.registries.selectors import registry_search
from gratitude.registries.services.members import registry_member_add
from gratitude.testing.factories import make_item, make_registry, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def _state(row: Notification) -> tuple[str, str]:
    row.refresh_from_db()
    return row.state, row.reason


def _accepted_delegate(person: User, **fields) -> User:
    delegate = make_user()
    QuietDelegate.objects.create(
        user=person, email=delegate.email, delegate=delegate, accepted_at=timezone.now(), **fields
    )
    return delegate


# --- switching quiet mode -----------------------------------------------------------------------------------


def test_quiet_mode_cancels_the_persons_waiting_registry_mail_at_once():
    owner, partner = make_user(), make_user()
    registry = make_registry(owner=owner)
    registry_member_add(registry=registry, user=partner)
    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")
    mine = Notification.objects.get(gift=gift, recipient=owner)
    theirs = Notification.objects.get(gift=gift, recipient=partner)

    quiet_mode_enable(user=owner, reason="taking a break")

    owner.refresh_from_db()
    assert (
        owner.quiet_since is not None and owner.quiet_by == owner and owner.quiet_reason == "taking a break"
    )
    assert _state(mine) == (NotificationState.SUPPRESSED, "quiet_mode")
    # Quiet mode is for the person; the registry's other registrants still hear (pause is for that).
    assert _state(theirs) == (NotificationState.PENDING, "")


def test_quiet_mode_leaves_the_persons_own_password_reset_waiting():
    person = make_user(password=PASSWORD)
    password_reset_request(email=person.email)
    reset = Notification.objects.get(kind="password_reset")

    quiet_mode_enable(user=person)

    assert _state(reset) == (NotificationState.PENDING, "")


def test_held_and_deferred_rows_are_cancelled_too():
    owner = make_user()
    registry = make_registry(owner=owner)
    held = Notification.objects.get(gift=gift_record(item=make_item(registry=registry), giver_name="A"))
    deferred = Notification.objects.get(gift=gift_record(item=make_item(registry=registry), giver_name="B"))
    Notification.objects.filter(pk=held.pk).update(state=NotificationState.HELD, reason="halted: drill")
    Notification.objects.filter(pk=deferred.pk).update(
        due_at=timezone.now() + timedelta(days=30), reason="daily_digest"
    )

    quiet_mode_enable(user=owner)

    assert _state(held) == (NotificationState.SUPPRESSED, "quiet_mode")
    assert _state(deferred) == (NotificationState.SUPPRESSED, "quiet_mode")
    assert Notification.objects.count() == 2  # cancelled, never deleted


def test_switching_quiet_mode_on_twice_keeps_the_first_time_and_reason():
    person = make_user()
    first = quiet_mode_enable(user=person, reason="first")
    again = quiet_mode_enable(user=person, reason="second")
    assert again.quiet_since == first.quiet_since
    assert again.quiet_reason == "first"


def test_switching_it_off_twice_is_harmless():
    person = make_user()
    quiet_mode_disable(user=person)
    quiet_mode_enable(user=person)
    quiet_mode_disable(user=person)
    quiet_mode_disable(user=person)
    person.refresh_from_db()
    assert (person.quiet_since, person.quiet_by, person.quiet_reason) == (None, None, "")


def test_a_reason_is_optional_but_bounded_and_nothing_is_half_written():
    person = make_user()
    with pytest.raises(GratitudeError, match="reason"):
        quiet_mode_enable(user=person, reason="x" * 501)
    person.refresh_from_db()
    assert person.quiet_since is None


def test_the_callers_user_object_shows_the_change():
    person = make_user()
    quiet_mode_enable(user=person)
    assert person.quiet_since is not None
    quiet_mode_disable(user=person)
    assert person.quiet_since is None


def test_a_stranger_cannot_switch_someones_quiet_mode():
    person, stranger = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        quiet_mode_enable(user=person, by=stranger)
    person.refresh_from_db()
    assert person.quiet_since is None
    quiet_mode_enable(user=person)
    with pytest.raises(PermissionDenied):
        quiet_mode_disable(user=person, by=stranger)
    person.refresh_from_db()
    assert person.quiet_since is not None


def test_an_accepted_trusted_delegate_may_switch_it_both_ways():
    person = make_user()
    delegate = _accepted_delegate(person)
    quiet_mode_enable(user=person, by=delegate)
    person.refresh_from_db()
    assert person.quiet_since is not None and person.quiet_by == delegate
    quiet_mode_disable(user=person, by=delegate)
    person.refresh_from_db()
    assert person.quiet_since is None


@pytest.mark.parametrize("state", ["unanswered", "revoked", "inactive"])
def test_a_delegate_who_has_not_accepted_or_was_revoked_may_not(state):
    person, delegate = make_user(), make_user()
    QuietDelegate.objects.create(
        user=person,
        email=delegate.email,
        delegate=delegate if state != "unanswered" else None,
        accepted_at=timezone.now() if state != "unanswered" else None,
        revoked_at=timezone.now() if state == "revoked" else None,
    )
    if state == "inactive":
        User.objects.filter(pk=delegate.pk).update(is_active=False)
        delegate.refresh_from_db()
    with pytest.raises(PermissionDenied):
        quiet_mode_enable(user=person, by=delegate)


@pytest.mark.parametrize("switch", ["on", "off"])
def test_a_delegate_member_of_the_persons_registry_may_not_switch_their_account_wide_quiet_mode(switch):
    """A registry role was given by the registry's owner, not by the person: it pauses that registry only,
    and never reaches the quiet mode that silences all of the person's registries."""
    owner, co, helper = make_user(), make_user(), make_user()
    registry = make_registry(owner=owner)
    registry_member_add(registry=registry, user=co, role=MemberRole.CO_REGISTRANT)
    registry_member_add(registry=registry, user=helper, role=MemberRole.DELEGATE)
    for person in (owner, co):
        if switch == "off":
            quiet_mode_enable(user=person)
        with pytest.raises(PermissionDenied):
            if switch == "on":
                quiet_mode_enable(user=person, by=helper)
            else:
                quiet_mode_disable(user=person, by=helper)
        person.refresh_from_db()
        assert (person.quiet_since is None) == (switch == "on")


def test_a_co_registrant_is_not_a_trusted_delegate():
    owner, partner = make_user(), make_user()
    registry_member_add(registry=make_registry(owner=owner), user=partner, role=MemberRole.CO_REGISTRANT)
    with pytest.raises(PermissionDenied):
        quiet_mode_enable(user=owner, by=partner)


def test_a_registry_delegate_cannot_quiet_another_delegate_of_the_same_registry():
    """Quiet mode for someone is only for a delegate of *their* registry; a fellow helper is not theirs."""
    owner, helper, other_helper = make_user(), make_user(), make_user()
    registry = make_registry(owner=owner)
    registry_member_add(registry=registry, user=helper, role=MemberRole.DELEGATE)
    registry_member_add(registry=registry, user=other_helper, role=MemberRole.DELEGATE)
    with pytest.raises(PermissionDenied):
        quiet_mode_enable(user=other_helper, by=helper)


def test_an_owner_in_quiet_mode_takes_their_registry_out_of_search_and_releases_its_holds():
    owner = make_user(display_name="Quinn Quietly")
    registry = make_registry(owner=owner, visibility="public")
    hold = reservation_create(item=make_item(registry=registry), giver_name="Robin")
    assert [r.title for r in registry_search(name="Quinn")] == [registry.title]

    quiet_mode_enable(user=owner)

    assert registry_search(name="Quinn") == []
    hold.refresh_from_db()
    assert hold.state == ReservationState.RELEASED


def test_a_co_registrant_in_quiet_mode_leaves_the_registry_findable():
    owner, partner = make_user(display_name="Open Owner"), make_user(display_name="Pat Partner")
    registry = make_registry(owner=owner, visibility="public")
    registry_member_add(registry=registry, user=partner)
    hold = reservation_create(item=make_item(registry=registry), giver_name="Robin")

    quiet_mode_enable(user=partner)

    assert [r.title for r in registry_search(name="Open")] == [registry.title]
    assert Reservation.objects.get(pk=hold.pk).state == ReservationState.HELD


def test_resuming_cancels_what_was_written_while_quiet_and_new_events_alert_again():
    owner = make_user()
    registry = make_registry(owner=owner)
    quiet_mode_enable(user=owner)
    # The row is written (and cancelled) while quiet; make it look like one that slipped through and waits.
    during = Notification.objects.get(gift=gift_record(item=make_item(registry=registry), giver_name="A"))
    assert _state(during) == (NotificationState.SUPPRESSED, "quiet_mode")
    Notification.objects.filter(pk=during.pk).update(state=NotificationState.PENDING, reason="")

    quiet_mode_disable(user=owner)

    assert _state(during) == (NotificationState.SUPPRESSED, "quiet_mode")
    after = Notification.objects.get(gift=gift_record(item=make_item(registry=registry), giver_name="B"))
    assert _state(after) == (NotificationState.PENDING, "")


# --- naming a trusted delegate ------------------------------------------------------------------------------


def test_naming_a_delegate_queues_one_invitation_to_that_address():
    person = make_user()
    delegation = quiet_delegate_invite(user=person, email="  Sam@Example.TEST ", receives_must_go=True)
    assert (delegation.email, delegation.receives_must_go, delegation.accepted_at) == (
        "sam@example.test",
        True,
        None,
    )
    [row] = Notification.objects.filter(kind="quiet_delegate_invitation")
    assert row.recipient.email == "sam@example.test"
    assert row.registry_id is None and row.gift_id is None


@pytest.mark.parametrize("email", ["not an address", ""])
def test_a_bad_address_is_refused(email):
    with pytest.raises(GratitudeError, match="email"):
        quiet_delegate_invite(user=make_user(), email=email)
    assert not QuietDelegate.objects.exists()


def test_you_cannot_name_yourself():
    person = make_user()
    with pytest.raises(GratitudeError, match="other than yourself"):
        quiet_delegate_invite(user=person, email=person.email.upper())


def test_naming_an_accepted_delegate_again_changes_only_the_choice_and_sends_nothing():
    person = make_user()
    delegate = _accepted_delegate(person)
    again = quiet_delegate_invite(user=person, email=delegate.email, receives_must_go=True)
    assert again.accepted_at is not None and again.receives_must_go is True
    assert not Notification.objects.filter(kind="quiet_delegate_invitation").exists()


def test_an_address_gets_only_a_few_invitations_a_day():
    person = make_user()
    for _ in range(3):
        delegation = quiet_delegate_invite(user=person, email="sam@example.test")
        quiet_delegate_revoke(delegation=delegation, by=person)
    with pytest.raises(GratitudeError, match="several invitations"):
        quiet_delegate_invite(user=person, email="sam@example.test")
    assert Notification.objects.filter(kind="quiet_delegate_invitation").count() == 3


def test_accepting_through_the_link_makes_them_a_delegate_who_may_switch_quiet_mode():
    person = make_user()
    sam = make_user(email="sam@example.test", verified=False)
    delegation = quiet_delegate_invite(user=person, email=sam.email)

    accepted = quiet_delegate_accept(token=make_quiet_delegate_token(delegation), by=sam)

    assert accepted.delegate == sam and accepted.accepted_at is not None
    sam.refresh_from_db()
    assert sam.email_verified  # the link went only to this address
    quiet_mode_enable(user=person, by=sam)


def test_only_the_named_address_may_accept():
    person, other = make_user(), make_user()
    delegation = quiet_delegate_invite(user=person, email="sam@example.test")
    with pytest.raises(PermissionDenied):
        quiet_delegate_accept(token=make_quiet_delegate_token(delegation), by=other)
    delegation.refresh_from_db()
    assert delegation.accepted_at is None


def test_a_tampered_or_replaced_link_is_refused():
    person = make_user()
    sam = make_user(email="sam@example.test")
    delegation = quiet_delegate_invite(user=person, email=sam.email)
    old_token = make_quiet_delegate_token(delegation)
    with pytest.raises(GratitudeError, match="expired or is not complete"):
        quiet_delegate_accept(token=old_token[:-2] + "xx", by=sam)
    quiet_delegate_revoke(delegation=delegation, by=person)
    with pytest.raises(GratitudeError, match="withdrawn or replaced"):
        quiet_delegate_accept(token=old_token, by=sam)
    # Named again: a new link works, the old one still does not.
    again = quiet_delegate_invite(user=person, email=sam.email)
    with pytest.raises(GratitudeError, match="withdrawn or replaced"):
        quiet_delegate_accept(token=old_token, by=sam)
    assert quiet_delegate_accept(token=make_quiet_delegate_token(again), by=sam).accepted_at is not None


def test_a_link_for_another_address_is_refused(settings):
    person = make_user()
    delegation = quiet_delegate_invite(user=person, email="sam@example.test")
    forged = signing.dumps(
        {"q": delegation.pk, "t": invitation_stamp(delegation), "a": "0" * 20},
        salt="gratitude.accounts.quiet-delegate",
    )
    with pytest.raises(GratitudeError):
        quiet_delegate_accept(token=forged, by=User.objects.get(email="sam@example.test"))


def test_revoking_ends_the_right_to_switch_and_only_the_two_of_them_may_revoke():
    person, stranger = make_user(), make_user()
    delegate = _accepted_delegate(person)
    delegation = QuietDelegate.objects.get(delegate=delegate)
    with pytest.raises(PermissionDenied):
        quiet_delegate_revoke(delegation=delegation, by=stranger)

    quiet_delegate_revoke(delegation=delegation, by=delegate)
    first = QuietDelegate.objects.get(pk=delegation.pk).revoked_at
    quiet_delegate_revoke(delegation=delegation, by=person)  # idempotent

    assert QuietDelegate.objects.get(pk=delegation.pk).revoked_at == first
    with pytest.raises(PermissionDenied):
        quiet_mode_enable(user=person, by=delegate)


def test_a_new_account_accepts_by_choosing_a_name_and_password():
    person = make_user()
    delegation = quiet_delegate_invite(user=person, email="new.person@example.test")
    token = make_quiet_delegate_token(delegation)
    with pytest.raises(GratitudeError, match="password"):
        quiet_delegate_accept_with_new_password(token=token, display_name="New Person", password="short")
    assert not User.objects.get(email="new.person@example.test").has_usable_password()

    user = quiet_delegate_accept_with_new_password(token=token, display_name="New Person", password=PASSWORD)

    assert user.check_password(PASSWORD) and user.display_name == "New Person"
    assert QuietDelegate.objects.get(pk=delegation.pk).delegate == user


# --- the accept page --------------------------------------------------------------------------------------


def _invited(**fields):
    person = make_user(display_name="Alex Rivera")
    sam = make_user(email="sam@example.test", password=PASSWORD, **fields)
    delegation = quiet_delegate_invite(user=person, email=sam.email, receives_must_go=True)
    url = reverse("accounts:quiet_delegate", args=[make_quiet_delegate_token(delegation)])
    return person, sam, delegation, url


def test_opening_the_link_only_shows_the_invitation(client: Client):
    _, sam, delegation, url = _invited()
    client.force_login(sam)
    response = client.get(url)
    assert response.status_code == 200
    assert b"Alex Rivera" in response.content
    delegation.refresh_from_db()
    assert delegation.accepted_at is None  # mail scanners follow links: GET changes nothing


def test_the_invitee_accepts_with_a_post(client: Client):
    _, sam, delegation, url = _invited()
    client.force_login(sam)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    delegation.refresh_from_db()
    assert delegation.delegate == sam


def test_someone_else_signed_in_cannot_accept(client: Client):
    _, _, delegation, url = _invited()
    client.force_login(make_user())
    response = client.post(url)
    assert b"different address" in response.content
    delegation.refresh_from_db()
    assert delegation.accepted_at is None


def test_the_page_needs_its_csrf_token():
    _, sam, delegation, url = _invited()
    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    assert client.post(url).status_code == 403
    delegation.refresh_from_db()
    assert delegation.accepted_at is None


def test_a_bad_link_gets_one_not_found_page(client: Client):
    response = client.get(reverse("accounts:quiet_delegate", args=["nonsense"]))
    assert response.status_code == 404


def test_names_are_escaped_on_the_page(client: Client):
    person = make_user(display_name="<script>x</script>")
    delegation = quiet_delegate_invite(user=person, email="sam@example.test")
    response = client.get(reverse("accounts:quiet_delegate", args=[make_quiet_delegate_token(delegation)]))
    assert b"<script>x</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_a_new_account_accepts_on_the_page_and_is_signed_in(client: Client):
    person = make_user()
    delegation = quiet_delegate_invite(user=person, email="new.person@example.test")
    url = reverse("accounts:quiet_delegate", args=[make_quiet_delegate_token(delegation)])
    response = client.post(url, {"display_name": "New Person", "password": PASSWORD})
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.delegate is not None and delegation.delegate.email == "new.person@example.test"
    assert client.session.get("_auth_user_id") == str(delegation.delegate.pk)


@pytest.mark.django_db(transaction=True)
def test_a_failed_enable_writes_nothing():
    """One transaction: a refusal after the checks leaves no half-written quiet mode."""
    person = make_user()
    registry = make_registry(owner=person)
    gift = gift_record(item=make_item(registry=registry), giver_name="Robin")
    row = Notification.objects.get(gift=gift)
    with pytest.raises(RuntimeError), transaction.atomic():
        quiet_mode_enable(user=person)
        raise RuntimeError("the caller's transaction fails after the call")
    person.refresh_from_db()
    assert person.quiet_since is None
    assert _state(row) == (NotificationState.PENDING, "")
