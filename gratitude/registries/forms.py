"""Forms for building a registry, its items and its people. Rules live in the services; forms shape input."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms

from gratitude.core.bounds import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE, date_in_range
from gratitude.core.forms import TEXT_FORM_RENDERER
from gratitude.registries.models import (
    AlertPreference,
    Item,
    MemberRole,
    Priority,
    Registry,
    http_url,
    time_zone_names,
)
from gratitude.registries.services.items import MAX_QUANTITY

_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")

# The currencies a registry (and a price read from a store) may be in.
CURRENCIES = [
    "EUR",
    "USD",
    "GBP",
    "CAD",
    "AUD",
    "CHF",
    "SEK",
    "NOK",
    "DKK",
    "ISK",
    "JPY",
    "NZD",
    "PLN",
    "CZK",
    "HUF",
    "RON",
    "BGN",
    "TRY",
    "ILS",
    "ZAR",
    "MXN",
    "BRL",
    "INR",
    "SGD",
    "HKD",
    "KRW",
    "CNY",
]


def _bounded_date(value: date | None) -> date | None:
    if not date_in_range(value):
        raise forms.ValidationError(DATE_RANGE_MESSAGE)
    return value


class RegistryForm(forms.ModelForm[Registry]):
    currency = forms.ChoiceField(
        choices=[(c, c) for c in CURRENCIES],
        label="Currency of your prices",
        help_text="Shown with every price.",
        required=False,
    )

    def clean_currency(self) -> str:
        # Left out (a script, an older page): the guess from the browser the form was made with.
        return self.cleaned_data.get("currency") or self.initial.get("currency") or "EUR"

    class Meta:
        model = Registry
        fields = ["title", "occasion", "event_date", "visibility", "welcome_note", "currency"]
        widgets = {
            "event_date": forms.DateInput(attrs={"type": "date"}),
            "welcome_note": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "title": "Registry name",
            "event_date": "Event date (optional)",
            "welcome_note": "A note for your givers (optional)",
        }

    def clean_event_date(self) -> date | None:
        return _bounded_date(self.cleaned_data.get("event_date"))


class RegistrySettingsForm(forms.ModelForm[Registry]):
    # Left out of a post (an older page, a script): the registry keeps the zone it has.
    time_zone = forms.ChoiceField(
        label="Time zone (givers see a hold's end and their receipt in it)",
        required=False,
        choices=[(name, name) for name in time_zone_names()],
    )

    class Meta:
        model = Registry
        fields = [
            "title",
            "occasion",
            "event_date",
            "welcome_note",
            "visibility",
            "surprise",
            "reveal_on",
            "shipping_address",
            "city",
            "region",
            "show_city_region",
            "shipping_note",
            "show_shipping_address",
            "auto_archive",
            "time_zone",
        ]
        widgets = {
            "event_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "reveal_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "welcome_note": forms.Textarea(attrs={"rows": 3}),
            "shipping_address": forms.Textarea(attrs={"rows": 3}),
            "shipping_note": forms.Textarea(attrs={"rows": 2}),
            "visibility": forms.RadioSelect,
            "surprise": forms.RadioSelect,
        }
        labels = {
            "title": "Registry name",
            "event_date": "Event date (optional)",
            "welcome_note": "A note for your givers (optional)",
            "surprise": "Surprises",
            "reveal_on": "Reveal gifts on (optional; the event date if empty)",
            "shipping_address": "Shipping address (givers see it only if you tick the box below)",
            "show_city_region": "Show givers your city and region",
            "shipping_note": "A note for givers on shipping (optional), e.g. “Bring gifts to the party”",
            "show_shipping_address": "Show givers the shipping address above",
            "auto_archive": "Archive this registry by itself some time after the event (after a notice)",
        }

    def clean_event_date(self) -> date | None:
        return _bounded_date(self.cleaned_data.get("event_date"))

    def clean_reveal_on(self) -> date | None:
        return _bounded_date(self.cleaned_data.get("reveal_on"))


class ItemForm(forms.ModelForm[Item]):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1, label="How many you want")
    url = forms.URLField(
        label="Link (optional)", required=False, max_length=500, assume_scheme="https", validators=[http_url]
    )
    currency = forms.ChoiceField(choices=[(c, c) for c in CURRENCIES], required=False)
    priority = forms.ChoiceField(choices=Priority.choices, required=False, initial=Priority.NORMAL)
    picture_file = forms.FileField(
        label="A picture (optional): JPEG, PNG, WebP or GIF", required=False, widget=forms.ClearableFileInput
    )
    # The picture kept when the details came from a store link (its key; the view looks it up in this
    # registry only, so a key from another registry finds nothing).
    fetched_picture = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    class Meta:
        model = Item
        fields = ["title", "quantity", "price", "currency", "url", "priority", "notes", "group_gift"]
        labels = {
            "title": "What is it?",
            "price": "Price (optional)",
            "notes": "Notes for givers (optional): size, colour, where to find it",
            "group_gift": "Group gift: several givers contribute toward the price",
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def clean_currency(self) -> str:
        # Empty means the registry's own currency (item_add fills it in).
        return self.cleaned_data.get("currency") or ""

    def clean_priority(self) -> str:
        return self.cleaned_data.get("priority") or Priority.NORMAL

    def item_arguments(self) -> dict[str, Any]:
        """What the item services take; the picture fields are turned into a Picture by the view."""
        skip = {"picture_file", "fetched_picture", "remove_picture"}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}


class ItemEditForm(ItemForm):
    remove_picture = forms.BooleanField(label="Remove the picture", required=False)

    class Meta(ItemForm.Meta):
        fields = ["title", "quantity", "price", "currency", "url", "priority", "notes"]


class AddFromLinkForm(forms.Form):
    link = forms.URLField(
        label="Paste a link to the product in any store",
        max_length=500,
        assume_scheme="https",
        validators=[http_url],
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )


class RegistryPhotoForm(forms.Form):
    photo = forms.FileField(label="A photo of you (JPEG, PNG, WebP or GIF)")


class InvitationForm(forms.Form):
    name = forms.CharField(
        label="Their name",
        max_length=120,
        help_text="For your list of people; the invitation uses the name they choose when they join.",
    )
    email = forms.EmailField(label="Their email address")
    role = forms.ChoiceField(
        choices=[
            (MemberRole.CO_REGISTRANT, "Co-registrant: runs the registry with you"),
            (MemberRole.DELEGATE, "Trusted delegate: helps manage it, not alerted unless they choose"),
        ],
        initial=MemberRole.CO_REGISTRANT,
        widget=forms.RadioSelect,
    )


class AlertsForm(forms.Form):
    alerts = forms.ChoiceField(
        choices=AlertPreference.choices,
        widget=forms.RadioSelect,
        label="How do you want to hear about gifts?",
    )


class SearchForm(forms.Form):
    """The public search: text inputs only, so rendered by Jinja2 as login is, the same HTML in less time
    (core/forms.py)."""

    default_renderer = TEXT_FORM_RENDERER
    name = forms.CharField(label="Registrant's name", max_length=120)
    month = forms.CharField(
        label="Event month (optional)",
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2031-06"}),
    )
    city = forms.CharField(label="City (optional)", required=False, max_length=100)

    def clean_month(self) -> date | None:
        value: str = self.cleaned_data.get("month") or ""
        if not value:
            return None
        if not _MONTH.fullmatch(value):
            raise forms.ValidationError("Enter a month like 2031-06.")
        try:
            first = date(int(value[:4]), int(value[5:]), 1)
        except ValueError as exc:
            raise forms.ValidationError("Enter a month like 2031-06.") from exc
        if not date_in_range(first):
            raise forms.ValidationError(f"Enter a month between {EARLIEST_DATE.year} and {LATEST_DATE.year}.")
        return first

    def search_arguments(self) -> dict[str, Any]:
        return {
            "name": self.cleaned_data["name"],
            "month": self.cleaned_data["month"],
            "city": self.cleaned_data["city"],
        }
