"""Account services called directly: one account per address, whatever the letter case; sign-up that does the
same, and tells nothing, whatever the address's state."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gratitude.accounts import services
from gratitude.accounts.models import PendingSignup, User
from gratitude.accounts.services import (
    SIGNUP_MAILS_PER_HOUR,
    EmailAlreadyRegistered,
    SignupLinkInvalid,
    user_create,
    user_signup,
    user_signup_finish,
    user_verify_email,
)
from gratitude.accounts.tokens import VERIFY_MAX_AGE_SECONDS, make_verify_token
from gratitude.core.errors import GratitudeError
from gratitude.notifications.models import Notification
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"
OTHER_PASSWORD = "someone-elses-passphrase-17"


def test_user_create_refuses_an_address_that_differs_only_in_case():
    user_create(email="alex@example.test")

    with pytest.raises(EmailAlreadyRegistered):
        user_create(email="ALEX@example.TEST")

    assert User.objects.count() == 1


def test_user_create_without_password_leaves_an_unusable_one():
    user = user_create(email="nopass@example.test")

    assert not user.has_usable_password()


def test_user_verify_email_returns_none_for_a_deleted_account():
    user = make_user(verified=False)
    token = make_verify_token(user)
    user.delete()

    assert user_verify_email(token=token) is None


# --- Sign-up, for every state an address can be in ----------------------------------------------------


def _address_only(email="robin@example.test"):
    from gratitude.registries.services import account_for_address

    return account_for_address(email=email)


def _rows(email):
    return [(row.kind, row.recipient.email) for row in Notification.objects.filter(recipient__email=email)]


def _verify_rows(user):
    return Notification.objects.filter(kind="email_verify", recipient=user)


def test_signup_for_a_new_address_makes_an_account_with_no_password_and_mails_the_link():
    user_signup(email="Kim@Example.test", password=PASSWORD, display_name="Kim Lee")

    user = User.objects.get(email="kim@example.test")
    assert not user.has_usable_password()
    assert not user.email_verified
    # Neither the name nor the password typed reaches the account before the address is proven.
    assert user.display_name == ""
    pending = PendingSignup.objects.get(user=user)
    assert PASSWORD not in pending.password
    assert pending.password.startswith("argon2")
    assert pending.display_name == "Kim Lee"
    assert _rows("kim@example.test") == [("email_verify", "kim@example.test")]


def test_signup_for_an_address_only_account_keeps_the_password_aside_and_mails_the_address():
    contact = _address_only()

    user_signup(email="Robin@Example.test", password=PASSWORD, display_name="Robin Park")

    assert User.objects.count() == 1
    contact.refresh_from_db()
    assert not contact.has_usable_password()
    assert not contact.email_verified
    assert contact.display_name == ""  # the name chosen waits, with the password, for the link
    pending = PendingSignup.objects.get(user=contact)
    assert PASSWORD not in pending.password
    assert pending.password.startswith("argon2")
    assert _rows(contact.email) == [("email_verify", contact.email)]


def test_signup_for_an_address_with_an_account_is_not_refused_it_tells_the_address():
    user = make_user(email="alex@example.test", password=PASSWORD)

    user_signup(email="ALEX@example.test", password=OTHER_PASSWORD, display_name="Someone")

    assert _rows("alex@example.test") == [("signup_existing", "alex@example.test")]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.display_name != "Someone"
    assert not PendingSignup.objects.exists()
    assert User.objects.count() == 1


@pytest.mark.parametrize("with_password", [True, False], ids=["with-password", "without-password"])
def test_signup_for_a_deactivated_account_writes_the_same_one_row_and_changes_nothing(with_password):
    user = make_user(email="gone@example.test", password=PASSWORD if with_password else None)
    User.objects.filter(pk=user.pk).update(is_active=False)

    user_signup(email="gone@example.test", password=OTHER_PASSWORD)

    # One row, as for every other address; the send-time check refuses it (test_notifications.py).
    assert _rows("gone@example.test") == [("signup_existing", "gone@example.test")]
    assert not PendingSignup.objects.exists()
    user.refresh_from_db()
    assert user.has_usable_password() is with_password
    assert not user.is_active


@pytest.mark.parametrize("state", ["new", "address_only", "full", "inactive"])
def test_signup_hashes_the_password_exactly_once_whatever_the_address(state, monkeypatch):
    # Hashing is nearly all of a sign-up's time: doing it on every branch keeps a known address from
    # answering faster (or slower) than a new one.
    if state == "address_only":
        _address_only(email="probe@example.test")
    elif state in ("full", "inactive"):
        make_user(email="probe@example.test", password=PASSWORD)
        User.objects.filter(email="probe@example.test").update(is_active=state == "full")
    hashed = []
    real = services.make_password

    def counted(raw):
        hashed.append(raw)
        return real(raw)

    monkeypatch.setattr(services, "make_password", counted)

    user_signup(email="probe@example.test", password=OTHER_PASSWORD)

    assert hashed == [OTHER_PASSWORD]
    assert Notification.objects.filter(recipient__email="probe@example.test").count() == 1


def test_opening_the_link_alone_changes_nothing_for_a_pending_signup():
    user_signup(email="kim@example.test", password=PASSWORD)
    user = User.objects.get(email="kim@example.test")

    assert user_verify_email(token=make_verify_token(user)) == user

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not user.email_verified
    assert PendingSignup.objects.filter(user=user).exists()


def test_the_link_and_the_password_chosen_finish_a_signup_for_a_new_address():
    user_signup(email="kim@example.test", password=PASSWORD, display_name=" Kim Lee ")
    user = User.objects.get(email="kim@example.test")

    finished = user_signup_finish(token=make_verify_token(user), password=PASSWORD)

    finished.refresh_from_db()
    assert finished.pk == user.pk
    assert finished.check_password(PASSWORD)
    assert finished.email_verified
    assert finished.display_name == "Kim Lee"
    assert not PendingSignup.objects.exists()


def test_the_link_and_the_password_chosen_finish_the_signup_of_an_address_only_account():
    contact = _address_only()
    user_signup(email=contact.email, password=PASSWORD, display_name="Robin Park")

    finished = user_signup_finish(token=make_verify_token(contact), password=PASSWORD)

    finished.refresh_from_db()
    assert finished.pk == contact.pk
    assert finished.check_password(PASSWORD)
    assert finished.email_verified
    assert finished.display_name == "Robin Park"  # the name the person chose
    assert not PendingSignup.objects.exists()


def test_an_account_without_a_name_takes_the_one_given_at_signup():
    contact = _address_only()
    user_signup(email=contact.email, password=PASSWORD, display_name="  Robin Park ")

    finished = user_signup_finish(token=make_verify_token(contact), password=PASSWORD)

    assert finished.display_name == "Robin Park"


def test_signing_up_replaces_a_name_someone_else_typed_for_the_address():
    """An account made for a giver before names typed by others were forgotten may still hold one
    ("Amazon Account Security"): the person signing up is greeted by the name they chose, not by it."""
    contact = _address_only()
    User.objects.filter(pk=contact.pk).update(display_name="Amazon Account Security")
    user_signup(email=contact.email, password=PASSWORD, display_name="Robin Park")

    finished = user_signup_finish(token=make_verify_token(contact), password=PASSWORD)

    assert finished.display_name == "Robin Park"


@pytest.mark.parametrize("state", ["new", "address_only"])
def test_the_owner_of_the_address_cannot_finish_a_signup_a_stranger_started(state):
    # A stranger signs up with Robin's address; Robin opens the mail, follows the link, and types her own
    # password: the stranger's password must not become hers, and hers is not the one waiting.
    if state == "address_only":
        _address_only()
    user_signup(email="robin@example.test", password=OTHER_PASSWORD)
    contact = User.objects.get(email="robin@example.test")

    with pytest.raises(GratitudeError, match="not the password you chose"):
        user_signup_finish(token=make_verify_token(contact), password=PASSWORD)

    contact.refresh_from_db()
    assert not contact.has_usable_password()
    assert not contact.email_verified
    assert PendingSignup.objects.filter(user=contact).exists()


@pytest.mark.parametrize("token", ["not-a-token", "other-account"])
def test_without_the_link_sent_to_the_address_nobody_finishes_a_signup(token):
    user_signup(email="kim@example.test", password=PASSWORD)
    if token == "other-account":
        token = make_verify_token(make_user(verified=False))

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=token, password=PASSWORD)

    assert not User.objects.get(email="kim@example.test").has_usable_password()


def test_a_newer_signup_replaces_the_waiting_password():
    user_signup(email="kim@example.test", password=OTHER_PASSWORD)
    user_signup(email="kim@example.test", password=PASSWORD)
    user = User.objects.get(email="kim@example.test")
    token = make_verify_token(user)

    with pytest.raises(GratitudeError, match="not the password you chose"):
        user_signup_finish(token=token, password=OTHER_PASSWORD)
    finished = user_signup_finish(token=token, password=PASSWORD)

    assert finished.check_password(PASSWORD)
    assert _verify_rows(user).count() == 2


def test_signups_for_one_address_mail_a_few_links_an_hour_and_then_change_nothing():
    for _ in range(SIGNUP_MAILS_PER_HOUR):
        user_signup(email="kim@example.test", password=PASSWORD)

    user_signup(email="kim@example.test", password=OTHER_PASSWORD)

    user = User.objects.get(email="kim@example.test")
    assert _verify_rows(user).count() == SIGNUP_MAILS_PER_HOUR
    # The waiting password is still the one the last mailed link belongs to.
    assert user_signup_finish(token=make_verify_token(user), password=PASSWORD).check_password(PASSWORD)


def test_signups_for_an_address_with_an_account_mail_it_a_few_times_an_hour():
    user = make_user(email="alex@example.test", password=PASSWORD)
    for _ in range(SIGNUP_MAILS_PER_HOUR + 2):
        user_signup(email="alex@example.test", password=OTHER_PASSWORD)

    notices = Notification.objects.filter(kind="signup_existing", recipient=user)
    assert notices.count() == SIGNUP_MAILS_PER_HOUR

    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        user_signup(email="alex@example.test", password=OTHER_PASSWORD)
    assert notices.count() == SIGNUP_MAILS_PER_HOUR + 1


def test_a_finished_signup_cannot_be_finished_again_and_a_later_signup_only_tells_the_address():
    user_signup(email="kim@example.test", password=PASSWORD)
    user = User.objects.get(email="kim@example.test")
    token = make_verify_token(user)
    user_signup_finish(token=token, password=PASSWORD)

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=token, password=PASSWORD)
    user_signup(email="kim@example.test", password=OTHER_PASSWORD)

    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not PendingSignup.objects.exists()
    assert [row.kind for row in Notification.objects.filter(recipient=user).order_by("pk")] == [
        "email_verify",
        "signup_existing",
    ]


def test_an_account_that_got_a_password_another_way_meanwhile_is_not_overwritten():
    contact = _address_only()
    user_signup(email=contact.email, password=OTHER_PASSWORD)
    contact.set_password(PASSWORD)  # e.g. accepted an invitation and chose a password there
    contact.save(update_fields=["password"])

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=make_verify_token(contact), password=OTHER_PASSWORD)

    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_signups_racing_for_one_new_address_make_one_account_and_stay_within_the_limit():
    # Each thread has its own connection; the losers of the race to make the account wait for the winner's
    # row (PostgreSQL: the unique index, then the row lock; SQLite: the IMMEDIATE transaction).
    import threading

    from django.db import connection

    count = SIGNUP_MAILS_PER_HOUR + 1
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def sign_up() -> None:
        try:
            barrier.wait(timeout=30)
            user_signup(email="kim@example.test", password=PASSWORD)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    user = User.objects.get(email="kim@example.test")
    assert _verify_rows(user).count() == SIGNUP_MAILS_PER_HOUR
    assert PendingSignup.objects.filter(user=user).count() == 1
    assert not user.has_usable_password()


def test_an_unfinished_signup_forgets_its_password_once_no_link_can_finish_it():
    user_signup(email="kim@example.test", password=PASSWORD)
    user_signup(email="lee@example.test", password=PASSWORD)
    kim = User.objects.get(email="kim@example.test")
    lifetime = timedelta(seconds=VERIFY_MAX_AGE_SECONDS) + services.UNFINISHED_SIGNUP_GRACE

    with time_machine.travel(timezone.now() + lifetime - timedelta(hours=1)):
        user_signup(email="lee@example.test", password=PASSWORD)  # a newer sign-up starts the clock again
        assert services.unfinished_signups_clear() == 0
    with time_machine.travel(timezone.now() + lifetime + timedelta(hours=1)):
        assert services.unfinished_signups_clear() == 1
        assert services.unfinished_signups_clear() == 0

    assert not PendingSignup.objects.filter(user=kim).exists()
    assert PendingSignup.objects.filter(user__email="lee@example.test").exists()
    # The account stays, with no password, and what was mailed to it stays on record.
    kim.refresh_from_db()
    assert not kim.has_usable_password() and _verify_rows(kim).count() == 1
