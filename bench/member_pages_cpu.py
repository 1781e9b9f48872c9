"""In-process CPU per request of the registrant's pages (registry page, Thank You List): an A/B tool.

    BENCH_PAGES_REGISTRIES=10 python bench/member_pages_cpu.py [registry thanks floor base]
    BENCH_CPU_PROFILE=registry python bench/member_pages_cpu.py registry   # and a cProfile of that page

The same production settings and data as bench/pages_bench.py, but no server: the WSGI handler is called
directly with a request like wrk's (the logged-in registrant's session cookie, X-Forwarded-Proto: https), best
of 3 rounds of BENCH_CPU_REQUESTS (default 400) requests, in CPU time (time.process_time), so a loaded
machine moves it little.

Two reference views are added to this process's URL map (never the site's) for the breakdown of a logged-in
request: "floor" is a login_required view answering a few bytes (the session, the user and the middleware
chain alone), "base" the same view rendering an empty page that extends base.html.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from typing import Any

os.environ.setdefault("BENCH_PAGES_REGISTRIES", "10")
import pages_bench as pages
from django.contrib.auth.decorators import login_required
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import clear_url_caches, path
from pages_cpu import environ

REQUESTS = int(os.environ.get("BENCH_CPU_REQUESTS", "400"))
PROFILE = os.environ.get("BENCH_CPU_PROFILE", "")


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"logged in")


EMPTY_PAGE = engines["django"].from_string('{% extends "base.html" %}{% block content %}{% endblock %}')


@login_required
def base(request: HttpRequest) -> HttpResponse:
    return HttpResponse(EMPTY_PAGE.render({}, request))


def add_reference_views() -> None:
    import config.urls

    config.urls.urlpatterns += [path("bench-floor/", floor), path("bench-base/", base)]
    clear_url_caches()


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    owner, share, thanks = pages.seed()
    cookie = pages.session_cookie(owner)
    paths = {
        "registry": (f"/registries/{share.pk}/", "200"),
        "thanks": (f"/registries/{thanks.pk}/thanks/", "200"),
        "floor": ("/bench-floor/", "200"),
        "base": ("/bench-base/", "200"),
    }
    add_reference_views()
    app = WSGIHandler()
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
        statuses.append(status)

    def get(path: str) -> bytes:
        return b"".join(app(environ(path, cookie), start_response))

    for name in sys.argv[1:] or list(paths):
        path, expected = paths[name]
        body = get(path)
        assert statuses[-1].startswith(expected), statuses[-1]
        for _ in range(20):
            get(path)
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for _ in range(REQUESTS):
                get(path)
            best = min(best, time.process_time() - started)
        print(f"{name:<9} {1000 * best / REQUESTS:6.3f} ms CPU/request  {len(body):,} bytes", flush=True)
        if name == PROFILE:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(REQUESTS):
                get(path)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    from django.core.cache import cache

    cache.clear()


if __name__ == "__main__":
    main()
