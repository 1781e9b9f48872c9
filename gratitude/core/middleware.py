"""Middleware every response passes: a request id for the logs, a refusal of paths no link of ours has
(NUL), and the Content-Security-Policy and Permissions-Policy headers, built once per process."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import CsrfViewMiddleware

from gratitude.core.logs import request_id_var

# A proxy's own id is kept when it looks like one; anything else a client sends is replaced.
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    """Give each request an id (the proxy's `X-Request-ID` when well formed), put it on every log line
    written while it runs, and answer it in `X-Request-ID`, so a person reporting an error page can quote
    the line an operator looks for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _INCOMING_ID.fullmatch(incoming) else secrets.token_hex(8)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RejectNulMiddleware:
    """A NUL in the path is never one of our links, and PostgreSQL refuses it in any text it is compared
    with (a share key, a token): a 400 here, before a view hands it to a query and the database raises."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            return HttpResponseBadRequest("This address is not one of ours.")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy (settings.CONTENT_SECURITY_POLICY, through django-csp) and Permissions-Policy
    on every response, as csp.middleware.CSPMiddleware and a Permissions-Policy middleware did, in one step.

    Why: django-csp builds the same policy string on every request (a tenth of a millisecond, a third of a
    kept guest page's cost in Django). Here the common case is one string built once per process; a
    response a view changed (csp_update, csp_exempt), a report-only policy, excluded prefixes or DEBUG go
    through django-csp's own middleware, so they behave exactly as before."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = CSPMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = _headers()
        if headers is None or any(hasattr(response, name) for name in _CSP_PER_VIEW):
            self.csp.process_response(request, response)
        elif "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = headers.csp
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# What a view sets on its response to change its policy (csp.decorators).
_CSP_PER_VIEW = (
    "_csp_exempt",
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt_ro",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@dataclass(frozen=True)
class _Headers:
    csp: str


_built: list[_Headers | None] = []


def _headers() -> _Headers | None:
    """The policy as a string, built once per process; None when django-csp must decide per request."""
    if not _built:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        simple = (
            not settings.DEBUG
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not policy.get("EXCLUDE_URL_PREFIXES")
            and bool(build_policy())
        )
        _built.append(_Headers(csp=build_policy()) if simple else None)
    return _built[0]


def _forget_headers(**kwargs: Any) -> None:
    _built.clear()  # a test changed a setting: build them again


setting_changed.connect(_forget_headers, dispatch_uid="gratitude-security-headers")


# A JSON answer to a machine is never a document to render or frame: the strictest policy, fixed.
MACHINE_CSP = "default-src 'none'; frame-ancestors 'none'"


class MachineAnswerHeadersMiddleware:
    """For the short machine path (config/wsgi.py): every answer, the errors of the layers inside included
    (a NUL in the path, a body too large, a 500), gets the strict CSP and the Permissions-Policy, as every
    page gets the site's from SecurityHeadersMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", MACHINE_CSP)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class HostCheckMiddleware:
    """The Host header checked against ALLOWED_HOSTS (400 otherwise), for a path without CommonMiddleware,
    which is where the pages have it checked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.get_host()  # raises DisallowedHost: Django answers 400 and logs it as a security event
        return self.get_response(request)


class CsrfCookieMiddleware:
    """CsrfViewMiddleware for the short path of kept guest pages (core/guest_wsgi.py), which runs no
    process_view hooks: the visitor's cookie read in before the view, the check of an unsafe method, and
    the cookie set on the answer, all by Django's own middleware. The check runs with no view to look at,
    so nothing is csrf_exempt here (stricter than the full chain, never looser); a GET, all the short path
    serves, is accepted by it either way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.csrf.process_request(request)
        refused: Any = self.csrf.process_view(request, None, (), {})  # type: ignore[arg-type]
        response = refused if refused is not None else self.get_response(request)
        self.csrf.process_response(request, response)  # sets the cookie on `response` when it must
        return response
