"""The client's address as far as we can trust it: REMOTE_ADDR, or the entry our own proxies wrote.

Every limit and the login lockout count per client address (docs/safety.md promise 17). Behind reverse
proxies REMOTE_ADDR is the nearest proxy, the same for every visitor, so each proxy appends the address it
saw to X-Forwarded-For. Only the last `GRATITUDE_TRUSTED_PROXIES` entries were written by our proxies; the
one they name, counted from the right, is the client. Anything to its left was typed by the client and is
ignored, so a client cannot pick its own bucket.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from gratitude.core import conf

UNKNOWN = "unknown"


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address; with trusted proxies configured but a header they did not write (too few
    entries, or not an address), the nearest peer's address, so a bad header never gets a bucket of its
    own."""
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or UNKNOWN
    proxies = conf.trusted_proxies()
    if proxies <= 0:
        return remote
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(entries) < proxies:
        return remote
    return _valid(entries[-proxies]) or remote
