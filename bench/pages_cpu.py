"""In-process CPU per request of the guest pages (share, login, sign-up): an A/B tool for changes to them.

    BENCH_PAGES_REGISTRIES=10 python bench/pages_cpu.py [share login signup]

The same production settings and data as bench/pages_bench.py, but no server: the WSGI handler is called
directly with a request like wrk's (no cookies, X-Forwarded-Proto: https), best of 3 rounds of N requests
(BENCH_CPU_REQUESTS, default 400), in CPU time (time.process_time), so a loaded machine moves it little.
Each page is asked of config/wsgi.py's `application` (what gunicorn serves: kept guest pages on their short
path) and of the full Django application beside it, in the same run.
"""

from __future__ import annotations

import io
import os
import sys
import time
from typing import Any

os.environ.setdefault("BENCH_PAGES_REGISTRIES", "10")
import pages_bench as pages
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command

REQUESTS = int(os.environ.get("BENCH_CPU_REQUESTS", "400"))


def environ(path: str, cookie: str = "") -> dict[str, object]:
    """A GET of `path` as gunicorn hands it to the app behind the proxy (with `cookie`, a signed-in one)."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https",
        **({"HTTP_COOKIE": cookie} if cookie else {}),
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    _owner, share, _thanks = pages.seed()
    paths = {
        "share": f"/r/{share.share_key}/",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
    }
    from config.wsgi import application as entry

    apps: dict[str, Any] = {"entry": entry, "full": WSGIHandler()}
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
        statuses.append(status)

    for name in sys.argv[1:] or list(paths):
        path = paths[name]
        for label, app in apps.items():
            body = b"".join(app(environ(path), start_response))
            assert statuses[-1].startswith("200"), statuses[-1]
            for _ in range(20):
                b"".join(app(environ(path), start_response))
            best = float("inf")
            for _ in range(3):
                started = time.process_time()
                for _ in range(REQUESTS):
                    b"".join(app(environ(path), start_response))
                best = min(best, time.process_time() - started)
            print(
                f"{name:<8} {label:<6} {1000 * best / REQUESTS:6.3f} ms CPU/request  {len(body):,} bytes",
                flush=True,
            )
    from django.core.cache import cache

    cache.clear()


if __name__ == "__main__":
    main()
