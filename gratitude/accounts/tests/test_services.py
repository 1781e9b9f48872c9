"""Account services called directly: one account per address, whatever the letter case."""

from __future__ import annotations

import pytest

from gratitude.accounts.models import User
from gratitude.accounts.services import EmailAlreadyRegistered, user_create, user_signup, user_verify_email
from gratitude.accounts.tokens import make_verify_token
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
