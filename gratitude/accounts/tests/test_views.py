"""Sign-up, email verification, password-reset requests and verification resends, through the web."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.accounts.tokens import make_verify_token
from gratitude.notifications.models import Notification
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"
ALREADY_REGISTERED = "An account with this email address already exists."
NOT_VALID = "This confirmation link is not valid"


def _signup(client, email: str, display_name: str = "Alex"):
    return client.post(
        reverse("accounts:signup"),
        {"display_name": display_name, "email": email, "password": PASSWORD},
    )


# --- Sign-up ---------------------------------------------------------------------------------


def test_signup_creates_user_with_argon2_hash_logs_in_and_queues_one_verification(client):
    response = _signup(client, "alex@example.test")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="alex@example.test")
    assert user.password.startswith("argon2")
    assert user.check_password(PASSWORD)
    assert user.display_name == "Alex"
    assert not user.email_verified
    assert client.session["_auth_user_id"] == str(user.pk)
    rows = Notification.objects.all()
    assert [(row.kind, row.recipient_id) for row in rows] == [("email_verify", user.pk)]


def test_signup_stores_the_address_in_lower_case(client):
    _signup(client, "  Alex@Example.TEST ")

    assert User.objects.filter(email="alex@example.test").count() == 1


@pytest.mark.parametrize(
    "second_address",
    ["alex@example.test", "ALEX@Example.Test", " alex@example.test "],
    ids=["same", "different-case", "surrounding-spaces"],
)
def test_signing_up_twice_with_one_address_shows_a_clear_message_and_changes_nothing(client, second_address):
    _signup(client, "alex@example.test")
    client.logout()

    response = _signup(client, second_address, display_name="Someone else")

    assert response.status_code == 200
    assert ALREADY_REGISTERED in response.content.decode()
    assert ALREADY_REGISTERED in " ".join(response.context["form"].errors["email"])
    assert User.objects.count() == 1
    assert User.objects.get().display_name == "Alex"
    assert Notification.objects.filter(kind="email_verify").count() == 1
    assert "_auth_user_id" not in client.session


def test_signup_refuses_a_weak_password_and_creates_nobody(client):
    response = client.post(
        reverse("accounts:signup"),
        {"display_name": "Alex", "email": "alex@example.test", "password": "12345678"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert User.objects.count() == 0
    assert Notification.objects.count() == 0


# --- Verifying an address --------------------------------------------------------------------


def test_verify_link_marks_the_address_verified(client):
    user = make_user(verified=False)

    response = client.get(reverse("accounts:verify", args=[make_verify_token(user)]))

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified
    assert user.email_verified_at is not None


def test_opening_the_verify_link_twice_keeps_the_first_verification_time(client):
    user = make_user(verified=False)
    url = reverse("accounts:verify", args=[make_verify_token(user)])
    client.get(url)
    user.refresh_from_db()
    first = user.email_verified_at

    response = client.get(url)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at == first


def _tamper(token: str) -> str:
    # Change one character in the middle of the signed payload.
    middle = len(token) // 2
    replacement = "A" if token[middle] != "A" else "B"
    return token[:middle] + replacement + token[middle + 1 :]


@pytest.mark.parametrize("kind", ["tampered", "garbage"])
def test_a_tampered_verify_token_shows_not_valid_with_400_and_changes_nothing(client, kind):
    user = make_user(verified=False)
    token = _tamper(make_verify_token(user)) if kind == "tampered" else "not-a-token"

    response = client.get(reverse("accounts:verify", args=[token]))

    assert response.status_code == 400
    assert NOT_VALID in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_a_token_for_another_address_shows_not_valid_and_changes_nothing(client):
    user = make_user(verified=False, email="first@example.test")
    token = make_verify_token(User(pk=user.pk, email="other@example.test"))

    response = client.get(reverse("accounts:verify", args=[token]))

    assert response.status_code == 400
    assert NOT_VALID in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_a_token_stops_working_once_the_account_address_changes(client):
    user = make_user(verified=False, email="first@example.test")
    token = make_verify_token(user)
    User.objects.filter(pk=user.pk).update(email="second@example.test")

    response = client.get(reverse("accounts:verify", args=[token]))

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_an_expired_verify_token_shows_not_valid(client):
    user = make_user(verified=False)
    token = make_verify_token(user)

    with time_machine.travel(timezone.now() + timedelta(days=4)):
        response = client.get(reverse("accounts:verify", args=[token]))

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email_verified_at is None


# --- Password reset requests -----------------------------------------------------------------


def _normalised(content: bytes, email: str) -> str:
    # Remove what legitimately differs between two renders: the masked CSRF token and the echoed address.
    text = content.decode().replace(email, "EMAIL")
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', text)


def test_password_reset_for_an_unknown_address_looks_the_same_as_for_a_known_one(client):
    make_user(email="known@example.test", password=PASSWORD)

    known = client.post(reverse("accounts:password_reset"), {"email": "known@example.test"})
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})

    assert known.status_code == unknown.status_code == 200
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert _normalised(known.content, "known@example.test") == _normalised(
        unknown.content, "nobody@example.test"
    )
    assert "a link to choose a new password is on its way" in unknown.content.decode()


def test_password_reset_for_an_unknown_address_queues_nothing(client):
    make_user(email="known@example.test", password=PASSWORD)

    client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})

    assert Notification.objects.count() == 0


def test_password_reset_for_a_known_address_queues_exactly_one_reset(client):
    user = make_user(email="known@example.test", password=PASSWORD)

    response = client.post(reverse("accounts:password_reset"), {"email": "Known@Example.test"})

    assert response.status_code == 200
    rows = Notification.objects.all()
    assert [(row.kind, row.recipient_id) for row in rows] == [("password_reset", user.pk)]


def test_password_reset_requests_are_capped_per_hour_without_saying_so(client):
    user = make_user(email="known@example.test", password=PASSWORD)

    responses = [client.post(reverse("accounts:password_reset"), {"email": user.email}) for _ in range(4)]

    assert [r.status_code for r in responses] == [200] * 4
    assert Notification.objects.filter(kind="password_reset", recipient=user).count() == 3


def test_password_reset_for_an_account_without_password_queues_nothing(client):
    make_user(email="nopassword@example.test")

    client.post(reverse("accounts:password_reset"), {"email": "nopassword@example.test"})

    assert Notification.objects.count() == 0


# --- Resending the verification link ---------------------------------------------------------


def test_verification_resends_are_limited_the_fourth_within_an_hour_is_refused(client):
    user = make_user(verified=False)
    client.force_login(user)
    url = reverse("accounts:verify_resend")

    for expected in (1, 2, 3):
        response = client.post(url, follow=True)
        assert f"We sent a new confirmation link to {user.email}." in response.content.decode()
        assert Notification.objects.filter(kind="email_verify", recipient=user).count() == expected

    refused = client.post(url, follow=True)

    assert "We already sent several links this hour" in refused.content.decode()
    assert Notification.objects.filter(kind="email_verify", recipient=user).count() == 3


def test_verification_resend_is_allowed_again_an_hour_later(client):
    user = make_user(verified=False)
    client.force_login(user)
    url = reverse("accounts:verify_resend")
    for _ in range(3):
        client.post(url)

    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        client.post(url)

    assert Notification.objects.filter(kind="email_verify", recipient=user).count() == 4


def test_verification_resend_does_nothing_for_a_verified_address(client):
    user = make_user(verified=True)
    client.force_login(user)

    response = client.post(reverse("accounts:verify_resend"))

    assert response.status_code == 302
    assert Notification.objects.count() == 0


def test_verification_resend_needs_login(client):
    response = client.post(reverse("accounts:verify_resend"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Notification.objects.count() == 0


# --- Sign-up for an address whose account has no password yet ----------------------------------------


def _address_only(email: str):
    from gratitude.registries.services import account_for_address

    return account_for_address(email=email, name="Aunt Robin")


def _what_a_visitor_sees(client, response, email: str) -> tuple[int, str, list[str], str]:
    """The response, the page it leads to and its messages, with the address itself left out."""
    page = client.get(response["Location"])
    shown = [str(message).replace(email, "EMAIL") for message in page.context["messages"]]
    return response.status_code, response["Location"], shown, page.content.decode().count("already")


def test_signup_for_an_address_only_account_looks_like_any_signup_and_tells_nothing(client):
    _address_only("robin@example.test")

    known = _signup(client, "robin@example.test", display_name="Robin")
    seen_known = _what_a_visitor_sees(client, known, "robin@example.test")
    client.logout()
    fresh = _signup(client, "kim@example.test", display_name="Kim")
    seen_fresh = _what_a_visitor_sees(client, fresh, "kim@example.test")

    assert seen_known[:3] == seen_fresh[:3]
    assert seen_known[3] == 0
    assert seen_known[2] == ["Welcome! We sent a link to EMAIL: open it to confirm your address."]
    # The verification message is the same kind, to the address, as for a new account.
    assert [(row.kind, row.recipient.email) for row in Notification.objects.order_by("pk")] == [
        ("email_verify", "robin@example.test"),
        ("email_verify", "kim@example.test"),
    ]


def test_signup_for_an_address_only_account_does_not_log_in_nor_set_a_password(client):
    contact = _address_only("robin@example.test")

    _signup(client, "robin@example.test")

    assert "_auth_user_id" not in client.session
    contact.refresh_from_db()
    assert not contact.has_usable_password()
    refused = client.post(reverse("accounts:login"), {"username": "robin@example.test", "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_mailed_link_asks_for_the_password_chosen_and_then_logs_in(client):
    contact = _address_only("robin@example.test")
    _signup(client, "robin@example.test", display_name="Robin")
    url = reverse("accounts:verify", args=[make_verify_token(contact)])

    opened = client.get(url)
    assert opened.status_code == 200
    assert "Finish signing up" in opened.content.decode()
    assert opened["Cache-Control"].startswith("max-age=0")
    contact.refresh_from_db()
    assert not contact.email_verified  # opening the link (a mail scanner does) changes nothing

    wrong = client.post(url, {"password": "not-what-i-chose-at-all"})
    assert wrong.status_code == 400
    assert "This is not the password you chose" in " ".join(wrong.context["form"].errors["password"])
    contact.refresh_from_db()
    assert not contact.has_usable_password()

    finished = client.post(url, {"password": PASSWORD}, follow=True)
    assert finished.redirect_chain == [(reverse("home"), 302)]
    assert "robin@example.test is confirmed, and your account is ready" in finished.content.decode()
    assert client.session["_auth_user_id"] == str(contact.pk)
    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)
    assert contact.email_verified


def test_finishing_with_a_link_that_opens_nothing_shows_not_valid(client):
    contact = _address_only("robin@example.test")
    _signup(client, "robin@example.test")

    response = client.post(
        reverse("accounts:verify", args=[_tamper(make_verify_token(contact))]), {"password": PASSWORD}
    )

    assert response.status_code == 400
    assert NOT_VALID in response.content.decode()
    contact.refresh_from_db()
    assert not contact.has_usable_password()


def test_the_finish_form_needs_its_csrf_token():
    contact = _address_only("robin@example.test")
    Client().post(
        reverse("accounts:signup"), {"display_name": "R", "email": contact.email, "password": PASSWORD}
    )
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(
        reverse("accounts:verify", args=[make_verify_token(contact)]), {"password": PASSWORD}
    )

    assert response.status_code == 403
    contact.refresh_from_db()
    assert not contact.has_usable_password()
