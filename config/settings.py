"""Gratitude's settings: one file, driven by the environment (see README "Configure")."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import sys
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from gratitude.core.email_url import email_settings_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GRATITUDE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# dev | test | prod. Under pytest the default is "test" so a bare `pytest` never sends real mail.
GRATITUDE_ENV = os.environ.get("GRATITUDE_ENV") or ("test" if "pytest" in sys.modules else "dev")
if GRATITUDE_ENV not in {"dev", "test", "prod"}:
    raise ImproperlyConfigured(f"GRATITUDE_ENV must be dev, test or prod, not {GRATITUDE_ENV!r}")
IS_PROD = GRATITUDE_ENV == "prod"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from exc


def _dev_secret_key() -> str:
    """Generate the dev secret once into var/, so sessions survive restarts without a checked-in key."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    if IS_PROD:
        raise ImproperlyConfigured("SECRET_KEY must be set when GRATITUDE_ENV=prod")
    SECRET_KEY = _dev_secret_key()

DEBUG = _env_bool("DEBUG", GRATITUDE_ENV == "dev")

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    from urllib.parse import urlsplit

    ALLOWED_HOSTS = [urlsplit(SITE_URL).hostname or "localhost"]
    if not IS_PROD:
        ALLOWED_HOSTS += ["localhost", "127.0.0.1", "testserver"]
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # Only for its vendored Swagger UI files: the API docs page loads nothing from a CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "anymail",
    "gratitude.core",
    "gratitude.accounts",
    "gratitude.registries",
    "gratitude.gifts",
    "gratitude.thanks",
    "gratitude.notifications",
    "gratitude.operations",
    "gratitude.api",
]

MIDDLEWARE = [
    # First, so every log line of the request, and its error page, carry its id (docs/operations.md, "Logs").
    "gratitude.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Content-Security-Policy (CSP below) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "gratitude.core.middleware.PermissionsPolicyMiddleware",
    "gratitude.core.middleware.RejectNulMiddleware",
    # django-axes wants to be last so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gratitude" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gratitude.core.context_processors.site",
            ],
        },
    },
    {
        # Outgoing mail only (notifications/email/**): Jinja2, as Zulip's emails, for speed on the send path.
        # Its environment fixes autoescape by extension, Django-like "" for missing variables, the filters
        # and the newlines: see gratitude/notifications/mail_templates.py and docs/notifications.md.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "mail",
        "DIRS": [BASE_DIR / "gratitude" / "notifications" / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "gratitude.notifications.mail_templates.environment"},
    },
    {
        # The long, repeated parts of web pages (item rows, console charts): Jinja2 macros in <app>/jinja2/,
        # for speed on a 500-item page. Always escaped, as Django escapes: gratitude/core/fragments.py.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "fragments",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "gratitude.core.fragments.environment"},
    },
]
# A checkbox before its label, on one line (gratitude/core/forms.py).
FORM_RENDERER = "gratitude.core.forms.GratitudeFormRenderer"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gratitude.sqlite3'}"
# Persistent connections: a worker reuses one connection instead of reopening it (and, on SQLite,
# checkpointing the WAL on every close) for each task.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a worker writes; IMMEDIATE takes the write lock at BEGIN, so two
    # worker processes serialise their claims instead of failing on lock upgrade (docs/scaling.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so worker subprocesses in tests open the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work ------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Accounts and security ------------------------------------------------------------------
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

AXES_FAILURE_LIMIT = _env_int("GRATITUDE_LOGIN_FAILURE_LIMIT", 5)
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
GRATITUDE_TRUSTED_PROXIES = _env_int("GRATITUDE_TRUSTED_PROXIES", 0)
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
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
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
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", True)

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
# Pictures (docs/registries.md, "Pictures"): kept under MEDIA_ROOT by default and served by
# gratitude.core.views.media_picture with long caching. S3-compatible storage is a setting away: install
# django-storages[s3], set GRATITUDE_MEDIA_STORAGE=storages.backends.s3.S3Storage and its options as JSON in
# GRATITUDE_MEDIA_STORAGE_OPTIONS; pictures are then served from the bucket's URLs.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("GRATITUDE_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("GRATITUDE_MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ.get("GRATITUDE_MEDIA_STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PROD
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Mail -----------------------------------------------------------------------------------
_CAPTURING_BACKENDS = {
    "gratitude.notifications.transport.DevMailboxBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
}
# Default: captured into var/mailbox and readable at /dev/mailbox (dev only). See docs/notifications.md.
DEV_MAILBOX_DIR = VAR_DIR / "mailbox"
EMAIL_URL = os.environ.get("EMAIL_URL", "" if IS_PROD else "mailbox:")
# A provider through django-anymail (its ESP name: postmark, amazon_ses, mailgun, ...) replaces EMAIL_URL's
# transport; its settings come from ANYMAIL_* variables (docs/deliverability.md).
GRATITUDE_MAIL_PROVIDER = os.environ.get("GRATITUDE_MAIL_PROVIDER", "").strip().lower()
if IS_PROD and not EMAIL_URL and not GRATITUDE_MAIL_PROVIDER:
    raise ImproperlyConfigured("EMAIL_URL must be set when GRATITUDE_ENV=prod (e.g. smtp://host:587)")
