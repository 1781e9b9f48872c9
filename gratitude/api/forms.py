"""The form on the account page that makes a personal API token."""

from __future__ import annotations

from django import forms

from gratitude.api.models import TokenScope


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="So you can tell your tokens apart, e.g. “my script”.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
