"""Signed links in invitation mail: bound to one invitation and the address it was sent to.

The token carries the invitation's id and a digest of the address, never the address itself (links end up
in browser histories and server logs).
"""

from __future__ import annotations

import hashlib
import hmac

from django.core import signing

from gratitude.registries.models import RegistryInvitation

_SALT = "gratitude.registries.invitation"


def address_digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:20]


def make_invitation_token(invitation: RegistryInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "a": address_digest(invitation.email)}, salt=_SALT)


def read_invitation_token(token: str, *, max_age_seconds: int) -> tuple[int, str] | None:
    """(invitation id, address digest) for a genuine, unexpired token; None for anything else."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age_seconds)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("a"), str):
        return None
    return data["i"], data["a"]


def digest_matches(invitation: RegistryInvitation, digest: str) -> bool:
    return hmac.compare_digest(address_digest(invitation.email), digest)
