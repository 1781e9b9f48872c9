"""The registry page's add forms: the blank ones kept rendered are the forms Django renders, a registry's own
currency is the one chosen (and a new currency shows on the next request), and a form with input is never
the kept one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gratitude.registries import add_forms
from gratitude.registries.forms import AddFromLinkForm
from gratitude.testing.factories import make_registry, make_user

pytestmark = pytest.mark.django_db


def _selected_currency(html: str) -> str:
    select = re.search(r'<select name="currency".*?</select>', html, re.S)
    assert select is not None
    chosen = re.findall(r'<option value="([A-Z]{3})" selected>', select.group(0))
    assert len(chosen) == 1
    return chosen[0]


@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY"])
def test_the_kept_blank_forms_are_the_forms_django_renders(currency):
    assert add_forms.blank_item_fields(currency) == add_forms.item_fields(add_forms.blank_item_form(currency))
    assert add_forms.blank_link_fields() == add_forms.link_fields(AddFromLinkForm())
    assert _selected_currency(add_forms.blank_item_fields(currency)) == currency


def test_a_new_currency_shows_on_the_add_form_at_the_next_request(client):
    owner = make_user()
    registry = make_registry(owner=owner, currency="EUR")
    client.force_login(owner)
    page = reverse("registries:detail", args=[registry.pk])
    assert _selected_currency(client.get(page).content.decode()) == "EUR"

    registry.currency = "GBP"
    registry.save(update_fields=["currency"])

    assert _selected_currency(client.get(page).content.decode()) == "GBP"


def test_a_form_with_errors_is_rendered_afresh_with_its_input(client):
    owner = make_user()
    registry = make_registry(owner=owner)
    client.force_login(owner)
    blank = add_forms.blank_item_fields(registry.currency)

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]), {"title": "", "quantity": "2", "notes": "blue"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert blank not in html
    assert "This field is required." in html and "blue</textarea>" in html
    assert add_forms.blank_item_fields(registry.currency) == blank  # the kept form took none of it
