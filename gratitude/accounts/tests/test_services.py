"""Account services called directly: one account per address, whatever the letter case."""

from __future__ import annotations

import pytest

from gratitude.accounts.models import PendingSignup, User
from gratitude.accounts.services import (
    VERIFICATION_RESENDS_PER_HOUR,
    EmailAlreadyRegistered,
    SignupLinkInvalid,
    user_create,
    user_signup,
    user_signup_finish,
    user_verify_email,
)
from gratitude.accounts.tokens import make_verify_token
from gratitude.core.errors import GratitudeError
from gratitude.notifications.models import Notification
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db


def test_user_create_refuses_an_address_that_differs_only_in_case():
    user_create(email="alex@example.test")

    with pytest.raises(EmailAlreadyRegistered):
        user_create(email="ALEX@example.TEST")

    assert User.objects.count() == 1


def test_user_signup_for_a_taken_address_queues_no_verification():
    user_signup(email="alex@example.test", password="a-long-unusual-passphrase-42")

    with pytest.raises(EmailAlreadyRegistered):
        user_signup(email="Alex@Example.test", password="another-long-passphrase-17")

    assert User.objects.count() == 1
    assert Notification.objects.filter(kind="email_verify").count() == 1


def test_user_create_without_password_leaves_an_unusable_one():
    user = user_create(email="nopass@example.test")

    assert not user.has_usable_password()


def test_user_verify_email_returns_none_for_a_deleted_account():
    user = make_user(verified=False)
    token = make_verify_token(user)
    user.delete()

    assert user_verify_email(token=token) is None


# --- Sign-up for an address whose account has no password yet (an invitee's, a giver's) ------------

PASSWORD = "a-long-unusual-passphrase-42"
OTHER_PASSWORD = "someone-elses-passphrase-17"


def _address_only(email="robin@example.test", name="Aunt Robin"):
    from gratitude.registries.services import account_for_address

    return account_for_address(email=email, name=name)


def _verify_rows(user):
    return Notification.objects.filter(kind="email_verify", recipient=user)


def test_signup_for_an_address_only_account_keeps_the_password_aside_and_mails_the_address():
    contact = _address_only()

    user = user_signup(email="Robin@Example.test", password=PASSWORD, display_name="Robin Park")

    assert user.pk == contact.pk
    assert User.objects.count() == 1
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not user.email_verified
    assert user.display_name == "Aunt Robin"
    pending = PendingSignup.objects.get(user=user)
    assert PASSWORD not in pending.password
    assert pending.password.startswith("argon2")
    assert _verify_rows(user).count() == 1


def test_opening_the_link_alone_changes_nothing_for_a_pending_signup():
    user = user_signup(email=_address_only().email, password=PASSWORD)

    assert user_verify_email(token=make_verify_token(user)) == user

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not user.email_verified
    assert PendingSignup.objects.filter(user=user).exists()


def test_the_link_and_the_password_chosen_finish_the_signup():
    user = user_signup(email=_address_only().email, password=PASSWORD, display_name="Robin Park")

    finished = user_signup_finish(token=make_verify_token(user), password=PASSWORD)

    finished.refresh_from_db()
    assert finished.pk == user.pk
    assert finished.check_password(PASSWORD)
    assert finished.email_verified
    assert finished.display_name == "Aunt Robin"  # the account had a name: it keeps it
    assert not PendingSignup.objects.exists()


def test_an_account_without_a_name_takes_the_one_given_at_signup():
    contact = _address_only(name="")
    user_signup(email=contact.email, password=PASSWORD, display_name="  Robin Park ")

    finished = user_signup_finish(token=make_verify_token(contact), password=PASSWORD)

    assert finished.display_name == "Robin Park"


def test_the_owner_of_the_address_cannot_finish_a_signup_a_stranger_started():
    # A stranger signs up with Robin's address; Robin opens the mail, follows the link, and types her own
    # password: the stranger's password must not become hers, and hers is not the one waiting.
    contact = _address_only()
    user_signup(email=contact.email, password=OTHER_PASSWORD)

    with pytest.raises(GratitudeError, match="not the password you chose"):
        user_signup_finish(token=make_verify_token(contact), password=PASSWORD)

    contact.refresh_from_db()
    assert not contact.has_usable_password()
    assert not contact.email_verified
    assert PendingSignup.objects.filter(user=contact).exists()


@pytest.mark.parametrize("token", ["not-a-token", "other-account"])
def test_without_the_link_sent_to_the_address_nobody_finishes_a_signup(token):
    contact = _address_only()
    user_signup(email=contact.email, password=PASSWORD)
    if token == "other-account":
        token = make_verify_token(make_user(verified=False))

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=token, password=PASSWORD)

    contact.refresh_from_db()
    assert not contact.has_usable_password()


def test_a_newer_signup_replaces_the_waiting_password():
    contact = _address_only()
    user_signup(email=contact.email, password=OTHER_PASSWORD)
    user_signup(email=contact.email, password=PASSWORD)
    token = make_verify_token(contact)

    with pytest.raises(GratitudeError, match="not the password you chose"):
        user_signup_finish(token=token, password=OTHER_PASSWORD)
    finished = user_signup_finish(token=token, password=PASSWORD)

    assert finished.check_password(PASSWORD)
    assert _verify_rows(contact).count() == 2


def test_signups_for_one_address_mail_a_few_links_an_hour_and_then_change_nothing():
    contact = _address_only()
    for _ in range(VERIFICATION_RESENDS_PER_HOUR):
        user_signup(email=contact.email, password=PASSWORD)

    user_signup(email=contact.email, password=OTHER_PASSWORD)

    assert _verify_rows(contact).count() == VERIFICATION_RESENDS_PER_HOUR
    # The waiting password is still the one the last mailed link belongs to.
    assert user_signup_finish(token=make_verify_token(contact), password=PASSWORD).check_password(PASSWORD)


def test_a_finished_signup_cannot_be_finished_again_and_the_address_is_then_taken():
    contact = _address_only()
    user_signup(email=contact.email, password=PASSWORD)
    token = make_verify_token(contact)
    user_signup_finish(token=token, password=PASSWORD)

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=token, password=PASSWORD)
    with pytest.raises(EmailAlreadyRegistered):
        user_signup(email=contact.email, password=OTHER_PASSWORD)
    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)


def test_an_account_that_got_a_password_another_way_meanwhile_is_not_overwritten():
    contact = _address_only()
    user_signup(email=contact.email, password=OTHER_PASSWORD)
    contact.set_password(PASSWORD)  # e.g. accepted an invitation and chose a password there
    contact.save(update_fields=["password"])

    with pytest.raises(SignupLinkInvalid):
        user_signup_finish(token=make_verify_token(contact), password=OTHER_PASSWORD)

    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)


def test_signup_for_an_address_with_a_password_is_still_refused():
    make_user(email="alex@example.test", password=PASSWORD)

    with pytest.raises(EmailAlreadyRegistered, match="Log in, or reset your password"):
        user_signup(email="alex@example.test", password=OTHER_PASSWORD)

    assert not PendingSignup.objects.exists()
    assert not Notification.objects.exists()
