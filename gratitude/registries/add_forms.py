"""The two add forms of the registrant's registry page (add from a store link, add by hand), rendered as HTML.

Why: rendering the add-item form's ten fields through Django's form templates was ~10 ms of a ~23 ms page
(docs/benchmarks.md, "Pages under load"). A blank form's HTML is a pure function of the code and of the one
value it starts from (the registry's currency): no user data, no CSRF token (the page's own `{% csrf_token %}`
sits outside these fields). So the blank forms are rendered once per process and currency and reused; any
form carrying input, errors or a store's details is rendered afresh every time.
"""

from __future__ import annotations

from functools import lru_cache

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from gratitude.registries.forms import CURRENCIES, AddFromLinkForm, ItemForm

ITEM_FIELDS_TEMPLATE = "registries/_item_form_fields.html"
LINK_FIELDS_TEMPLATE = "registries/_link_form_fields.html"


def blank_item_form(currency: str) -> ItemForm:
    return ItemForm(initial={"currency": currency})


def item_fields(form: ItemForm, *, fetched_picture_src: str = "") -> SafeString:
    """The add-item form's fields (errors included, and the store's picture kept for it) as HTML."""
    context = {"item_form": form, "fetched_picture_src": fetched_picture_src}
    return SafeString(render_to_string(ITEM_FIELDS_TEMPLATE, context).strip())


def link_fields(form: AddFromLinkForm) -> SafeString:
    """The add-from-link form's field as HTML."""
    return SafeString(render_to_string(LINK_FIELDS_TEMPLATE, {"link_form": form}).strip())


def blank_item_fields(currency: str) -> SafeString:
    """The blank add-item form for a registry in `currency`: the same bytes every time, so kept."""
    return _blank_item_fields(currency, get_language())


def blank_link_fields() -> SafeString:
    return _blank_link_fields(get_language())


# Keyed by the active language too: the labels are words, should the site ever speak more than one.
@lru_cache(maxsize=4 * (len(CURRENCIES) + 1))
def _blank_item_fields(currency: str, language: str | None) -> SafeString:
    return item_fields(blank_item_form(currency))


@lru_cache(maxsize=4)
def _blank_link_fields(language: str | None) -> SafeString:
    return link_fields(AddFromLinkForm())
