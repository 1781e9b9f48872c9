"""Signed item references: what a giver's "buy" link carries to a store (`?gratitude_ref=...`) and what the
store's order event sends back, so a purchase names the exact item without anyone being able to forge one.

Signed with Django's signing (HMAC over SECRET_KEY, its own salt); a reference holds only the item's id.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core import signing

ITEM_REF_SALT = "gratitude.registries.item_ref"
REF_PARAMETER = "gratitude_ref"

_signer = signing.Signer(salt=ITEM_REF_SALT)


def item_ref_make(*, item_id: int) -> str:
    return _signer.sign(str(item_id))


def item_ref_read(ref: str) -> int | None:
    """The item id a reference names, or None for anything we did not sign."""
    try:
        value = _signer.unsign(ref)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def buy_link(url: str, *, item_id: int) -> str:
    """The store link with the item's signed reference added to its query (any earlier one replaced)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != REF_PARAMETER]
    query.append((REF_PARAMETER, item_ref_make(item_id=item_id)))
    return urlunsplit(parts._replace(query=urlencode(query)))
