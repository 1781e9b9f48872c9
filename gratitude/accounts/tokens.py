"""Signed, expiring tokens for the email-verification link and the trusted-delegate invitation link (no table
needed, nothing to leak)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from django.core import signing

from gratitude.accounts.models import QuietDelegate, User

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


_QUIET_DELEGATE_SALT = "gratitude.accounts.quiet-delegate"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
QUIET_DELEGATE_MAX_AGE_SECONDS = 60 * 60 * 24 * 14


def invitation_stamp(delegation: QuietDelegate) -> int:
    """When this sending of the invitation happened, in whole microseconds (exact, unlike a float): a link
    and a mail are bound to one sending, so naming the same address again retires the older ones."""
    return stamp_of(delegation.invited_at)


def stamp_of(moment: datetime) -> int:
    """A moment in whole microseconds since the epoch (exact, unlike a float)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _address_digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:20]


def make_quiet_delegate_token(delegation: QuietDelegate) -> str:
    """Bound to this invitation (its id and when it was sent) and the address it went to; the address
    itself is not in the link, which ends up in browser histories and logs."""
    return signing.dumps(
        {
            "q": delegation.pk,
            "t": invitation_stamp(delegation),
            "a": _address_digest(delegation.email),
        },
        salt=_QUIET_DELEGATE_SALT,
    )


def read_quiet_delegate_token(token: str) -> tuple[int, int] | None:
    """(delegation id, invitation time) for a genuine, unexpired token whose address still matches; else
    None."""
    try:
        data = signing.loads(token, salt=_QUIET_DELEGATE_SALT, max_age=QUIET_DELEGATE_MAX_AGE_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    delegation_id, invited_at, digest = data.get("q"), data.get("t"), data.get("a")
    if not isinstance(delegation_id, int) or not isinstance(invited_at, int) or not isinstance(digest, str):
        return None
    delegation = QuietDelegate.objects.filter(pk=delegation_id).only("email").first()
    if delegation is None or not hmac.compare_digest(_address_digest(delegation.email), digest):
        return None
    return delegation_id, invited_at
