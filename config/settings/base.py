"""The site itself: where it keeps files, which environment it runs in, its secret, hosts, apps, middleware,
templates, database, background tasks, static files and pictures, and language."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.settings.environ import env_bool

# The repository (config/settings/base.py is three levels below it).
BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GRATITUDE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# dev | test | prod. Under pytest the default is "test" so a bare `pytest` never sends real mail.
GRATITUDE_ENV = os.environ.get("GRATITUDE_ENV") or ("test" if "pytest" in sys.modules else "dev")
if GRATITUDE_ENV not in {"dev", "test", "prod"}:
    raise ImproperlyConfigured(f"GRATITUDE_ENV must be dev, test or prod, not {GRATITUDE_ENV!r}")
IS_PROD = GRATITUDE_ENV == "prod"


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

DEBUG = env_bool("DEBUG", GRATITUDE_ENV == "dev")

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
    "gratitude.demo",
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
    # Content-Security-Policy (CSP in security.py) and Permissions-Policy on every response, built once per
    # process (django-csp's own middleware only for a response a view changed).
    "gratitude.core.middleware.SecurityHeadersMiddleware",
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
        # and the newlines: see gratitude/notifications/rendering/template_engine.py and
        # docs/notifications.md.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "mail",
        "DIRS": [BASE_DIR / "gratitude" / "notifications" / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "gratitude.notifications.rendering.template_engine.environment"},
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
