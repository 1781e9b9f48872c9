"""A Django test client whose GET requests go through config/wsgi.py's `application`, as gunicorn sends them
(so a plain guest's kept page takes its short path, core/guest_wsgi.py), with the answer turned back into a
response the test client's users read as usual (status, headers, content, cookies).

Other methods stay on Django's test handler (CSRF checks off unless asked for, as for every test client): the
tests that use this read pages through the entry point and make their writes the usual way.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.test import Client
from django.test.client import ClientHandler

from gratitude.testing.wsgi_call import call_wsgi


class EntryHandler:
    """Calls config.wsgi.application for a GET; any other method goes to `other` (Django's ClientHandler)."""

    def __init__(self, other: ClientHandler) -> None:
        self.other = other

    def __call__(self, environ: dict[str, Any]) -> HttpResponse:
        if environ["REQUEST_METHOD"] != "GET":
            response: HttpResponse = self.other(environ)  # type: ignore[assignment]
            return response
        from config.wsgi import application

        status, headers, content = call_wsgi(application, environ)
        response = HttpResponse(content, status=int(status.split()[0]))
        del response["Content-Type"]  # the answer's own headers only, in its order
        for name, value in headers:
            if name.lower() == "set-cookie":
                response.cookies.load(SimpleCookie(value.strip()))
            else:
                response[name] = value
        response.raw_headers = headers  # type: ignore[attr-defined]  # exactly as the server was given them
        response.wsgi_request = WSGIRequest(environ)  # type: ignore[attr-defined]  # what Client.request reads
        return response


class EntryClient(Client):
    """django.test.Client, its GETs through config/wsgi.py's application (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handler = EntryHandler(self.handler)  # type: ignore[assignment]
