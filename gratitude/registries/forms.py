"""Forms for building a registry and its items. Rules live in the services; forms shape input."""

from __future__ import annotations

from django import forms

from gratitude.registries.models import Item, Registry


class RegistryForm(forms.ModelForm[Registry]):
    class Meta:
        model = Registry
        fields = ["title", "occasion", "event_date", "visibility"]
        widgets = {"event_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"title": "Registry name", "event_date": "Event date (optional)"}


class ItemForm(forms.ModelForm[Item]):
    quantity = forms.IntegerField(min_value=1, initial=1, label="How many you want")
    url = forms.URLField(label="Link (optional)", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Item
        fields = ["title", "quantity", "price", "url"]
        labels = {"title": "What is it?", "price": "Price (optional)"}
