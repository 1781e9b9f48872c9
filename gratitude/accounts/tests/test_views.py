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
from gratitude.accounts.services import SIGNUP_MAILS_PER_HOUR, user_signup
from gratitude.accounts.tokens import make_verify_token
from gratitude.notifications.models import Notification
from gratitude.testing.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"
NOT_VALID = "This confirmation link is not valid"


def _signup(client, email: str):
    return client.post(reverse("accounts:signup"), {"email": email})


def _finish(client, url: str, *, name: str = "Alex Rivera", password: str = PASSWORD, **kwargs):
    return client.post(url, {"display_name": name, "password": password}, **kwargs)


# --- Sign-up: one answer whatever the address's state -------------------------------------------------

ADDRESS = "alex@example.test"
SIGNUP_STATES = ["new", "address_only", "full", "inactive", "inactive_address_only"]


def _put_address_in(state: str, email: str = ADDRESS) -> None:
    """Make `email` be in `state` before someone signs up with it."""
    if state in ("address_only", "inactive_address_only"):
        _address_only(email)
    elif state in ("full", "inactive"):
        make_user(email=email, password="the-owners-own-passphrase-9", display_name="Owner")
    if state.startswith("inactive"):
        User.objects.filter(email=email).update(is_active=False)


def _without_csrf_tokens(content: bytes) -> str:
    """A page with its per-render CSRF tokens (masked afresh on every render) blanked out."""
    text = content.decode()
    text = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', text)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', text)


def _everything_a_visitor_gets(email: str = ADDRESS) -> dict[str, object]:
    """Sign up with `email` from a fresh browser: the response, its cookies and the page it leads to."""
    client = Client()
    response = _signup(client, email)
    page = client.get(response["Location"])
    return {
        "status": response.status_code,
        "location": response["Location"],
        # X-Request-ID is a fresh random id for every request (core/middleware.py), nothing about the address.
        "headers": sorted((k, v) for k, v in response.items() if k != "X-Request-ID"),
        "cookies": sorted((name, morsel.OutputString()) for name, morsel in response.cookies.items()),
        "body": response.content,
        "page_status": page.status_code,
        "page": _without_csrf_tokens(page.content),
        "logged_in": "_auth_user_id" in client.session,
    }


