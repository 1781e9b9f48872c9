"""WSGI entry point for gunicorn: the store webhook on a short machine path, everything else through the
full application (gratitude/core/lean_wsgi.py says why)."""

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
full_application = get_wsgi_application()  # sets Django up

from gratitude.core.lean_wsgi import LeanWSGIHandler  # noqa: E402 - needs Django set up

# What a JSON answer to a machine needs: the request id on every log line and in X-Request-ID, the security
# headers (a fixed strict CSP and Permissions-Policy on every answer, errors included; nosniff, HSTS,
# referrer; X-Frame-Options), the Host checked, the NUL refusal. Not sessions, CSRF (the signature is the
# credential), auth, messages, htmx, axes.
MACHINE_MIDDLEWARE = [
    "gratitude.core.middleware.RequestIdMiddleware",
    "gratitude.core.middleware.MachineAnswerHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gratitude.core.middleware.HostCheckMiddleware",
    "gratitude.core.middleware.RejectNulMiddleware",
]
machine_application = LeanWSGIHandler(middleware=MACHINE_MIDDLEWARE, urlconf="gratitude.api.machine_urls")
# Exactly the routes of gratitude/api/machine_urls.py, POST only (any other method gets the full app's 405).
MACHINE_ROUTE = re.compile(r"/api/v1/stores/[^/]+/events")


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("REQUEST_METHOD") == "POST" and MACHINE_ROUTE.fullmatch(environ.get("PATH_INFO", "")):
        return machine_application(environ, start_response)
    return full_application(environ, start_response)
