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
#
# Sign-up takes only the address; whoever opens the link mailed to it chooses the name and the password
# (services.user_signup_finish). So a stranger who signs up with someone's address can neither give that
# account a password nor lock its owner out.


def _address_only(email="robin@example.test"):
    from gratitude.accounts.services import account_for_address

    return account_for_address(email=email)


def _rows(email):
    return [(row.kind, row.recipient.email) for row in Notification.objects.filter(recipient__email=email)]


def _verify_rows(user):
    return Notification.objects.filter(kind="email_verify", recipient=user)


def _finish(user, *, name="Kim Lee", password=PASSWORD):
    return user_signup_finish(token=make_verify_token(user), display_name=name, password=password)


def test_signup_for_a_new_address_makes_an_account_with_no_password_and_mails_the_link():
    assert user_signup(email="Kim@Example.test") is True

    user = User.objects.get(email="kim@example.test")
    assert not user.has_usable_password()
    assert not user.email_verified
    assert user.display_name == ""
    assert PendingSignup.objects.filter(user=user).exists()
    assert _rows("kim@example.test") == [("email_verify", "kim@example.test")]


def test_signup_for_an_address_only_account_marks_it_waiting_and_mails_the_address():
    contact = _address_only()

    assert user_signup(email="Robin@Example.test") is True

    assert User.objects.count() == 1
    contact.refresh_from_db()
    assert not contact.has_usable_password()
    assert not contact.email_verified
    assert PendingSignup.objects.filter(user=contact).exists()
    assert _rows(contact.email) == [("email_verify", contact.email)]


def test_signup_for_an_address_with_an_account_is_not_refused_it_tells_the_address():
    user = make_user(email="alex@example.test", password=PASSWORD)

    assert user_signup(email="ALEX@example.test") is True

    assert _rows("alex@example.test") == [("signup_existing", "alex@example.test")]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not PendingSignup.objects.exists()
    assert User.objects.count() == 1


@pytest.mark.parametrize("with_password", [True, False], ids=["with-password", "without-password"])
def test_signup_for_a_deactivated_account_writes_the_same_one_row_and_changes_nothing(with_password):
    user = make_user(email="gone@example.test", password=PASSWORD if with_password else None)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert user_signup(email="gone@example.test") is True

    # One row, as for every other address; the send-time check refuses it (test_notifications.py).
    assert _rows("gone@example.test") == [("signup_existing", "gone@example.test")]
    assert not PendingSignup.objects.exists()
    user.refresh_from_db()
    assert user.has_usable_password() is with_password
    assert not user.is_active


def test_opening_the_link_alone_changes_nothing_for_a_pending_signup():
    user_signup(email="kim@example.test")
    user = User.objects.get(email="kim@example.test")

    assert user_verify_email(token=make_verify_token(user)) == user

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not user.email_verified
    assert PendingSignup.objects.filter(user=user).exists()


def test_the_link_holder_chooses_name_and_password_and_the_address_is_verified():
    user_signup(email="kim@example.test")
    user = User.objects.get(email="kim@example.test")

    finished = _finish(user, name=" Kim Lee ")

    finished.refresh_from_db()
    assert finished.pk == user.pk
    assert finished.check_password(PASSWORD)
    assert finished.email_verified
    assert finished.display_name == "Kim Lee"
    assert not PendingSignup.objects.exists()


def test_an_address_only_account_takes_the_name_its_owner_chooses_not_the_one_a_giver_typed():
    contact = _address_only()
    User.objects.filter(pk=contact.pk).update(display_name="Amazon Account Security")
    user_signup(email=contact.email)

    finished = _finish(contact, name="Robin Park")

    finished.refresh_from_db()
    assert (finished.display_name, finished.check_password(PASSWORD)) == ("Robin Park", True)


@pytest.mark.parametrize("state", ["new", "address_only"])
def test_a_later_signup_by_someone_else_cannot_lock_the_owner_out(state):
    """The race that used to lock people out: Robin signs up, then a stranger signs up with Robin's address.
    The stranger's sign-up carries no password; Robin's link (either one) lets her choose hers."""
    if state == "address_only":
        _address_only()
    user_signup(email="robin@example.test")
    robin = User.objects.get(email="robin@example.test")
    first_link = make_verify_token(robin)
    assert user_signup(email="robin@example.test") is True  # the stranger

    finished = user_signup_finish(token=first_link, display_name="Robin", password=PASSWORD)

    assert finished.check_password(PASSWORD) and finished.display_name == "Robin"
    assert _verify_rows(robin).count() == 2


def test_once_finished_every_earlier_signup_link_only_confirms_the_address():
    user_signup(email="kim@example.test")
    user = User.objects.get(email="kim@example.test")
    earlier = make_verify_token(user)
    user_signup(email="kim@example.test")
    _finish(user)

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=earlier, display_name="Mallory", password=OTHER_PASSWORD)

    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.display_name == "Kim Lee"
    assert user_verify_email(token=earlier) == user
    assert not PendingSignup.objects.exists()