def test_signup_answers_byte_for_byte_the_same_whatever_the_address_is():
    answers = {}
    # One frozen instant: the messages cookie is signed with a timestamp, the only other thing that differs.
    with time_machine.travel(timezone.now(), tick=False):
        for state in SIGNUP_STATES:
            _put_address_in(state)
            answers[state] = _everything_a_visitor_gets()
            User.objects.all().delete()  # the next state starts from nothing (rows, waiting sign-ups too)

    first = answers["new"]
    assert first["status"] == 302
    assert first["location"] == reverse("accounts:signup_sent")
    assert first["page_status"] == 200
    assert first["logged_in"] is False
    for state, answer in answers.items():
        assert answer == first, f"sign-up for a {state} address answered differently from a new one"


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        ("new", "email_verify"),
        ("address_only", "email_verify"),
        ("full", "signup_existing"),
        ("inactive", "signup_existing"),
        ("inactive_address_only", "signup_existing"),
    ],
)
def test_signup_queues_exactly_one_message_of_the_right_kind_and_logs_nobody_in(client, state, kind):
    _put_address_in(state)
    before = {user.pk: user.password for user in User.objects.all()}

    response = _signup(client, "Alex@Example.test ")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    rows = Notification.objects.all()
    assert [(row.kind, row.recipient.email) for row in rows] == [(kind, ADDRESS)]
    # No account got a password (nor lost one): only whoever opens the mailed link chooses one.
    after = {user.pk: user.password for user in User.objects.all()}
    assert {pk: after[pk] for pk in before} == before
    assert not any(User.objects.get(pk=pk).has_usable_password() for pk in after.keys() - before.keys())
    refused = client.post(reverse("accounts:login"), {"username": ADDRESS, "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("state", ["new", "full"])
def test_past_the_hourly_limit_the_page_says_nothing_was_sent_and_nothing_is_queued(client, state):
    """Never "we sent" when nothing was sent; and the same words whatever the address's state, since the
    limit counts sign-up messages to the address, not its account."""
    _put_address_in(state)
    for _ in range(SIGNUP_MAILS_PER_HOUR):
        assert user_signup(email=ADDRESS) is True
    count = Notification.objects.count()

    response = _signup(client, ADDRESS)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>We sent no new message</h1>" in text
    assert f"We did not send a message to {ADDRESS} this time" in text
    assert "We sent a message" not in text and "Check your email" not in text
    assert Notification.objects.count() == count
    assert "Owner" not in text


def test_an_address_that_asked_never_to_be_mailed_gets_no_signup_message_and_the_page_says_so(client):
    from gratitude.notifications.sending.suppression import suppression_add

    suppression_add(address=ADDRESS, reason="never_email")

    response = _signup(client, ADDRESS)

    assert "<h1>We sent no new message</h1>" in response.content.decode()
    assert Notification.objects.count() == 0


def test_check_your_email_says_where_the_message_went_and_nothing_about_the_address(client):
    _put_address_in("full")

    page = client.post(reverse("accounts:signup"), {"email": ADDRESS}, follow=True)

    assert page.redirect_chain == [(reverse("accounts:signup_sent"), 302)]
    text = page.content.decode()
    assert "<h1>Check your email</h1>" in text
    assert [str(message) for message in page.context["messages"]] == [f"We sent a message to {ADDRESS}."]
    assert "already exists" not in text
    assert "Owner" not in text


def test_signup_stores_the_address_in_lower_case(client):
    _signup(client, "  Alex@Example.TEST ")

    assert User.objects.filter(email="alex@example.test").count() == 1


def test_signup_refuses_a_malformed_address_and_creates_nobody(client):
    response = client.post(reverse("accounts:signup"), {"email": "alex@"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert User.objects.count() == 0
    assert Notification.objects.count() == 0


def test_the_finish_page_refuses_a_weak_password_and_a_missing_name_and_changes_nothing(client):
    _signup(client, ADDRESS)
    user = User.objects.get(email=ADDRESS)
    url = reverse("accounts:verify", args=[make_verify_token(user)])

    weak = _finish(client, url, password="12345678")
    nameless = _finish(client, url, name=" ")

    assert weak.status_code == nameless.status_code == 400
    assert weak.context["form"].errors["password"]
    assert nameless.context["form"].errors["display_name"]
    user.refresh_from_db()
    assert not user.has_usable_password() and not user.email_verified


def test_signup_needs_its_csrf_token():
    response = Client(enforce_csrf_checks=True).post(reverse("accounts:signup"), {"email": ADDRESS})

    assert response.status_code == 403
    assert User.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_new_address_finishes_signing_up_with_the_mailed_link_choosing_name_and_password(client):
    _signup(client, ADDRESS)
    user = User.objects.get(email=ADDRESS)
    url = reverse("accounts:verify", args=[make_verify_token(user)])

    opened = client.get(url)
    assert opened.status_code == 200
    assert "Finish signing up" in opened.content.decode()
    user.refresh_from_db()
    assert not user.email_verified  # opening the link (a mail scanner does) changes nothing

    finished = _finish(client, url, follow=True)

    assert finished.redirect_chain == [(reverse("home"), 302)]
    text = finished.content.decode()
    assert f"{ADDRESS} is confirmed, and your account is ready" in text
    assert "Hello, Alex Rivera" in text
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.password.startswith("argon2")
    assert user.email_verified
    assert user.display_name == "Alex Rivera"


def test_the_pages_after_the_link_are_the_same_for_a_new_address_and_an_address_only_account():
    def opened_and_finished(email: str) -> tuple[str, ...]:
        client = Client()
        client.get(_signup(client, email)["Location"])
        url = reverse("accounts:verify", args=[make_verify_token(User.objects.get(email=email))])
        opened = client.get(url)
        wrong = _finish(client, url, password="12345678")
        finished = _finish(client, url, follow=True)
        return (
            f"{opened.status_code} {wrong.status_code} {finished.redirect_chain}",
            _without_csrf_tokens(opened.content),
            _without_csrf_tokens(wrong.content),
        )

    _address_only("robin@example.test")

    assert opened_and_finished("robin@example.test") == opened_and_finished("kim@example.test")


def test_the_page_the_signup_existing_message_leads_to_names_the_ways_in_and_no_address(client):
    response = client.get(reverse("accounts:existing_account"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>You already have an account</h1>" in text
    assert f'href="{reverse("accounts:login")}"' in text
    assert f'href="{reverse("accounts:password_reset")}"' in text
    assert "@" not in re.sub(r"<header.*?</header>", "", text, flags=re.S)


def test_someone_already_logged_in_is_taken_home_from_that_page(client):
    client.force_login(make_user(password=PASSWORD))

    response = client.get(reverse("accounts:existing_account"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


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


# --- Finishing a sign-up for an address whose account has no password yet -----------------------------


def _address_only(email: str):
    from gratitude.accounts.services import account_for_address

    return account_for_address(email=email)


def test_the_mailed_link_lets_its_holder_choose_name_and_password_and_then_logs_in(client):
    contact = _address_only("robin@example.test")
    _signup(client, "robin@example.test")
    url = reverse("accounts:verify", args=[make_verify_token(contact)])

    opened = client.get(url)
    assert opened.status_code == 200
    assert "Finish signing up" in opened.content.decode()
    assert opened["Cache-Control"].startswith("max-age=0")
    contact.refresh_from_db()
    assert not contact.email_verified  # opening the link (a mail scanner does) changes nothing

    weak = _finish(client, url, name="Robin Park", password="robin")
    assert weak.status_code == 400
    assert weak.context["form"].errors["password"]
    contact.refresh_from_db()
    assert not contact.has_usable_password()

    finished = _finish(client, url, name="Robin Park", follow=True)
    assert finished.redirect_chain == [(reverse("home"), 302)]
    assert "robin@example.test is confirmed, and your account is ready" in finished.content.decode()
    assert client.session["_auth_user_id"] == str(contact.pk)
    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)
    assert contact.email_verified
    assert contact.display_name == "Robin Park"  # not "Aunt Robin", the name a giver typed


def test_finishing_with_a_link_that_opens_nothing_shows_not_valid(client):
    contact = _address_only("robin@example.test")
    _signup(client, "robin@example.test")

    response = _finish(client, reverse("accounts:verify", args=[_tamper(make_verify_token(contact))]))

    assert response.status_code == 400
    assert NOT_VALID in response.content.decode()
    contact.refresh_from_db()
    assert not contact.has_usable_password()


def test_the_finish_form_needs_its_csrf_token():
    contact = _address_only("robin@example.test")
    _signup(Client(), contact.email)
    csrf_client = Client(enforce_csrf_checks=True)

    response = _finish(csrf_client, reverse("accounts:verify", args=[make_verify_token(contact)]))

    assert response.status_code == 403
    contact.refresh_from_db()
    assert not contact.has_usable_password()
