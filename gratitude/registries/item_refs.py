"""Signed item references: what a giver's "buy" link carries to a store (`?gratitude_ref=...`) and what the
store's order event sends back, so a purchase names the exact item without anyone being able to forge one.

Signed with Django's signing (HMAC over SECRET_KEY, its own salt); a reference holds only the item's id.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

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
    """The store link with the item's signed reference added to its query (any earlier one replaced).

    The share page makes one per item (500 on a long list), so the usual case appends to the string; only a
    link that already carries a reference is taken apart."""
    ref = quote(item_ref_make(item_id=item_id), safe="")
    base, hash_mark, fragment = url.partition("#")
    if f"{REF_PARAMETER}=" in base:
        parts = urlsplit(base)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != REF_PARAMETER]
        base = urlunsplit(parts._replace(query=urlencode(query)))
    separator = "" if base.endswith(("?", "&")) else "&" if "?" in base else "?"
    return f"{base}{separator}{REF_PARAMETER}={ref}{hash_mark}{fragment}"
