"""WSGI entry point for gunicorn: the store webhook on a short machine path, a plain guest's kept pages on a
short path of their own, everything else through the full application (gratitude/core/lean_wsgi.py and
gratitude/core/guest_wsgi.py say why)."""

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


# --- Kept guest pages: a plain guest's GET of the share page, login or sign-up, when this process keeps the
# page and it is current, is served on the short chain; any other request to them goes to the full app.
from gratitude.accounts.views import login_page, signup  # noqa: E402 - needs Django set up
from gratitude.core.guest_pages import kept_page_finder  # noqa: E402
from gratitude.core.guest_wsgi import GuestPagesHandler, GuestRoute  # noqa: E402
from gratitude.gifts import guest_page  # noqa: E402
from gratitude.gifts.views import shared_registry  # noqa: E402

guest_application = GuestPagesHandler(
    routes=[
        # The paths of gifts/urls.py's shared_registry and accounts/urls.py's login and signup, as Django
        # matches them (a share key: 22 URL-safe characters; anything else is no kept page's address).
        GuestRoute(
            re.compile(r"/r/(?P<share_key>[A-Za-z0-9_-]{1,64})/"), shared_registry, guest_page.current_page
        ),
        GuestRoute(re.compile(r"/accounts/login/"), login_page, kept_page_finder(login_page)),
        GuestRoute(re.compile(r"/accounts/signup/"), signup, kept_page_finder(signup)),
    ],
    fallback=full_application,
)
# Any of those paths, so every other GET pays one match and goes straight to the full application.
GUEST_ROUTE = re.compile("|".join(f"(?:{route.path.pattern})" for route in guest_application.routes))


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("REQUEST_METHOD") == "POST" and MACHINE_ROUTE.fullmatch(environ.get("PATH_INFO", "")):
        return machine_application(environ, start_response)
    if environ.get("REQUEST_METHOD") == "GET" and GUEST_ROUTE.fullmatch(environ.get("PATH_INFO", "")):
        return guest_application(environ, start_response)
    return full_application(environ, start_response)