if GRATITUDE_MAIL_PROVIDER:
    if importlib.util.find_spec(f"anymail.backends.{GRATITUDE_MAIL_PROVIDER}") is None:
        raise ImproperlyConfigured(f"GRATITUDE_MAIL_PROVIDER {GRATITUDE_MAIL_PROVIDER!r} is no anymail ESP")
    EMAIL_BACKEND = f"anymail.backends.{GRATITUDE_MAIL_PROVIDER}.EmailBackend"
else:
    globals().update(email_settings_from_url(EMAIL_URL))
if globals()["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    # Direct SMTP signs every message with DKIM given GRATITUDE_DKIM_KEY_FILE (providers sign their own).
    EMAIL_BACKEND = "gratitude.notifications.transport.SigningSmtpBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Gratitude <alerts@gratitude.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The dev mailbox page (and the mail previews) exist only in dev; tests switch them on explicitly.
GRATITUDE_DEV_MAILBOX = _env_bool("GRATITUDE_DEV_MAILBOX", GRATITUDE_ENV == "dev")
# Templates only tests may render (bait samples proving the send-time checks); never in production.
GRATITUDE_TEST_TEMPLATES = _env_bool("GRATITUDE_TEST_TEMPLATES", GRATITUDE_ENV == "test")
if GRATITUDE_TEST_TEMPLATES:
    # They are mail templates: the "mail" engine's.
    _template_dirs = TEMPLATES[1]["DIRS"]
    assert isinstance(_template_dirs, list)
    _template_dirs.append(BASE_DIR / "gratitude" / "notifications" / "tests" / "templates")
if IS_PROD:
    # SAFETY.md promise 5: production refuses to start with anything meant for development or tests.
    if GRATITUDE_DEV_MAILBOX or globals()["EMAIL_BACKEND"] in _CAPTURING_BACKENDS:
        raise ImproperlyConfigured("GRATITUDE_ENV=prod cannot use the dev mailbox or a capturing EMAIL_URL")
    if GRATITUDE_TEST_TEMPLATES:
        raise ImproperlyConfigured("GRATITUDE_ENV=prod cannot enable GRATITUDE_TEST_TEMPLATES")
    if not SITE_URL.startswith("https://"):
        raise ImproperlyConfigured("SITE_URL must be https:// when GRATITUDE_ENV=prod (mail links use it)")
# Outside prod only matching addresses get mail (fnmatch patterns, comma separated); "" = nobody.
# Capturing transports never leave the machine, so they allow everyone by default; a real transport
# outside prod defaults to the reserved test domain only (SAFETY.md promise 5).
_MAIL_CAPTURED = EMAIL_URL.partition(":")[0] in {"mailbox", "locmem", "console"}
if GRATITUDE_MAIL_PROVIDER:
    _MAIL_CAPTURED = False
GRATITUDE_MAIL_ALLOWLIST = [
    pattern.strip()
    for pattern in os.environ.get(
        "GRATITUDE_MAIL_ALLOWLIST", "*" if _MAIL_CAPTURED else "*@example.test"
    ).split(",")
    if pattern.strip()
]

# DKIM for direct SMTP (docs/deliverability.md): d= is the From domain unless set, and must align with it.
_FROM_DOMAIN = parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower()
GRATITUDE_DKIM_KEY_FILE = os.environ.get("GRATITUDE_DKIM_KEY_FILE", "")
GRATITUDE_DKIM_SELECTOR = os.environ.get("GRATITUDE_DKIM_SELECTOR", "gratitude")
GRATITUDE_DKIM_DOMAIN = os.environ.get("GRATITUDE_DKIM_DOMAIN", _FROM_DOMAIN).lower().rstrip(".")
# Optional second signature (RFC 8463), next to RSA, never instead of it.
GRATITUDE_DKIM_ED25519_KEY_FILE = os.environ.get("GRATITUDE_DKIM_ED25519_KEY_FILE", "")
GRATITUDE_DKIM_ED25519_SELECTOR = os.environ.get("GRATITUDE_DKIM_ED25519_SELECTOR", "gratitude-ed25519")
if _FROM_DOMAIN != GRATITUDE_DKIM_DOMAIN and not _FROM_DOMAIN.endswith(f".{GRATITUDE_DKIM_DOMAIN}"):
    raise ImproperlyConfigured(
        f"GRATITUDE_DKIM_DOMAIN {GRATITUDE_DKIM_DOMAIN!r} is not aligned with From's domain {_FROM_DOMAIN!r}"
    )
# Provider webhooks (bounces, complaints, unsubscribes) authenticate with HTTP basic auth "user:password".
# Unset, a random secret nobody knows is used, so every webhook request is refused.
_WEBHOOK_SECRET = os.environ.get("GRATITUDE_MAIL_WEBHOOK_SECRET", "")
if IS_PROD and GRATITUDE_MAIL_PROVIDER and not _WEBHOOK_SECRET:
    raise ImproperlyConfigured("GRATITUDE_MAIL_WEBHOOK_SECRET must be set with a mail provider in prod")
ANYMAIL = {
    **{name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name[:8] == "ANYMAIL_"},
    "WEBHOOK_SECRET": _WEBHOOK_SECRET or f"unset:{secrets.token_urlsafe(32)}",
}
# "Is this email from us?": checks per signed-in person (or address, when signed out) per hour.
GRATITUDE_REFERENCE_CHECKS_PER_HOUR = _env_int("GRATITUDE_REFERENCE_CHECKS_PER_HOUR", 20)
# ... and checks naming one address, from any client: a code cannot be guessed for a known address.
GRATITUDE_REFERENCE_CHECKS_PER_ADDRESS_PER_HOUR = _env_int(
    "GRATITUDE_REFERENCE_CHECKS_PER_ADDRESS_PER_HOUR", 10
)
# The JSON API: requests per token (or signed-in person, or address for public reads) per minute.
GRATITUDE_API_REQUESTS_PER_MINUTE = _env_int("GRATITUDE_API_REQUESTS_PER_MINUTE", 120)

# --- Sending path (docs/notifications.md) ---------------------------------------------------
# Mail to an address nobody confirmed (a giver's, an invitee's, a sign-up not finished), all kinds and
# registries together; checked at send time (notifications/unconfirmed.py, docs/deliverability.md).
GRATITUDE_UNCONFIRMED_MAILS_PER_DAY = _env_int("GRATITUDE_UNCONFIRMED_MAILS_PER_DAY", 3)
GRATITUDE_UNCONFIRMED_MAILS_PER_MONTH = _env_int("GRATITUDE_UNCONFIRMED_MAILS_PER_MONTH", 10)
GRATITUDE_ALERT_SETTLE_SECONDS = _env_int("GRATITUDE_ALERT_SETTLE_SECONDS", 600 if IS_PROD else 0)
GRATITUDE_DIGEST_WINDOW_SECONDS = _env_int("GRATITUDE_DIGEST_WINDOW_SECONDS", 3600 if IS_PROD else 0)
GRATITUDE_DIGEST_HOUR = _env_int("GRATITUDE_DIGEST_HOUR", 18)
GRATITUDE_QUIET_HOURS = os.environ.get("GRATITUDE_QUIET_HOURS", "21-8" if IS_PROD else "off")
GRATITUDE_LEASE_SECONDS = _env_int("GRATITUDE_LEASE_SECONDS", 300)
GRATITUDE_SEND_RETRY_BUDGET = _env_int("GRATITUDE_SEND_RETRY_BUDGET", 8)
# Blast radius (docs/notifications.md, SAFETY.md promise 3).
GRATITUDE_BLAST_K = _env_int("GRATITUDE_BLAST_K", 2)
GRATITUDE_BLAST_M = _env_int("GRATITUDE_BLAST_M", 5)
GRATITUDE_BLAST_CAP_PER_HOUR = _env_int("GRATITUDE_BLAST_CAP_PER_HOUR", 50_000)
GRATITUDE_BLAST_FLOOR_PER_HOUR = _env_int("GRATITUDE_BLAST_FLOOR_PER_HOUR", 1_000)

# --- Registries, gifts and the Thank You List (docs/registries.md, docs/thank-you-list.md) ----------
GRATITUDE_RESERVATION_HOURS = _env_int("GRATITUDE_RESERVATION_HOURS", 48)
# Gifts, holds and contributions one client (a signed-in person, or an address) may make in an hour through
# the share links; past it a friendly 429 page (gifts/views.py).
GRATITUDE_GUEST_ACTIONS_PER_HOUR = _env_int("GRATITUDE_GUEST_ACTIONS_PER_HOUR", 30)
# A giver who asked to be reminded hears this long before their hold lapses.
GRATITUDE_RESERVATION_REMINDER_HOURS = _env_int("GRATITUDE_RESERVATION_REMINDER_HOURS", 12)
# An invitation to help run a registry can be accepted for this long.
GRATITUDE_INVITATION_DAYS = _env_int("GRATITUDE_INVITATION_DAYS", 14)
# A registry with auto-archive on archives itself this long after its event (after a notice 14 days ahead).
GRATITUDE_ARCHIVE_AFTER_DAYS = _env_int("GRATITUDE_ARCHIVE_AFTER_DAYS", 90)
# A gift not marked received counts as waiting for thanks (for the reminder) this long after it was given.
GRATITUDE_THANK_YOU_REMINDER_DAYS = _env_int("GRATITUDE_THANK_YOU_REMINDER_DAYS", 14)

# "Add from any store" fetches pasted links (docs/registries.md). Tests and demos serve store pages on
# 127.0.0.1: this lets the fetch reach 127.0.0.0/8 and ::1, and nothing else. Never in production.
GRATITUDE_FETCH_ALLOW_LOOPBACK = _env_bool("GRATITUDE_FETCH_ALLOW_LOOPBACK", False) and not IS_PROD
# Store links one person may have fetched per hour (each costs a connection and a kept picture).
GRATITUDE_STORE_FETCHES_PER_HOUR = _env_int("GRATITUDE_STORE_FETCHES_PER_HOUR", 60)

# --- Campaigns (docs/operations.md); checked and interpreted by gratitude/operations/conf.py -------------
# The first slice of a campaign: a count ("100") or a share of the frozen audience ("1%").
GRATITUDE_CANARY_SLICE = os.environ.get("GRATITUDE_CANARY_SLICE", "").strip() or "100"
# How long to watch the canary after its last message went out before sending the rest.
GRATITUDE_CANARY_WAIT_SECONDS = _env_float("GRATITUDE_CANARY_WAIT_SECONDS", 1800)
# Stop when more than this share of the canary's sent messages bounced / complained / unsubscribed.
GRATITUDE_CANARY_MAX_BOUNCE_RATE = _env_float("GRATITUDE_CANARY_MAX_BOUNCE_RATE", 0.05)
GRATITUDE_CANARY_MAX_COMPLAINT_RATE = _env_float("GRATITUDE_CANARY_MAX_COMPLAINT_RATE", 0.003)
GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE = _env_float("GRATITUDE_CANARY_MAX_UNSUBSCRIBE_RATE", 0.02)
# The rest goes out at most this fast. Keep it under GRATITUDE_BLAST_FLOOR_PER_HOUR on a site without a
# campaign history, or the kind's blast-radius breaker trips: that is the breaker working.
GRATITUDE_CAMPAIGN_RATE_PER_HOUR = _env_float("GRATITUDE_CAMPAIGN_RATE_PER_HOUR", 800)
# Audience drift at send time above this share of the frozen count halts the campaign.
GRATITUDE_CAMPAIGN_MAX_DRIFT = _env_float("GRATITUDE_CAMPAIGN_MAX_DRIFT", 0.01)

# Logs go to stderr (gunicorn and systemd collect it), each line with its request id; one JSON object a line
# in prod. Addresses, passwords, tokens and signatures are redacted before any line is written
# (gratitude/core/logs.py). Request errors are logged here, never mailed: ADMINS is empty on purpose.
LOG_JSON = _env_bool("GRATITUDE_LOG_JSON", IS_PROD)
_LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "gratitude.core.logs.RequestIdFilter"},
        "redact": {"()": "gratitude.core.logs.RedactFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "gratitude.core.logs.JsonFormatter"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["request_id", "redact"],
        }
    },
    "loggers": {
        "gratitude": {"handlers": ["stderr"], "level": _LOG_LEVEL},
        "django.request": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
