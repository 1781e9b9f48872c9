"""Account forms: sign-up, password-reset request (login and set-password use Django's own), the person's
name, and the preferences about quiet mode, trusted delegates and occasion opt-outs."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from gratitude.accounts.models import normalize_email_address
from gratitude.core.forms import TEXT_FORM_RENDERER
from gratitude.notifications.sending.occasion_opt_outs import OPT_OUT_OCCASIONS


class LoginForm(AuthenticationForm):
    """Django's login form, rendered by Jinja2: the same HTML, in half the time (core/forms.py)."""

    default_renderer = TEXT_FORM_RENDERER


class SignupForm(forms.Form):
    """Only the address: the name and the password are chosen on the page its mailed link opens, so nobody
    who types someone else's address here can give that address's account either (services.user_signup)."""

    default_renderer = TEXT_FORM_RENDERER
    email = forms.EmailField(label="Email address")

    def clean_email(self) -> str:
        # Never "this address is taken": sign-up answers the same for every address (services.user_signup).
        return normalize_email_address(self.cleaned_data["email"])


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label="Your name", max_length=120, help_text="How we greet you in every message, and what others see."
    )


class SignupFinishForm(forms.Form):
    display_name = forms.CharField(
        label="Your name", max_length=120, help_text="How we greet you in every message."
    )
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
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


class AcceptWithPasswordForm(forms.Form):
    """An invitee without a password yet (a registry's co-registrant, a trusted delegate) chooses their name
    and a password to accept (accounts/invitation_views.py)."""

    display_name = forms.CharField(label="Your name", max_length=120)
    password = forms.CharField(
        label="Choose a password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
