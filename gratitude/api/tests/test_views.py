"""The API app's pages: personal tokens on the account page (shown once, revocable, one's own only) and the
store events page for operators."""

from __future__ import annotations

import pytest
from django.test import Client

from gratitude.api.models import ApiToken
from gratitude.api.services import api_token_authenticate, api_token_create, store_add
from gratitude.api.tests.webhook_support import outcome_of, paid, post_event
from gratitude.testing.factories import make_item, make_user

pytestmark = pytest.mark.django_db


def test_a_token_made_on_the_account_page_is_shown_once_and_works(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    made = client.post("/accounts/api-tokens/", {"name": "my script", "scope": "write"})
    assert made.status_code == 302  # a reload of what follows must not make a second token
    shown = client.get("/accounts/api-tokens/")
    raw = shown.context["created"]["raw"]
    assert raw in shown.content.decode()
    assert api_token_authenticate(raw=raw) is not None
    again = client.get("/accounts/api-tokens/").content.decode()
    assert raw not in again and "my script" in again
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_token_without_a_name_is_refused_with_the_field_to_fix(client: Client) -> None:
    client.force_login(make_user())
    response = client.post("/accounts/api-tokens/", {"name": "", "scope": "read"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_and_only_its_owner_can(client: Client) -> None:
    owner, stranger = make_user(), make_user()
    token, raw = api_token_create(user=owner, name="old")
    client.force_login(stranger)
    assert client.post(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 404
    assert api_token_authenticate(raw=raw) is not None
    client.force_login(owner)
    assert client.post(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 302
    assert api_token_authenticate(raw=raw) is None


def test_the_token_page_needs_a_signed_in_person(client: Client) -> None:
    response = client.get("/accounts/api-tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_operators_see_each_store_event_with_its_outcome_and_no_buyer_details(client: Client) -> None:
    store, secret = store_add(name="Corner shop")
    response = post_event(
        client, store.public_id, secret, paid("A-77", ("1", make_item(), 1), address="1 Secret Lane")
    )
    operator = make_user()
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    client.force_login(operator)
    page = client.get("/ops/stores/").content.decode()
    # Accepted, not yet applied: the page says so, and shows nothing of the buyer the stored body holds.
    assert "Corner shop" in page and "A-77" in page and "Accepted; waiting for the worker" in page
    assert "1 Secret Lane" not in page and "Sam Buyer" not in page
    assert outcome_of(response)["outcome"] == "recorded"
    page = client.get("/ops/stores/").content.decode()
    assert "Corner shop" in page and "A-77" in page and "Gifts recorded" in page
    assert "1 Secret Lane" not in page and "Sam Buyer" not in page


def test_store_events_are_for_staff_only(client: Client) -> None:
    client.force_login(make_user())
    response = client.get("/ops/stores/")
    # Signed in but not staff: the console's own 403 page (never a redirect loop to the login page).
    assert response.status_code == 403
