"""Forms for the Thank You List: filters, marks, notes, and the giver's address page. Rules live in the
services; these only shape input and say what to fix."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from gratitude.core.bounds import MAX_ID, parse_id
from gratitude.core.forms import TEXT_FORM_RENDERER
from gratitude.thanks.models import ThankYouStatus
from gratitude.thanks.selectors import ThankYouFilters
from gratitude.thanks.services import ADDRESS_MAX_LENGTH, NOTE_MAX_LENGTH

FILTER_FIELDS = ("status", "received", "giver", "given_from", "given_to", "q", "view")


class FilterForm(forms.Form):
    # Rendered on every list page: by Jinja2, in about half the time (core/forms.py; only the selects'
    # whitespace differs from Django's templates).
    default_renderer = TEXT_FORM_RENDERER

    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Thank-you", required=False, choices=[("", "Any"), *ThankYouStatus.choices]
    )
    received = forms.ChoiceField(
        label="Received", required=False, choices=[("", "Any"), ("yes", "Received"), ("no", "Not yet")]
    )
    given_from = forms.DateField(
        label="Given from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    given_to = forms.DateField(label="to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    giver = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)
    view = forms.ChoiceField(
        required=False, choices=[("", "Gifts"), ("givers", "Givers")], widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("given_from"), cleaned.get("given_to")
        if start and end and start > end:
            self.add_error("given_to", "The end date is before the start date.")
        return cleaned

    def _valid_data(self) -> dict[str, Any]:
        # An invalid field is simply not applied; the others still are (the form shows what to fix).
        self.is_valid()
        return self.cleaned_data

    def filters(self) -> ThankYouFilters:
        data = self._valid_data()
        return ThankYouFilters(
            status=data.get("status") or "",
            received=data.get("received") or "",
            giver=(data.get("giver") or "").strip(),
            given_from=data.get("given_from"),
            given_to=data.get("given_to"),
            q=(data.get("q") or "").strip(),
        )

    def by_giver(self) -> bool:
        return self._valid_data().get("view") == "givers"

    def querystring(self, **changes: str) -> str:
        """The applied filters as a query string, with `changes`: for links, and to come back after a mark."""
        data = self._valid_data()
        query = QueryDict(mutable=True)
        for name in FILTER_FIELDS:
            value = data.get(name)
            if value:
                query[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        for name, value in changes.items():
            if value:
                query[name] = value
            else:
                query.pop(name, None)
        return query.urlencode()


class ManyValuesField(forms.Field):
    """Every value posted under one name (checkboxes), as strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in value or []]


class MarkForm(forms.Form):
    """The bulk actions: which gifts (by id, or all of a giver's by key) and what to mark them."""

    ACTIONS = [
        ("todo", "Mark to do"),
        ("written", "Mark written"),
        ("sent", "Mark sent"),
        ("received", "Mark received"),
        ("not_received", "Mark not received"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    gift = ManyValuesField(required=False)
    giver = ManyValuesField(required=False)
    # Where to go back to: the list with its filters, or a gift's own page.
    query = forms.CharField(required=False, max_length=2000)
    back_to_gift = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def clean_gift(self) -> list[int]:
        values = self.cleaned_data.get("gift", [])
        # ASCII digits only, and no id past what the database can hold (a 500 on SQLite otherwise).
        if not all(parse_id(value) is not None for value in values):
            raise forms.ValidationError(
                "Some of the ticked gifts are not on this list; reload and try again."
            )
        return [int(value) for value in values]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("gift") and not cleaned.get("giver") and not self.errors:
            raise forms.ValidationError("Tick at least one gift first.")
        return cleaned


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Private note",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only the registry's members see it: what to write, or what the gift was if it came "
        "unlabelled.",
    )


class AddressForm(forms.Form):
    address = forms.CharField(
        label="Mailing address",
        max_length=ADDRESS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "street-address"}),
        help_text="As you would write it on an envelope. Only the registry's members see it.",
    )


class EnteredAddressForm(forms.Form):
    """A registrant types in a giver's address they know (the giver shared none)."""

    address = forms.CharField(
        label="Mailing address",
        max_length=ADDRESS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="As you would write it on an envelope. Only the registry's members see it, marked as typed "
        "in by you rather than shared by the giver.",
    )
