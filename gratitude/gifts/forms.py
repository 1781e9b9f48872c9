"""The guest's form for recording a purchase."""

from __future__ import annotations

from django import forms


class GiftForm(forms.Form):
    giver_name = forms.CharField(label="Your name", max_length=120)
    giver_email = forms.EmailField(
        label="Your email (optional)",
        required=False,
        help_text="Only used for the registrant's thank-you note. We never add you to a list.",
    )
    quantity = forms.IntegerField(label="How many", min_value=1, initial=1)
    message = forms.CharField(
        label="A message for them (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
