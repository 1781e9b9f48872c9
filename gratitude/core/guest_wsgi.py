"""The short path for pages kept for plain guests (the share page, login, sign-up; core/guest_pages.py): a
plain guest's GET of a page that is kept and current is answered through a short middleware list; anything
else, a page not kept or no longer current included, goes to the full application untouched.

Why: such a page costs a dictionary look-up (and, for the share page, one Redis GET of its registry's
version), yet the full chain around it (sessions, auth, messages, htmx, axes, static files, the whole URL map)
was most of its CPU. Those layers add nothing to a plain guest's kept page: no session or messages cookie to
read, nobody logged in, no login attempt, no static file. The layers that shape what a browser or a proxy
sees stay, in the full chain's order: the request id, SecurityMiddleware (HTTPS redirect, HSTS, nosniff,
Referrer-Policy, COOP), CommonMiddleware (the Host check, Content-Length), the CSRF cookie, X-Frame-Options,
CSP and Permissions-Policy, the NUL refusal. The kept page is found BEFORE the request starts, so a page
that is not kept costs the full application nothing more than that look-up.

The view that answers is the page's own view: it finds the kept page in the environ (KEPT_PAGE) and serves
it for this visitor, so the decorators around it (never_cache on the login page) apply as on the full path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.handlers.wsgi import get_path_info, get_script_name
from django.http import HttpRequest
from django.urls import ResolverMatch

from gratitude.core.guest_pages import KEPT_PAGE, KeptPage, is_plain_guest_environ
from gratitude.core.lean_wsgi import LeanWSGIHandler

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# The full chain (config/settings/base.py MIDDLEWARE) less what a plain guest's kept page never uses; the
# order is the full chain's, so an early refusal (a bad Host's 400) passes the same layers on its way out.
GUEST_MIDDLEWARE = [
    "gratitude.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "gratitude.core.middleware.CsrfCookieMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gratitude.core.middleware.SecurityHeadersMiddleware",
    "gratitude.core.middleware.RejectNulMiddleware",
]

_ROUTE = "gratitude.guest_route"  # environ key: the view and its arguments, matched before the request


@dataclass(frozen=True)
class GuestRoute:
    """A page kept for plain guests: its path (a full match of PATH_INFO), its view, and how to find the
    kept page for a path (None when it is not kept, or no longer current)."""

    path: re.Pattern[str]
    view: Callable[..., Any]
    find: Callable[[str, dict[str, str]], KeptPage | None]


class GuestPagesHandler(LeanWSGIHandler):
    """Serves a route's kept page on the short chain; hands every other request to `fallback`."""

    def __init__(self, *, routes: list[GuestRoute], fallback: WSGIApp) -> None:
        self.routes = list(routes)
        self.fallback = fallback
        # No URL map: the route already chose the view (resolve_request below).
        super().__init__(middleware=GUEST_MIDDLEWARE, urlconf="")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            found = self._kept_page(environ) if is_plain_guest_environ(environ) else None
        except Exception:  # noqa: BLE001 - e.g. the shared cache is down
            # The look-up runs before Django's error handling: an error here would reach the WSGI server as
            # its own bare 500, without the security headers or a log line. The full application meets the
            # same failure inside that handling and answers (and logs) as it always does.
            found = None
        if found is None:
            return self.fallback(environ, start_response)
        environ[KEPT_PAGE], environ[_ROUTE] = found
        return super().__call__(environ, start_response)

    def _kept_page(self, environ: dict[str, Any]) -> tuple[KeptPage, tuple[Any, dict[str, str]]] | None:
        path_info = environ.get("PATH_INFO", "")
        for route in self.routes:
            match = route.path.fullmatch(path_info)
            if match is None:
                continue
            kwargs = match.groupdict()
            # The page's address as request.path spells it (WSGIRequest), which is what it was kept under.
            script_name, decoded = get_script_name(environ), get_path_info(environ)
            path = f"{script_name.rstrip('/')}/{decoded.replace('/', '', 1)}"
            page = route.find(path, kwargs)
            return None if page is None else (page, (route.view, kwargs))
        return None

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        view, kwargs = request.META[_ROUTE]  # a WSGIRequest's META is its environ
        match = ResolverMatch(view, (), kwargs)
        request.resolver_match = match
        return match
