"""A small fixed-window rate limit in the shared cache (CACHE_URL), for every limit a page keeps: counted
per signed-in person, or per client address (as seen through the trusted proxies) when signed out."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest

from gratitude.core.client_ip import client_ip
from gratitude.core.email_addresses import normalize_email_address


def _who(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip(request)}"


def over_limit(request: HttpRequest, *, scope: str, per_hour: int) -> bool:
    """Count this attempt; True once the person (or, signed out, the client address) made more than
    `per_hour` in the current hour-long window. Exact across web processes: the count is one atomic
    increment in the cache they share (Redis INCR)."""
    key = f"gratitude:throttle:{scope}:{_who(request)}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        # Expired between add and incr: this is the first attempt of a new window.
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > per_hour


def address_over_limit(*, scope: str, address: str, per_hour: int) -> bool:
    """Count one attempt that names `address`, whoever makes it; True once that address was named more than
    `per_hour` times in the current hour-long window. Keyed by a digest, so the cache holds no addresses."""
    digest = hashlib.sha256(normalize_email_address(address).encode()).hexdigest()[:32]
    key = f"gratitude:throttle:{scope}:address:{digest}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > per_hour
