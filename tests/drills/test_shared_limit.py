"""A limit is exact across web processes: two gunicorn workers count one client's reference checks in the
shared Redis cache (CACHE_URL), so exactly GRATITUDE_REFERENCE_CHECKS_PER_HOUR answers get through, whichever
worker serves each; and behind a trusted proxy each client address has its own count (docs/safety.md
promise 17). With each process counting for itself, up to twice the limit got through."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.drills.conftest import database_url

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 10
ATTEMPTS = 3 * LIMIT
PORTS = range(18300, 18400)
GUNICORN = Path(settings.BASE_DIR) / ".venv" / "bin" / "gunicorn"


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 18300-18399")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn, two sync workers, one shared Redis cache on a key prefix of this run's own."""
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRATITUDE_", "DJANGO_"))}
    env.update(
        GRATITUDE_ENV="test",
        DATABASE_URL=database_url(),
        CACHE_URL="redis://127.0.0.1:6379/1",
        GRATITUDE_CACHE_KEY_PREFIX=f"gratitude-drill-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        GRATITUDE_REFERENCE_CHECKS_PER_HOUR=str(LIMIT),
        GRATITUDE_TRUSTED_PROXIES="1",
        GRATITUDE_VAR_DIR=str(settings.VAR_DIR),
        ALLOWED_HOSTS="127.0.0.1",
    )
    command = [
        str(GUNICORN),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--no-control-socket",
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        "%(p)s %(s)s %(U)s",
        "--timeout",
        "60",
    ]
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/mail/check/", timeout=5)  # noqa: S310 - our own server
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{(tmp_path / 'gunicorn.log').read_text()}")
                time.sleep(0.2)
        yield base, access_log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _client(base: str, address: str) -> urllib.request.OpenerDirector:
    """A browser behind our proxy: its own cookies, and the X-Forwarded-For entry the proxy writes."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    opener.addheaders = [("X-Forwarded-For", f"198.18.0.66, {address}")]  # the left one is the client's lie
    return opener


def _check(opener: urllib.request.OpenerDirector, base: str) -> int:
    page = opener.open(f"{base}/mail/check/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "code": "ABCDEFGHJK"}).encode()
    request = urllib.request.Request(f"{base}/mail/check/", data=body, headers={"Referer": f"{base}/"})  # noqa: S310
    try:
        return opener.open(request, timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_limit_is_exact_across_two_gunicorn_workers(site):
    base, access_log = site
    one_client = _client(base, "203.0.113.5")

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: _check(one_client, base), range(ATTEMPTS)))

    assert sorted(statuses).count(200) == LIMIT, statuses
    assert statuses.count(429) == ATTEMPTS - LIMIT
    served_by = {line.split()[0] for line in access_log.read_text().splitlines() if "/mail/check/" in line}
    assert len(served_by) == 2, "both workers must have answered, or this proves nothing"
    # Another client behind the same proxy has a count of its own.
    assert _check(_client(base, "203.0.113.77"), base) == 200
