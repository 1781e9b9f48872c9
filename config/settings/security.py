"""Accounts and security: users and passwords, the login lockout, the shared cache every rate limit counts
in, the client's address behind proxies, cookies, Content-Security-Policy and HTTPS in production."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import GRATITUDE_ENV, IS_PROD
from config.settings.environ import env_bool, env_int

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

AXES_FAILURE_LIMIT = env_int("GRATITUDE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The login form posts "username" whatever USERNAME_FIELD is; axes must read the address from there, or it
# records failures without one and the check before login finds nothing (docs/operations.md, "Limits and
# the login lockout").
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "gratitude.accounts.lockout.attempted_address"
# Failures are counted in the shared cache (CACHE_URL), per (address, client address) as seen through the
# trusted proxies, so every web process sees the same count.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "default"
AXES_CLIENT_IP_CALLABLE = "gratitude.core.client_ip.client_ip"

# --- Shared state: every rate limit and the login lockout (README "Configure") -----------------------
# How many reverse proxies you run in front of gunicorn, each appending to X-Forwarded-For. 0: the client
# is REMOTE_ADDR. Set it to exactly your number of proxies: more lets a client choose its own address.
GRATITUDE_TRUSTED_PROXIES = env_int("GRATITUDE_TRUSTED_PROXIES", 0)
if GRATITUDE_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("GRATITUDE_TRUSTED_PROXIES must be 0 or more")
# Redis in prod and (on its own key prefix per test process) under pytest; local memory only in dev, or
# where a test says so. Each process of a site must share it, or every limit is per process.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if not CACHE_URL:
    if IS_PROD:
        raise ImproperlyConfigured(
            "CACHE_URL must be set when GRATITUDE_ENV=prod (redis://host:6379/N): limits and the login "
            "lockout must be shared by every web process"
        )
    CACHE_URL = "redis://127.0.0.1:6379/1" if GRATITUDE_ENV == "test" else "locmem:"
_default_prefix = f"gratitude-test-{os.getpid()}" if GRATITUDE_ENV == "test" else "gratitude"
CACHE_KEY_PREFIX = os.environ.get("GRATITUDE_CACHE_KEY_PREFIX", "").strip() or _default_prefix
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            # Django's backend, one client per pool (core/cache.py).
            "BACKEND": "gratitude.core.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # A Redis that does not answer fails the request quickly instead of hanging a worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
elif CACHE_URL == "locmem:":
    if IS_PROD:
        raise ImproperlyConfigured("CACHE_URL=locmem: is per process; GRATITUDE_ENV=prod needs redis://")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"CACHE_URL must be redis://, rediss://, unix:// or locmem:, not {CACHE_URL!r}"
    )

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files (htmx included:
# django-htmx ships it), no inline script or style, nothing framed, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Nothing here needs a camera, a microphone, the location or a payment sheet (core/middleware.py).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), publickey-credentials-get=(), usb=(), interest-cohort=()"
)
if IS_PROD:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
