"""A WSGI handler for machine-to-machine URLs: Django's request cycle (signals, the connection's age and
health, logging, 404/500 handling) with a short middleware list and its own URL map, instead of the whole
chain the pages need (sessions, CSRF, auth, messages, CSP, axes), which such a URL pays for and never uses.

config/wsgi.py routes the few URLs that want it here; every other request goes to the full application."""

from __future__ import annotations

from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.urls import ResolverMatch, get_resolver
from django.utils.module_loading import import_string

# Hooks the short chain does not run: a middleware that needs them belongs to the full application.
_HOOKS = ("process_view", "process_exception", "process_template_response")


class LeanWSGIHandler(WSGIHandler):
    """Serves `urlconf`'s views through `middleware` only (outermost first)."""

    def __init__(self, *, middleware: list[str], urlconf: str) -> None:
        self.lean_middleware = list(middleware)
        self.lean_urlconf = urlconf
        super().__init__()  # calls load_middleware

    def load_middleware(self, is_async: bool = False) -> None:
        # The synchronous half of BaseHandler.load_middleware, over our list.
        handler: Any = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(self.lean_middleware):
            middleware = import_string(path)(handler)
            hooks = [hook for hook in _HOOKS if hasattr(middleware, hook)]
            if hooks:
                raise ValueError(f"{path} needs {', '.join(hooks)}: serve it with the full application")
            handler = convert_exception_to_response(middleware)
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = handler

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        # Its own URL map; reverse() and the 404/500 pages keep the site's (ROOT_URLCONF).
        match = get_resolver(self.lean_urlconf).resolve(request.path_info)
        request.resolver_match = match
        return match
