"""What the login lockout counts failures by: the address typed in the login form, normalised the way
accounts are looked up, so "Sam@Example.test " and "sam@example.test" share one count (with the client
address: settings AXES_LOCKOUT_PARAMETERS)."""

from __future__ import annotations

from django.http import HttpRequest

from gratitude.accounts.models import normalize_email_address


def attempted_address(request: HttpRequest, credentials: dict[str, object] | None) -> str | None:
    """django-axes' AXES_USERNAME_CALLABLE: Django's login form posts the address as `username`."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username")
    if not isinstance(value, str) or not value.strip():
        return None
    return normalize_email_address(value)
