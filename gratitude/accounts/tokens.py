"""Signed, expiring tokens for the email-verification link (no table needed, nothing to leak)."""

from __future__ import annotations

from django.core import signing

from gratitude.accounts.models import User

_SALT = "gratitude.accounts.verify-email"
VERIFY_MAX_AGE_SECONDS = 60 * 60 * 24 * 3


def make_verify_token(user: User) -> str:
    # Binding the address means a token stops working if the account's address changes.
    return signing.dumps({"user": user.pk, "email": user.email}, salt=_SALT, compress=True)


def read_verify_token(token: str) -> tuple[int, str] | None:
    """Return (user id, address) for a valid, unexpired token, else None."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=VERIFY_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    user_id, email = payload.get("user"), payload.get("email")
    if not isinstance(user_id, int) or not isinstance(email, str):
        return None
    return user_id, email
