"""Who is calling the API: a personal token (Authorization: Bearer), or a signed-in browser session, which
must then pass Django's CSRF check on every unsafe method. Each caller is rate-limited through Django's
cache (shared by every web process when CACHE_URL points at Redis)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from gratitude.accounts.models import User
from gratitude.api import conf
from gratitude.api.models import ApiToken, TokenScope
from gratitude.api.services import api_token_authenticate

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Caller:
    user: User | None
    token: ApiToken | None = None
    can_write: bool = False


def _throttle(key: str, per_minute: int) -> None:
    """A fixed one-minute window in the shared cache: the same count whichever process answers."""
    cache_key = f"gratitude:api:rate:{key}"
    cache.add(cache_key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=WINDOW_SECONDS)
        count = 1
    if count > per_minute:
        raise Throttled(wait=WINDOW_SECONDS)


class TokenAuth(AuthBase):
    """`Authorization: Bearer grt_...`. A wrong or revoked token is a 401, never a fallback to the session."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Caller | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        token = api_token_authenticate(raw=raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            # Nothing of the header is logged: it may be a real token pasted in the wrong place.
            raise AuthenticationError(401, "The token is missing, wrong or revoked.")
        _throttle(f"token:{token.pk}", conf.api_requests_per_minute())
        request.user = token.user
        return Caller(user=token.user, token=token, can_write=token.scope == TokenScope.WRITE)


class SessionAuth(AuthBase):
    """The signed-in browser: its session cookie, and Django's CSRF check on POST/PUT/PATCH/DELETE."""

    openapi_type = "apiKey"

    def __init__(self) -> None:
        self.openapi_in = "cookie"
        self.openapi_name = settings.SESSION_COOKIE_NAME
        super().__init__()

    def __call__(self, request: HttpRequest) -> Caller | None:
        user = request.user
        if not isinstance(user, User) or not user.is_active:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.")
        _throttle(f"user:{user.pk}", conf.api_requests_per_minute())
        return Caller(user=user, can_write=True)


def optional_caller(request: HttpRequest) -> Caller:
    """For the few public reads (a registry by its share key): a token or a session if one is sent (a wrong
    token is still a 401), else anyone, limited per client address."""
    for auth in SIGNED_IN:
        caller = auth(request)
        if caller is not None:
            return caller
    _throttle(f"ip:{request.META.get('REMOTE_ADDR', 'unknown')}", conf.api_requests_per_minute())
    return Caller(user=None)


SIGNED_IN: list[TokenAuth | SessionAuth] = [TokenAuth(), SessionAuth()]
