"""/favicon.ico (the front page belongs to registries, whose data it shows: registries/home_views.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, which browsers ask for on their own: the SVG icon under its static (hashed, in prod)
    name, looked up per request because the static manifest exists only after collectstatic."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
