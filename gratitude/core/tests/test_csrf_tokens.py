"""A visitor's CSRF token (core/csrf_tokens.py) is Django's own in every way that counts: CsrfViewMiddleware
unmasks it to the cookie's secret, a returning visitor keeps their secret, the cookie is set, each page gets
a fresh mask, and every character is drawn uniformly (no modulo bias)."""

from __future__ import annotations

from collections import Counter

from django.middleware.csrf import (  # type: ignore[attr-defined]
    CSRF_ALLOWED_CHARS,
    _check_token_format,
    _unmask_cipher_token,
)
from django.test import RequestFactory

from gratitude.core.csrf_tokens import random_chars, visitor_token


def test_a_new_visitor_gets_a_new_secret_flagged_for_the_cookie_and_a_token_that_unmasks_to_it():
    request = RequestFactory().get("/")
    token = visitor_token(request)
    _check_token_format(token)  # 64 allowed characters, as CsrfViewMiddleware accepts
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == 32 and set(secret) <= set(CSRF_ALLOWED_CHARS)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert _unmask_cipher_token(token) == secret


def test_a_returning_visitor_keeps_their_secret_under_a_fresh_mask_each_time():
    request = RequestFactory().get("/")
    secret = "Zz09" * 8
    request.META["CSRF_COOKIE"] = secret  # what CsrfViewMiddleware.process_request put in from the cookie
    first, second = visitor_token(request), visitor_token(request)
    assert first != second
    assert _unmask_cipher_token(first) == _unmask_cipher_token(second) == secret
    assert request.META["CSRF_COOKIE"] == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_every_character_is_equally_likely():
    # 62 characters from bytes: a plain `byte % 62` would make the first 8 characters 5/4 as likely as the
    # others (25% more often); here each count stays within 10% of the mean.
    counts = Counter(random_chars(124_000).decode())
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    mean = 124_000 / len(CSRF_ALLOWED_CHARS)
    assert all(abs(count - mean) < 0.1 * mean for count in counts.values()), counts
