"""A name typed by a giver or an inviter is never an account's name (docs/safety.md promise 16): the account
made for their address has none, its mail greets "Hello,", signing up takes the name the person chose, and
every account can choose and change its name on its own page."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from gratitude.accounts.models import User
from gratitude.accounts.services import user_create
from gratitude.registries.services.invitations import registry_invitation_create
from gratitude.testing.factories import make_item, make_registry, make_user
from gratitude.testing.mail_links import message_parts

pytestmark = pytest.mark.django_db

STRANGER_NAME = "Amazon Account Security"


@pytest.mark.django_db(transaction=True)
def test_a_givers_typed_name_never_becomes_the_address_owners_name_nor_greets_them(client, smtp_settings):
    registry = make_registry(title="Alex & Sam's wedding", visibility="public")
    item = make_item(registry=registry, title="Wooden salad bowl", quantity=2)

    response = client.post(
        reverse("gifts:give", args=[registry.share_key, item.pk]),
        {
            "giver_name": STRANGER_NAME,
            "giver_email": "robin@example.test",
            "quantity": "1",
            "send_receipt": "on",
        },
    )
    call_command("worker", drain=True, verbosity=0)

    assert response.status_code == 302
    account = User.objects.get(email="robin@example.test")
    assert account.display_name == ""
    [receipt] = [m for m in smtp_settings.messages if m["X-Gratitude-Kind"] == "gift_receipt"]
    subject, text, html = message_parts(receipt)
    assert text.startswith("Hello,")
    for part in (subject, text, html):
        assert STRANGER_NAME not in part


def test_an_inviters_typed_name_is_not_kept_for_the_invitee():
    owner = make_user(display_name="Alex")
    registry = make_registry(owner=owner)

    invitation = registry_invitation_create(
        registry=registry, invited_by=owner, email="sam@example.test", name=STRANGER_NAME
    )

    assert invitation.invitee.display_name == ""


def test_an_existing_accounts_own_name_is_never_replaced_by_a_typed_one(client):
    robin = make_user(email="robin@example.test", display_name="Robin Park")
    registry = make_registry(visibility="public")
    item = make_item(registry=registry, quantity=2)

    client.post(
        reverse("gifts:give", args=[registry.share_key, item.pk]),
        {"giver_name": STRANGER_NAME, "giver_email": robin.email, "quantity": "1", "send_receipt": "on"},
    )

    robin.refresh_from_db()
    assert robin.display_name == "Robin Park"


def test_every_account_chooses_and_changes_its_name_on_its_own_page(client):
    person = make_user(display_name="")
    client.force_login(person)
    url = reverse("accounts:name")

    page = client.get(url)
    saved = client.post(url, {"display_name": "  Robin Park "})
    changed = client.post(url, {"display_name": "Robin"})

    assert page.status_code == 200 and "Hello," in page.content.decode()
    assert saved.status_code == 302 and changed.status_code == 302
    person.refresh_from_db()
    assert person.display_name == "Robin"


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("paypal-secure.example", "A name can't contain links or web or email addresses"),
        ("", "This field is required."),
        ("x" * 121, "Ensure this value has at most 120 characters (it has 121)."),
    ],
)
def test_a_name_with_a_link_or_no_name_is_refused_on_the_field(client, typed, error):
    person = make_user(display_name="Robin")
    client.force_login(person)

    response = client.post(reverse("accounts:name"), {"display_name": typed})

    assert response.status_code == 400
    assert response.context["form"].errors["display_name"] == [error]
    person.refresh_from_db()
    assert person.display_name == "Robin"


def test_the_name_page_is_only_for_the_signed_in_person_and_needs_its_csrf_token(client):
    assert client.get(reverse("accounts:name"))["Location"].startswith(reverse("accounts:login"))
    person = make_user(display_name="Robin")
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(person)

    assert checked.post(reverse("accounts:name"), {"display_name": "Mallory"}).status_code == 403
    person.refresh_from_db()
    assert person.display_name == "Robin"


def test_the_migration_forgets_names_typed_for_accounts_that_never_signed_up():
    migration = importlib.import_module("gratitude.accounts.migrations.0005_forget_names_typed_by_others")
    contact = user_create(email="robin@example.test")
    User.objects.filter(pk=contact.pk).update(display_name=STRANGER_NAME)
    member = make_user(display_name="Alex Rivera", password="a long and chosen password")

    migration.forget_names_typed_by_others(apps, None)

    contact.refresh_from_db()
    member.refresh_from_db()
    assert contact.display_name == ""
    assert member.display_name == "Alex Rivera"


def test_a_person_who_changes_their_name_is_found_by_the_new_one_in_search(client):
    from gratitude.registries.selectors import registry_search

    owner = make_user(display_name="Robin Park")
    registry = make_registry(owner=owner, title="Robin's birthday", visibility="public")
    client.force_login(owner)

    client.post(reverse("accounts:name"), {"display_name": "Robin Okafor"})

    assert [result.title for result in registry_search(name="Okafor")] == [registry.title]
    assert registry_search(name="Park") == []
