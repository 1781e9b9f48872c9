"""The short path of kept guest pages (core/guest_wsgi.py, routed by config/wsgi.py) answers exactly as the
full application does: the same status, body (but the visitor's own token), every header (security headers,
Vary, Cache-Control, Content-Length) and the CSRF cookie with the same attributes; a bad Host gets the same
400 and the same security log line; a plain HTTP request the same redirect. Anything that is not a plain
guest's GET of a kept page goes to the full application untouched.

Both sides are called as gunicorn calls them (a WSGI environ in, status and headers out), under production's
security settings (HTTPS behind the proxy, HSTS, secure cookies)."""

from __future__ import annotations

import dataclasses
import io
import re
import sys
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.test import override_settings

from gratitude.core.guest_wsgi import GuestPagesHandler
from gratitude.testing.factories import make_item, make_registry, make_user
from gratitude.testing.wsgi_call import call_wsgi

pytestmark = pytest.mark.django_db

PROD_SECURITY = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}
TOKEN = re.compile(
    rb'"X-CSRFToken": "([A-Za-z0-9]{64})"|name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"'
)
PER_REQUEST = {"x-request-id", "set-cookie"}  # compared on their own below


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def fixed_headers(self) -> list[tuple[str, str]]:
        return [(key, value) for key, value in self.headers if key.lower() not in PER_REQUEST]

    def cookie(self) -> Any:
        [header] = self.header("Set-Cookie")
        cookie: SimpleCookie = SimpleCookie(header.strip())
        return cookie["csrftoken"]

    def tokens(self) -> set[bytes]:
        return {a or b for a, b in TOKEN.findall(self.body)}


def ask(app: Any, path: str, **extra: str) -> Answer:
    """One request as gunicorn makes it, through `app` (a WSGI callable)."""
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        **extra,
    }
    return Answer(*call_wsgi(app, environ))


@pytest.fixture
def entry(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, list[str]]]:
    """config.wsgi.application, the full application, and the paths the short path handed to the full
    application. Both handlers are built anew under production's security settings (middleware reads its
    settings once, when it is built), with config/wsgi.py's own routes."""
    from config import wsgi

    handed: list[str] = []
    with override_settings(**PROD_SECURITY):
        full = WSGIHandler()

        def counted(environ: dict[str, Any], start_response: Any) -> Any:
            handed.append(environ["PATH_INFO"])
            return full(environ, start_response)

        guest = GuestPagesHandler(routes=wsgi.guest_application.routes, fallback=counted)
        monkeypatch.setattr(wsgi, "full_application", full)
        monkeypatch.setattr(wsgi, "guest_application", guest)
        yield wsgi.application, full, handed


@pytest.fixture
def pages() -> dict[str, str]:
    registry = make_registry(owner=make_user(display_name="Robin"), title="Housewarming")
    make_item(registry=registry, title="Napkins", quantity=4)
    return {
        "share page": f"/r/{registry.share_key}/",
        "login": "/accounts/login/",
        "sign-up": "/accounts/signup/",
    }


def _keep(app: Any, path: str) -> None:
    for _ in range(2):  # the first request of a process learns a share link's registry; the second keeps
        assert ask(app, path).status.startswith("200")


def _same_but_the_token(short: Answer, full: Answer) -> None:
    assert short.status == full.status
    assert short.fixed_headers() == full.fixed_headers()  # every other header, in the same order
    [short_token], [full_token] = short.tokens(), full.tokens()
    assert short.body.replace(short_token, b"T") == full.body.replace(full_token, b"T")
    short_cookie, full_cookie = short.cookie(), full.cookie()
    for attribute in ("path", "domain", "secure", "httponly", "samesite", "max-age"):
        assert short_cookie[attribute] == full_cookie[attribute], attribute
    assert short_cookie["expires"] and full_cookie["expires"]
    # Each token is the visitor's cookie secret, masked: a post with it passes the CSRF check.
    assert _unmask_cipher_token(short_token.decode()) == short_cookie.value
    assert _unmask_cipher_token(full_token.decode()) == full_cookie.value


@pytest.mark.parametrize("page", ["share page", "login", "sign-up"])
def test_a_new_visitor_gets_the_same_answer_on_the_short_path_as_from_the_full_application(
    entry, pages, page
):
    app, full_application, handed = entry
    path = pages[page]
    _keep(app, path)
    handed.clear()

    short, full = ask(app, path), ask(full_application, path)

    assert handed == []  # the short path answered
    _same_but_the_token(short, full)
    assert short.header("Strict-Transport-Security") == ["max-age=31536000; includeSubDomains; preload"]
    assert short.header("Content-Security-Policy") and short.header("Permissions-Policy")
    assert short.header("Vary") == ["Cookie"]
    assert short.cookie()["secure"] and short.cookie().value != full.cookie().value  # a secret per visitor
    assert re.fullmatch(r"[0-9a-f]{16}", short.header("X-Request-ID")[0])
    if page == "login":
        assert "no-store" in short.header("Cache-Control")[0]  # never_cache, around the view


