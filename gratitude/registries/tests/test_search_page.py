"""The search page prints its form from a Jinja2 fragment (registries/search_form.html): the same inputs,
values and errors Django's rendering of SearchForm gives, whatever a visitor typed, escaped."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gratitude.core import fragments
from gratitude.core.fragments import as_django_escaped
from gratitude.registries.forms import SearchForm
from gratitude.registries.views import _search_form_fields

TYPED = [
    None,  # the empty form
    {},
    {"name": "maria"},
    {"name": "  maria  ", "month": "2031-06", "city": "Lyon"},
    {"name": "<b>\"Zoë\" & 'O'Brien'</b>", "city": "<script>alert(1)</script>"},
    {"name": ""},
    {"name": "bo", "month": "June"},
    {"name": "bo", "month": "9999-12"},
    {"name": "x" * 130, "city": "y" * 101},
    {"name": "a\x00b"},
]


def _same_markup(html: str) -> str:
    """Quotes as Django escapes them, and no whitespace between tags (it shows nothing)."""
    return re.sub(r">\s+<", "><", str(as_django_escaped(html))).strip()


@pytest.mark.parametrize("data", TYPED, ids=range(len(TYPED)))
def test_search_form_fragment_prints_what_django_renders(data):
    form = SearchForm(data)
    form.is_valid()

    printed = fragments.render("registries/search_form.html", {"fields": _search_form_fields(form)})

    assert _same_markup(printed) == _same_markup(str(form))


@pytest.mark.django_db
def test_the_search_page_shows_the_typed_words_escaped_and_the_errors(client):
    response = client.get(reverse("registries:search"), {"name": '<i>"Al"</i>', "month": "June"})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="&lt;i&gt;&quot;Al&quot;&lt;/i&gt;"' in html
    assert "<i>" not in html
    assert '<ul class="errorlist" id="id_month_error"><li>Enter a month like 2031-06.</li></ul>' in html