@pytest.mark.parametrize(
    ("name", "password", "field"),
    [("", PASSWORD, "display_name"), ("   ", PASSWORD, "display_name"), ("Kim", "kim", "password")],
)
def test_a_missing_name_or_weak_password_is_refused_and_changes_nothing(name, password, field):
    user_signup(email="kim@example.test")
    user = User.objects.get(email="kim@example.test")

    with pytest.raises(GratitudeError, match=f"^{field}: "):
        _finish(user, name=name, password=password)

    user.refresh_from_db()
    assert (user.has_usable_password(), user.email_verified, user.display_name) == (False, False, "")
    assert PendingSignup.objects.filter(user=user).exists()


@pytest.mark.parametrize("token", ["not-a-token", "other-account"])
def test_without_the_link_sent_to_the_address_nobody_finishes_a_signup(token):
    user_signup(email="kim@example.test")
    if token == "other-account":
        token = make_verify_token(make_user(verified=False))

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=token, display_name="Mallory", password=PASSWORD)

    assert not User.objects.get(email="kim@example.test").has_usable_password()


def test_a_link_for_an_account_nobody_is_signing_up_for_sets_no_password():
    """A giver's address-only account never signed up: a verify link for it (however made) is no way in."""
    contact = _address_only()

    with pytest.raises(SignupLinkInvalid):
        _finish(contact)

    contact.refresh_from_db()
    assert not contact.has_usable_password()


def test_signups_for_one_address_mail_a_few_links_an_hour_then_say_none_was_sent():
    outcomes = [user_signup(email="kim@example.test") for _ in range(SIGNUP_MAILS_PER_HOUR + 1)]

    assert outcomes == [True] * SIGNUP_MAILS_PER_HOUR + [False]
    user = User.objects.get(email="kim@example.test")
    assert _verify_rows(user).count() == SIGNUP_MAILS_PER_HOUR
    # Any link that was sent still finishes it.
    assert _finish(user).check_password(PASSWORD)


def test_signups_for_an_address_with_an_account_mail_it_a_few_times_an_hour():
    user = make_user(email="alex@example.test", password=PASSWORD)
    outcomes = [user_signup(email="alex@example.test") for _ in range(SIGNUP_MAILS_PER_HOUR + 2)]

    assert outcomes == [True] * SIGNUP_MAILS_PER_HOUR + [False, False]
    notices = Notification.objects.filter(kind="signup_existing", recipient=user)
    assert notices.count() == SIGNUP_MAILS_PER_HOUR

    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert user_signup(email="alex@example.test") is True
    assert notices.count() == SIGNUP_MAILS_PER_HOUR + 1


def test_a_finished_signup_cannot_be_finished_again_and_a_later_signup_only_tells_the_address():
    user_signup(email="kim@example.test")
    user = User.objects.get(email="kim@example.test")
    token = make_verify_token(user)
    user_signup_finish(token=token, display_name="Kim", password=PASSWORD)

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=token, display_name="Kim", password=OTHER_PASSWORD)
    user_signup(email="kim@example.test")

    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not PendingSignup.objects.exists()
    assert [row.kind for row in Notification.objects.filter(recipient=user).order_by("pk")] == [
        "email_verify",
        "signup_existing",
    ]


def test_an_account_that_got_a_password_another_way_meanwhile_is_not_overwritten():
    contact = _address_only()
    user_signup(email=contact.email)
    contact.set_password(PASSWORD)  # e.g. accepted an invitation and chose a password there
    contact.save(update_fields=["password"])

    with pytest.raises(SignupLinkInvalid):
        _finish(contact, password=OTHER_PASSWORD)

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
            user_signup(email="kim@example.test")
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


def test_an_unfinished_signup_is_forgotten_once_no_link_can_finish_it():
    user_signup(email="kim@example.test")
    user_signup(email="lee@example.test")
    kim = User.objects.get(email="kim@example.test")
    lifetime = timedelta(seconds=VERIFY_MAX_AGE_SECONDS) + services.UNFINISHED_SIGNUP_GRACE

    with time_machine.travel(timezone.now() + lifetime - timedelta(hours=1)):
        user_signup(email="lee@example.test")  # a newer sign-up starts the clock again
        assert services.unfinished_signups_clear() == 0
    with time_machine.travel(timezone.now() + lifetime + timedelta(hours=1)):
        assert services.unfinished_signups_clear() == 1
        assert services.unfinished_signups_clear() == 0

    assert not PendingSignup.objects.filter(user=kim).exists()
    assert PendingSignup.objects.filter(user__email="lee@example.test").exists()
    # The account stays, with no password, and what was mailed to it stays on record.
    kim.refresh_from_db()
    assert not kim.has_usable_password() and _verify_rows(kim).count() == 1