@pytest.mark.parametrize("page", ["share page", "login", "sign-up"])
def test_a_returning_visitor_keeps_their_secret_and_the_proxys_request_id(entry, pages, page):
    app, full_application, handed = entry
    path = pages[page]
    _keep(app, path)
    handed.clear()
    secret = "A" * 16 + "b" * 15 + "7"
    brought = {"HTTP_COOKIE": f"csrftoken={secret}", "HTTP_X_REQUEST_ID": "proxy-id-1234"}

    short, full = ask(app, path, **brought), ask(full_application, path, **brought)

    assert handed == []
    _same_but_the_token(short, full)
    assert short.cookie().value == full.cookie().value == secret  # the cookie renewed, the secret the same
    assert short.header("X-Request-ID") == full.header("X-Request-ID") == ["proxy-id-1234"]


def test_a_bad_host_gets_the_same_400_and_the_same_security_log_line(entry, pages, caplog):
    app, full_application, handed = entry
    _keep(app, pages["share page"])
    handed.clear()
    answers = []
    for each in (app, full_application):
        caplog.clear()
        answers.append(ask(each, pages["share page"], HTTP_HOST="attacker.example"))
        assert [r.name for r in caplog.records] == ["django.security.DisallowedHost"]
    short, full = answers
    assert handed == []  # the short path's own Host check refused it
    assert short.status == full.status == "400 Bad Request"
    assert short.fixed_headers() == full.fixed_headers()
    assert short.body == full.body


def test_plain_http_is_sent_to_https_the_same_way(entry, pages):
    app, full_application, handed = entry
    _keep(app, pages["login"])
    handed.clear()
    short = ask(app, pages["login"], HTTP_X_FORWARDED_PROTO="http")
    full = ask(full_application, pages["login"], HTTP_X_FORWARDED_PROTO="http")
    assert handed == []
    assert short.status == full.status == "301 Moved Permanently"
    assert short.fixed_headers() == full.fixed_headers()
    assert short.header("Location") == ["https://testserver/accounts/login/"]


@pytest.mark.parametrize(
    "extra",
    [
        {"QUERY_STRING": "next=/ops/"},
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_COOKIE": "csrftoken=x; messages=abc"},
    ],
    ids=["a query string", "a session", "messages waiting"],
)
def test_anyone_but_a_plain_guest_goes_to_the_full_application(entry, pages, extra):
    app, _, handed = entry
    _keep(app, pages["login"])
    handed.clear()
    ask(app, pages["login"], **extra)
    assert handed == ["/accounts/login/"]


def test_a_page_not_kept_yet_goes_to_the_full_application_which_keeps_it(entry, pages):
    app, _, handed = entry
    path = pages["share page"]
    assert ask(app, path).status.startswith("200")
    assert ask(app, path).status.startswith("200")
    assert handed == [path, path]  # the first learns the link, the second keeps the page
    assert ask(app, path).status.startswith("200")
    assert handed == [path, path]


def test_a_nul_in_the_path_is_refused_as_before(entry):
    app, _, _ = entry
    answer = ask(app, "/r/abc\x00def/")
    assert answer.status == "400 Bad Request"
    assert answer.body == b"This address is not one of ours."


def test_a_failing_shared_cache_is_answered_by_the_full_application_with_its_headers(
    entry, pages, monkeypatch
):
    """The kept page is looked up before Django's error handling; if that look-up fails (Redis down), the
    request goes to the full application, whose answer carries every security header and is logged, instead
    of escaping to the WSGI server as a bare 500."""
    from config import wsgi

    app, _, handed = entry
    path = pages["share page"]
    _keep(app, path)
    handed.clear()

    def cache_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the shared cache is down")

    broken = [dataclasses.replace(route, find=cache_down) for route in wsgi.guest_application.routes]
    monkeypatch.setattr(wsgi.guest_application, "routes", broken)
    answer = ask(app, path)

    assert handed == [path]
    assert answer.status.startswith("200")  # the full application still had its own way to the page
    assert answer.header("Content-Security-Policy") and answer.header("Strict-Transport-Security")
