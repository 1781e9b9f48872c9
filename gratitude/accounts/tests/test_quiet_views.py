"""The person's side of quiet mode and occasion opt-outs (docs/safety.md promise 9): one button each way,
a note never required, a calm confirmation; naming, seeing and withdrawing trusted delegates and choosing
whether must-go mail goes to them; a delegate switching quiet mode for the person who trusts them; and the
"Never send me anything about" checkboxes. Everything scoped to who asks."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.accounts.models import QuietDelegate
from gratitude.accounts.services import quiet_delegate_invite, quiet_delegate_revoke
from gratitude.notifications.models import Notification
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db

UNKIND = (b"sorry", b"are you sure", b"loss", b"condolence", b"survey")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _main(response) -> bytes:
    return response.content.split(b"<main>")[1].split(b"</main>")[0]


def _accepted(user, delegate, *, receives_must_go=False) -> QuietDelegate:
    delegation = quiet_delegate_invite(user=user, email=delegate.email, receives_must_go=receives_must_go)
    QuietDelegate.objects.filter(pk=delegation.pk).update(delegate=delegate, accepted_at=timezone.now())
    delegation.refresh_from_db()
    return delegation


# --- Quiet mode ----------------------------------------------------------------------------------------


def test_one_press_switches_quiet_mode_on_without_a_reason_and_a_calm_page_says_so():
    person = make_user()
    client = _client(person)

    response = client.post(reverse("accounts:quiet_on"))

    assert response["Location"] == reverse("accounts:quiet_on")
    person.refresh_from_db()
    assert person.quiet_since is not None and person.quiet_by == person and person.quiet_reason == ""
    done = _main(client.get(reverse("accounts:quiet_on")))
    assert b"Quiet mode is on" in done and b"Thank You List" in done
    assert done.count(b"<button") == 1 and b"Switch quiet mode off</button>" in done
    for unkind in UNKIND:
        assert unkind not in done.lower()


def test_a_note_may_be_given_and_one_too_long_is_shown_to_fix():
    person = make_user()
    client = _client(person)

    too_long = client.post(reverse("accounts:quiet_on"), {"reason": "x" * 501})
    assert too_long.status_code == 400
    assert b"at most 500 characters" in too_long.content
    person.refresh_from_db()
    assert person.quiet_since is None

    client.post(reverse("accounts:quiet_on"), {"reason": "  taking a break  "})
    person.refresh_from_db()
    assert person.quiet_reason == "taking a break"


def test_resuming_is_one_press():
    person = make_user()
    client = _client(person)
    client.post(reverse("accounts:quiet_on"))

    response = client.post(reverse("accounts:quiet_off"))

    assert response["Location"] == reverse("accounts:quiet")
    person.refresh_from_db()
    assert person.quiet_since is None
    # The confirmation page of a person who is not quiet leads back to the quiet mode page.
    assert client.get(reverse("accounts:quiet_on"))["Location"] == reverse("accounts:quiet")


def test_the_quiet_page_asks_nothing_and_needs_signing_in():
    page = _main(_client(make_user()).get(reverse("accounts:quiet")))
    assert b"Switch quiet mode on</button>" in page
    assert b"(optional)" in page
    for unkind in UNKIND:
        assert unkind not in page.lower()
    assert "/accounts/login/" in Client().get(reverse("accounts:quiet"))["Location"]
    assert "/accounts/login/" in Client().post(reverse("accounts:quiet_on"))["Location"]


def test_switching_quiet_mode_needs_the_csrf_token():
    person = make_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    assert client.post(reverse("accounts:quiet_on")).status_code == 403
    person.refresh_from_db()
    assert person.quiet_since is None


# --- Trusted delegates ------------------------------------------------------------------------------------


def test_naming_a_delegate_by_email_asks_them_and_lists_them():
    person = make_user()
    client = _client(person)

    response = client.post(
        reverse("accounts:quiet_delegate_invite"), {"email": "Robin@Example.test", "receives_must_go": "on"}
    )

    assert response["Location"] == reverse("accounts:quiet")
    delegation = QuietDelegate.objects.get(user=person)
    assert (delegation.email, delegation.receives_must_go, delegation.accepted_at) == (
        "robin@example.test",
        True,
        None,
    )
    assert Notification.objects.filter(kind="quiet_delegate_invitation").count() == 1
    page = client.get(reverse("accounts:quiet"))
    assert b"robin@example.test" in page.content and b"no answer yet" in page.content
    assert b"gets the messages that must still go" in page.content


def test_a_bad_address_is_shown_to_fix():
    person = make_user()
    client = _client(person)

    for email, error in (
        ("not an address", b"Enter a valid email address"),
        (person.email, b"other than yourself"),
    ):
        response = client.post(reverse("accounts:quiet_delegate_invite"), {"email": email})
        assert response.status_code == 400
        assert error in response.content
    assert not QuietDelegate.objects.exists()


def test_the_must_go_choice_can_be_changed_for_an_accepted_delegate():
    person, robin = make_user(), make_user()
    delegation = _accepted(person, robin)
    client = _client(person)

    client.post(reverse("accounts:quiet_delegate_invite"), {"email": robin.email, "receives_must_go": "on"})

    delegation.refresh_from_db()
    assert delegation.receives_must_go is True
    assert b"Accepted on" in client.get(reverse("accounts:quiet")).content


def test_withdrawing_a_delegate_and_others_get_404():
    person, robin, stranger = make_user(), make_user(), make_user()
    delegation = _accepted(person, robin)
    url = reverse("accounts:quiet_delegate_revoke", args=[delegation.pk])

    assert _client(stranger).post(url).status_code == 404
    response = _client(person).post(url)

    assert response["Location"] == reverse("accounts:quiet")
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert robin.email.encode() not in _client(person).get(reverse("accounts:quiet")).content


def test_a_delegate_switches_quiet_mode_for_the_person_who_trusts_them_and_may_step_down():
    person, robin = make_user(display_name="Alex"), make_user()
    delegation = _accepted(person, robin)
    client = _client(robin)

    page = client.get(reverse("accounts:quiet"))
    assert b"Switch quiet mode on for Alex</button>" in page.content

    client.post(reverse("accounts:quiet_for", args=[person.pk]), {"action": "on"})
    person.refresh_from_db()
    assert person.quiet_since is not None and person.quiet_by == robin
    assert b"switched on for you by" in _client(person).get(reverse("accounts:quiet")).content

    client.post(reverse("accounts:quiet_for", args=[person.pk]), {"action": "off"})
    person.refresh_from_db()
    assert person.quiet_since is None

    client.post(reverse("accounts:quiet_delegate_revoke", args=[delegation.pk]))
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert client.post(reverse("accounts:quiet_for", args=[person.pk]), {"action": "on"}).status_code == 404


def test_only_people_who_trust_you_can_be_switched():
    person, stranger, invited = make_user(), make_user(), make_user()
    quiet_delegate_invite(user=person, email=invited.email)  # invited, not accepted
    withdrawn = _accepted(person, make_user())
    quiet_delegate_revoke(delegation=withdrawn, by=person)

    for who in (stranger, invited, withdrawn.delegate):
        response = _client(who).post(reverse("accounts:quiet_for", args=[person.pk]), {"action": "on"})
        assert response.status_code == 404
    person.refresh_from_db()
    assert person.quiet_since is None


# --- Occasion opt-outs ------------------------------------------------------------------------------------


def test_occasion_checkboxes_are_on_the_preferences_page_and_save_the_whole_set():
    person = make_user()
    client = _client(person)

    page = client.get(reverse("accounts:mail_preferences"))
    for label in (b"Baby", b"Wedding", b"Birthday", b"Housewarming", b"Graduation", b"Holidays"):
        assert label in page.content
    for label in (b"Mother&#x27;s Day", b"Father&#x27;s Day", b"Valentine&#x27;s Day"):
        assert label in page.content
    assert b"Never send me anything about" in page.content

    response = client.post(reverse("accounts:occasion_opt_outs"), {"occasions": ["baby", "mothers_day"]})

    assert response["Location"] == reverse("accounts:mail_preferences")
    person.refresh_from_db()
    assert person.occasion_opt_outs == ["baby", "mothers_day"]
    page = client.get(reverse("accounts:mail_preferences"))
    assert b'value="baby" id="id_occasions_0" checked' in page.content

    client.post(reverse("accounts:occasion_opt_outs"), {})
    person.refresh_from_db()
    assert person.occasion_opt_outs == []


def test_an_unknown_occasion_is_shown_to_fix_and_nothing_changes():
    person = make_user()
    client = _client(person)
    client.post(reverse("accounts:occasion_opt_outs"), {"occasions": ["wedding"]})

    response = client.post(reverse("accounts:occasion_opt_outs"), {"occasions": ["funeral"]})

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    person.refresh_from_db()
    assert person.occasion_opt_outs == ["wedding"]
