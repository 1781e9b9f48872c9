"""Account forms: sign-up, password-reset request (login and set-password use Django's own), the person's
name, and the preferences about quiet mode, trusted delegates and occasion opt-outs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from gratitude.accounts.models import User, normalize_email_address
from gratitude.notifications.occasions import OPT_OUT_OCCASIONS


class SignupForm(forms.Form):
    display_name = forms.CharField(
        label="Your name", max_length=120, help_text="How we greet you in every message."
    )
    email = forms.EmailField(label="Email address")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    def clean_email(self) -> str:
        # Never "this address is taken": sign-up answers the same for every address (services.user_signup).
        return normalize_email_address(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            probe = User(email=cleaned.get("email", ""), display_name=cleaned.get("display_name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label="Your name", max_length=120, help_text="How we greet you in every message, and what others see."
    )


class SignupFinishForm(forms.Form):
    password = forms.CharField(
        label="The password you chose",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
        help_text="The one you typed when you signed up with this address.",
    )


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label="Email address")


class QuietModeForm(forms.Form):
    # Never required, never asked for: a place to write something down for oneself, if one wants to.
    reason = forms.CharField(
        label="A note for yourself (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuietDelegateForm(forms.Form):
    email = forms.EmailField(
        label="Their email address", help_text="They get an email asking them to accept; nothing else."
    )
    receives_must_go = forms.BooleanField(
        label="While I am quiet, send them the few messages that must still go",
        help_text="Such as a receipt you asked for. Without this, those still come to you.",
        required=False,
    )


class OccasionOptOutsForm(forms.Form):
    occasions = forms.MultipleChoiceField(
        label="Never send me anything about",
        choices=list(OPT_OUT_OCCASIONS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
