"""A limit is exact across web processes: two gunicorn servers (one worker process each, as a load balancer
would spread them) count one client's reference checks in the shared Redis cache (CACHE_URL), so exactly
GRATITUDE_REFERENCE_CHECKS_PER_HOUR answers get through though every other request goes to the other
process; and behind a trusted proxy each client address has its own count (docs/safety.md promise 17).
With each process counting for itself (a per-process memory cache), twice the limit got through.

Two servers rather than one with two workers: the kernel spreads one server's connections over its workers
as it likes, and a run where one worker took every request would prove nothing."""

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


def _serve(tmp_path: Path, name: str, prefix: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRATITUDE_", "DJANGO_"))}
    env.update(
        GRATITUDE_ENV="test",
        DATABASE_URL=database_url(),
        CACHE_URL="redis://127.0.0.1:6379/1",
        GRATITUDE_CACHE_KEY_PREFIX=prefix,
        GRATITUDE_REFERENCE_CHECKS_PER_HOUR=str(LIMIT),
        GRATITUDE_TRUSTED_PROXIES="1",
        GRATITUDE_VAR_DIR=str(settings.VAR_DIR),
        ALLOWED_HOSTS="127.0.0.1",
    )
    command = [str(GUNICORN), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command += ["--no-control-socket", "--timeout", "60"]
    with (tmp_path / f"{name}.log").open("wb") as log:
        proc = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _wait_until_up(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/mail/check/", timeout=5)  # noqa: S310 - our own server
            return
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
            time.sleep(0.2)


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[list[str]]:
    """Two gunicorn servers of one site: the same database, the same Redis, one key prefix of this run's."""
    prefix = f"gratitude-drill-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    started = []
    try:
        for name in ("web-1", "web-2"):
            # One after the other: a port is free until its server has bound it.
            proc, base = _serve(tmp_path, name, prefix)
            started.append((proc, base))
            _wait_until_up(proc, base, tmp_path / f"{name}.log")
        yield [base for _proc, base in started]
    finally:
        for proc, _base in started:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _client(address: str) -> urllib.request.OpenerDirector:
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


def test_a_limit_is_exact_across_two_web_processes(sites):
    one_client = _client("203.0.113.5")
    for base in sites:  # its CSRF cookie first, so the concurrent checks below do not race to set it
        one_client.open(f"{base}/mail/check/", timeout=30).read()
    # Every other check to the other process, four at a time, as a load balancer in front would.
    targets = [sites[n % 2] for n in range(ATTEMPTS)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda base: _check(one_client, base), targets))

    assert statuses.count(200) == LIMIT, statuses
    assert statuses.count(429) == ATTEMPTS - LIMIT, statuses
    # Another client behind the same proxy has a count of its own, on either process.
    assert [_check(_client("203.0.113.77"), base) for base in sites] == [200, 200]
