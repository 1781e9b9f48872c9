"""What account mail needs from the accounts domain (accounts/notifications.py), checked as the worker checks
it at send time, and the "you already have an account" message on the real sending path."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from gratitude.accounts.models import User
from gratitude.accounts.notifications import (
    account_mail_enqueue,
    email_verify_provenance,
    signup_existing_provenance,
)
from gratitude.accounts.services import user_signup
from gratitude.notifications.models import Notification, NotificationState
from gratitude.testing.factories import make_registry, make_user

PASSWORD = "a-long-unusual-passphrase-42"


def _row(kind: str, user: User) -> Notification:
    with transaction.atomic():
        return account_mail_enqueue(kind=kind, user=user)


# --- Provenance, re-checked at send time -----------------------------------------------------------


@pytest.mark.django_db
def test_signup_existing_may_go_to_an_active_account_with_a_password():
    row = _row("signup_existing", make_user(password=PASSWORD))

    assert signup_existing_provenance(row) is None


@pytest.mark.django_db
def test_signup_existing_is_refused_once_the_account_is_deactivated():
    user = make_user(password=PASSWORD)
    row = _row("signup_existing", user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    row.refresh_from_db()

    refusal = signup_existing_provenance(row)

    assert refusal is not None
    assert (refusal.reason, refusal.breach) == ("recipient_inactive", False)


@pytest.mark.django_db
def test_signup_existing_is_refused_for_an_account_without_a_password():
    # The message says "you already have an account": untrue of an account nobody can get into.
    refusal = signup_existing_provenance(_row("signup_existing", make_user()))

    assert refusal is not None
    assert (refusal.reason, refusal.breach) == ("no_password", False)


@pytest.mark.django_db
def test_signup_existing_about_a_registry_is_a_breach():
    row = _row("signup_existing", make_user(password=PASSWORD))
    row.registry = make_registry()

    refusal = signup_existing_provenance(row)

    assert refusal is not None
    assert (refusal.reason, refusal.breach) == ("unexpected_trigger", True)


@pytest.mark.django_db
def test_email_verify_reaches_a_waiting_signup_even_if_the_address_was_confirmed_before():
    contact = make_user(verified=True)  # no password: a contact account the admin once confirmed
    user_signup(email=contact.email)

    assert email_verify_provenance(Notification.objects.get(kind="email_verify", recipient=contact)) is None


@pytest.mark.django_db
def test_email_verify_is_refused_for_a_confirmed_address_with_no_signup_waiting():
    refusal = email_verify_provenance(_row("email_verify", make_user(verified=True, password=PASSWORD)))

    assert refusal is not None
    assert refusal.reason == "already_verified"


# --- On the real sending path -----------------------------------------------------------------------


def _drain() -> None:
    call_command("worker", drain=True, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_a_signup_with_a_known_address_mails_it_once_with_the_way_back_in(smtp_settings):
    make_user(email="alex@example.test", password=PASSWORD, display_name="Alex Rivera")

    user_signup(email="alex@example.test")
    _drain()

    [message] = smtp_settings.to("alex@example.test")
    assert message["X-Gratitude-Kind"] == "signup_existing"
    assert message["Subject"] == "You already have a Gratitude account"
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    text = plain.get_content()
    assert text.startswith("Hi Alex Rivera,")
    assert "Someone, maybe you, tried to create a Gratitude account with this address." in text
    link = re.search(r"https?://\S+/accounts/signup/existing/", text)
    assert link is not None

    page = Client().get(urlsplit(link.group(0)).path)
    assert page.status_code == 200
    assert reverse("accounts:login") in page.content.decode()
    assert reverse("accounts:password_reset") in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_signup_with_the_address_of_a_deactivated_account_sends_nothing(smtp_settings):
    user = make_user(email="gone@example.test", password=PASSWORD)
    User.objects.filter(pk=user.pk).update(is_active=False)

    user_signup(email="gone@example.test")
    _drain()

    row = Notification.objects.get(recipient=user)
    assert (row.kind, row.state, row.reason) == (
        "signup_existing",
        NotificationState.SUPPRESSED,
        "recipient_inactive",
    )
    assert smtp_settings.messages == []
