"""Pages as a plain guest gets them (no session, no messages, nothing in the query string), rendered once and
served again with only the visitor's CSRF token put in: the login and sign-up pages here, kept in the
process; the share page (gifts/guest_page.py), kept in the shared cache under its registry's version.

What a plain guest's page holds is the same for every plain guest of the same address except the CSRF token,
so it is rendered once with CSRF_PLACEHOLDER where the token goes (the `site` context processor puts it in
while a page is being kept), and each visitor gets their own masked token, and its cookie, exactly as a
rendered page would give them (core/csrf_tokens.py). A visitor with a session (logged in, or with holds) or
with messages waiting goes the ordinary way.

Served by gunicorn, a plain guest's GET of a kept page that is current never reaches the full application:
config/wsgi.py finds it first and serves it on a short chain (core/guest_wsgi.py), handing it to the view in
the environ (KEPT_PAGE).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.cookie import parse_cookie
from django.utils.safestring import SafeString, mark_safe

from gratitude.core.csrf_tokens import visitor_token

# Escaped text never holds "<", so nothing a person types can turn into the placeholder (nor be replaced
# by a visitor's token).
CSRF_PLACEHOLDER: SafeString = mark_safe("<csrf-token-of-this-visitor>")
_PLACEHOLDER = CSRF_PLACEHOLDER.encode()
_KEEPING = "_gratitude_keeping_page"  # the request attribute that asks for the placeholder
_KEPT_ADDRESSES = 64  # per view: an address is a path (a view under several URLs)
_FINDER = "find_kept_page"  # the attribute of a kept_for_plain_guests view that finds its kept pages

# A kept page: its bytes (CSRF_PLACEHOLDER where the token goes) and its Content-Type.
KeptPage = tuple[bytes, str]
# The environ key under which the short path (core/guest_wsgi.py) hands a view the kept page it found for
# this request; only that handler sets it (a client's headers all come as HTTP_*).
KEPT_PAGE = "gratitude.kept_page"


def is_plain_guest(request: HttpRequest) -> bool:
    """No session, no messages, nothing in the query string: nothing on the page depends on who this is."""
    return is_plain_guest_environ(request.META)


def is_plain_guest_environ(environ: Mapping[str, Any]) -> bool:
    """is_plain_guest on a WSGI environ (a request's META), before any request is built: the one rule, for
    the views and for the short path that serves their kept pages (core/guest_wsgi.py)."""
    if str(environ.get("REQUEST_METHOD", "")).upper() != "GET" or environ.get("QUERY_STRING"):
        return False
    header = environ.get("HTTP_COOKIE")
    if not header:
        return True
    cookies = parse_cookie(header)  # as request.COOKIES reads them
    # "messages": the messages cookie storage's name (django.contrib.messages).
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def handed_kept_page(request: HttpRequest) -> HttpResponse | None:
    """The kept page the short path found for this request (core/guest_wsgi.py), for this visitor."""
    handed: KeptPage | None = request.META.get(KEPT_PAGE)
    return None if handed is None else for_this_visitor(request, *handed)


def keeping(request: HttpRequest) -> None:
    """Render this request's page with CSRF_PLACEHOLDER for its token (the `site` context processor)."""
    setattr(request, _KEEPING, True)


def is_keeping(request: HttpRequest) -> bool:
    return getattr(request, _KEEPING, False)


def for_this_visitor(request: HttpRequest, page: bytes, content_type: str) -> HttpResponse:
    """The kept page with this visitor's token; visitor_token, like get_token, has CsrfViewMiddleware set
    the cookie."""
    token = visitor_token(request).encode()
    return HttpResponse(page.replace(_PLACEHOLDER, token), content_type=content_type)


_kept_by_views: list[dict[str, tuple[bytes, str]]] = []


def kept_for_plain_guests(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page that depends on nothing but the code and the settings for a plain guest (the login and
    sign-up forms), rendered once per process and address and kept in memory; anyone else goes to `view`.
    Headers a view adds (never_cache) go around this decorator, so a kept answer gets them too."""
    kept: dict[str, tuple[bytes, str]] = {}
    _kept_by_views.append(kept)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        handed = handed_kept_page(request)
        if handed is not None:
            return handed
        if not is_plain_guest(request):
            return view(request, *args, **kwargs)
        # By path alone, not the Host a request brought: the page does not name it, and a stranger could
        # otherwise spell the Host many ways to fill the process with copies.
        address = request.path
        page = kept.get(address)
        if page is not None:
            return for_this_visitor(request, *page)
        keeping(request)
        response = view(request, *args, **kwargs)
        render = getattr(response, "render", None)
        if render is not None:
            render()
        if not isinstance(response, HttpResponse) or response.status_code != 200 or response.cookies:
            return response  # a redirect, an error, a stream, or a page with its own cookies: not kept
        if len(kept) >= _KEPT_ADDRESSES:
            kept.clear()
        kept[address] = (response.content, response["Content-Type"])
        return for_this_visitor(request, *kept[address])

    # Copied by functools.wraps onto the decorators around this one (never_cache), so the route can ask the
    # view it serves through (kept_page_finder).
    setattr(wrapper, _FINDER, lambda path, kwargs: kept.get(path))
    return wrapper


def kept_page_finder(view: Callable[..., Any]) -> Callable[[str, dict[str, str]], KeptPage | None]:
    """For core/guest_wsgi.py's routes: the page `view` (a kept_for_plain_guests view, or one decorated
    around it) keeps for a path in this process, or None."""
    finder: Callable[[str, dict[str, str]], KeptPage | None] = getattr(view, _FINDER)
    return finder


def _forget_kept_pages(**kwargs: Any) -> None:
    # Tests change settings a page shows (the environment badge, the dev mailbox link): render afresh.
    for kept in _kept_by_views:
        kept.clear()


setting_changed.connect(_forget_kept_pages, dispatch_uid="gratitude-kept-guest-pages")
