"""Call a WSGI application from a test as a server would, and keep the test's database connection open.

Django's request_started and request_finished signals close old database connections; in a test that would
close the test's own connection (and with it its transaction), so they are held off for the call, as
Django's test handler does. The entry point's tests (config/wsgi.py: the store webhook's and the kept guest
pages' short paths) all go through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def call_wsgi(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers as the server was given them, body) of one request through `app`."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        answer = app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
        try:
            body = b"".join(answer)
        finally:
            getattr(answer, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status, headers = started[-1]
    return status, headers, body
