"""Sign-up and password-reset request forms (login and set-password use Django's own)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from gratitude.accounts.models import User, normalize_email_address


class SignupForm(forms.Form):
    display_name = forms.CharField(
        label="Your name", max_length=120, help_text="How we greet you in every message."
    )
    email = forms.EmailField(label="Email address")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    def clean_email(self) -> str:
        email = normalize_email_address(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists. Log in, or reset your password."
            )
        return email

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


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label="Email address")
