"""A visitor's CSRF token as django.middleware.csrf.get_token makes it, for a fraction of its CPU: the same
secret in the same cookie, the same masked form, equally random.

Why: get_token draws each of the 64 characters of a new visitor's secret and mask with its own
secrets.choice call, about 0.15 ms per visitor, a sixth of a kept guest page's whole cost. Here they come
from one os.urandom call (the source secrets uses) through a byte table. A byte is kept only below 248,
the largest multiple of the 62 allowed characters, so every character stays exactly equally likely
(rejection, not a modulo bias). The token is Django's format: 32 characters of mask, then the secret with
each character shifted by the mask's (django.middleware.csrf._mask_cipher_secret), so CsrfViewMiddleware
unmasks and checks it as its own.
"""

from __future__ import annotations

import os
from operator import add

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_CHARS = CSRF_ALLOWED_CHARS.encode()
_COUNT = len(_CHARS)  # 62
_USABLE = 256 - 256 % _COUNT  # 248: bytes at or above it are dropped, so no character is favoured
_REJECTED = bytes(range(_USABLE, 256))
# A random byte below _USABLE -> a character; an index (0 .. 2 * _COUNT - 2, a sum of two) -> a character.
_BYTE_TO_CHAR = bytes(_CHARS[b % _COUNT] if b < _USABLE else 0 for b in range(256))
_SUM_TO_CHAR = bytes(_CHARS[i % _COUNT] if i < 2 * _COUNT else 0 for i in range(256))
_CHAR_TO_INDEX = bytes.maketrans(_CHARS, bytes(range(_COUNT)))


def random_chars(length: int) -> bytes:
    """`length` characters of CSRF_ALLOWED_CHARS, each independent and uniform, from os.urandom."""
    drawn = b""
    while len(drawn) < length:
        # 256/248 bytes per character on average: a few spare make a second draw rare.
        drawn += os.urandom(length + 8).translate(_BYTE_TO_CHAR, _REJECTED)
    return drawn[:length]


def masked(secret: bytes) -> str:
    """Django's masked form of a secret of CSRF_ALLOWED_CHARS: a fresh mask, then each secret character
    moved on by its mask character's index."""
    mask = random_chars(CSRF_SECRET_LENGTH)
    sums = bytes(map(add, secret.translate(_CHAR_TO_INDEX), mask.translate(_CHAR_TO_INDEX)))
    return (mask + sums.translate(_SUM_TO_CHAR)).decode()


def visitor_token(request: HttpRequest) -> str:
    """What get_token(request) returns and does: the visitor's secret (the one their cookie brought, which
    CsrfViewMiddleware checked and put in META, or a new one), flagged so the middleware sets the cookie,
    and masked afresh for this page."""
    if settings.CSRF_USE_SESSIONS:  # the secret lives in the session: Django's own way
        return get_token(request)
    meta = request.META
    secret = meta.get("CSRF_COOKIE")
    if secret is None:
        secret = random_chars(CSRF_SECRET_LENGTH).decode()
        meta["CSRF_COOKIE"] = secret
    meta["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return masked(secret.encode())
