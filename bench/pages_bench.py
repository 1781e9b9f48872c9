"""Pages under load: each page's requests per second from gunicorn, as a ratio to a bare WSGI app.

    python bench/pages_bench.py                  # make bench runs it; about 4 minutes here
    BENCH_PAGES_REGISTRIES=100000 BENCH_PAGES_SECONDS=10 BENCH_PAGES_ONLY=share,login \
        python bench/pages_bench.py

What one run does, everything on 127.0.0.1:
  1. A throw-away SQLite database in a temp dir, migrated, with production settings (GRATITUDE_ENV=prod,
     DEBUG off, the shared cache in Redis on its own key prefix, collected static files with their manifest).
  2. Demo-like data: BENCH_PAGES_REGISTRIES registries (default 100,000) for search, bulk-inserted the way
     bench/registry_bench.py does it (its seed functions are reused); a registrant owning a 20-item registry
     (a third of the items given, a sixth held) and a registry with 200 gifts for the Thank You List.
  3. gunicorn, 1 sync worker, serving config.wsgi; then the same gunicorn and Python serving a bare WSGI app
     that answers a body of exactly the page's size (no Django at all).
  4. Each page and its bare twin loaded with `wrk -t1 -c10 -d<BENCH_PAGES_SECONDS>s` (the registrant's pages
     with the session cookie of a logged-in registrant, every request with `X-Forwarded-Proto: https` as the
     proxy in front of a production site sends). Printed: req/s, the bare app's req/s for the same bytes,
     the ratio, the worker's CPU per request, the HTML size, and PASS/MISS against the targets below.
If `wrk` is missing it installs Debian's `wrk` package with apt-get (as .ci/run does for chromium); it never
downloads a binary. Exits 1 if a page misses its target, answers anything but 200, or exceeds 30 KB.

Targets (docs/benchmarks.md, "Pages"): ratio to the bare app >= 0.25 for the share page, >= 0.15 for the
registrant's registry page, the Thank You List and search, >= 0.20 for the login and sign-up pages.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Production settings for this process (seeding) and for gunicorn; set before registry_bench sets up Django.
os.environ["GRATITUDE_ENV"] = "prod"
os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
os.environ["SITE_URL"] = "https://127.0.0.1"
os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
os.environ["EMAIL_URL"] = "smtp://127.0.0.1:9"  # nothing is sent: no page here queues mail
os.environ["CACHE_URL"] = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/1")
os.environ["GRATITUDE_CACHE_KEY_PREFIX"] = f"gratitude-pages-bench-{os.getpid()}"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["BENCH_REGISTRIES"] = os.environ.get("BENCH_PAGES_REGISTRIES", "100000")

import registry_bench as seeding
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from gratitude.accounts.models import User
from gratitude.gifts.models import Gift, GiftState
from gratitude.registries.models import Item, MemberRole, Registry, RegistryMember, Visibility
from gratitude.thanks.models import ThankYou, ThankYouStatus

HOST = "127.0.0.1"
ROOT = seeding.ROOT
WORKDIR = seeding.WORKDIR
BIN = Path(sys.executable).parent
SECONDS = seeding.env_int("BENCH_PAGES_SECONDS", 10)
ONLY = {p.strip() for p in os.environ.get("BENCH_PAGES_ONLY", "").split(",") if p.strip()}
MAX_HTML = 30 * 1024
PROXY_HEADER = "X-Forwarded-Proto: https"
# Extra gunicorn options for the app's server only (the bare app keeps 1 sync worker), to compare server
# configurations: BENCH_PAGES_GUNICORN="-c $PWD/config/gunicorn.py" or "--workers 2 --threads 4".
APP_SERVER_ARGS = os.environ.get("BENCH_PAGES_GUNICORN", "").split()

BARE_APP = '''"""A bare WSGI app: a body of exactly the size in the path, from memory (the reference)."""
_bodies = {}


def application(environ, start_response):
    size = int(environ["PATH_INFO"].strip("/") or 0)
    body = _bodies.get(size)
    if body is None:
        body = _bodies[size] = b"x" * size
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(size))])
    return [body]
'''


@dataclass
class Page:
    key: str
    label: str
    path: str
    target: float
    member: bool = False


@dataclass
class Load:
    rate: float
    requests: int
    bad: int  # answers other than 2xx/3xx
    timeouts: int  # wrk gave up waiting (2 s): a slow page under 10 connections, not a wrong answer
    cpu_ms: float


def say(text: str = "") -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            "wrk is missing and cannot be installed here (needs root and apt-get): apt-get install wrk"
        )
    say("wrk missing: installing Debian's wrk package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get install wrk did not provide wrk")
    return found


# --- Data ---------------------------------------------------------------------------------------


def seed() -> tuple[User, Registry, Registry]:
    """The registrant, their 20-item registry (shared by link) and a registry with 200 gifts."""
    owner = User.objects.create_user(
        "registrant@example.test", "bench password 1729", display_name="Robin Rivera"
    )
    share = Registry.objects.create(
        title="Robin and Sam's wedding", occasion="wedding", visibility=Visibility.LINK
    )
    RegistryMember.objects.create(registry=share, user=owner, role=MemberRole.OWNER)
    seeding.fill_registry(share, 20)
    thanks = Registry.objects.create(
        title="Robin's birthday", occasion="birthday", visibility=Visibility.LINK
    )
    RegistryMember.objects.create(registry=thanks, user=owner, role=MemberRole.OWNER)
    now = timezone.now()
    with transaction.atomic():
        items = Item.objects.bulk_create(
            Item(registry=thanks, title=f"Gift idea {n}", quantity=1000, position=n + 1) for n in range(20)
        )
        gifts = Gift.objects.bulk_create(
            Gift(
                registry=thanks,
                item=items[n % len(items)],
                giver_name=f"Giver {n % 120} Ålvarez-Ng",
                giver_email=f"giver{n % 120}@example.test" if n % 10 < 7 else "",
                message="Wishing you every happiness!" if n % 2 else "",
                quantity=1,
                state=GiftState.ACTIVE,
                received_at=now if n % 4 == 0 else None,
            )
            for n in range(200)
        )
        ThankYou.objects.bulk_create(
            ThankYou(
                gift=gift,
                status=ThankYouStatus.SENT if i % 2 else ThankYouStatus.WRITTEN,
                written_at=now,
                sent_at=now if i % 2 else None,
            )
            for i, gift in enumerate(gifts)
            if i % 3 == 0
        )
    return owner, share, thanks


def session_cookie(owner: User) -> str:
    client = Client()
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    return f"sessionid={client.cookies['sessionid'].value}"


# --- Servers and load ---------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(app: str, chdir: Path, extra: list[str] | None = None) -> Iterator[tuple[int, int]]:
    """(port, worker pid) of a 1-sync-worker gunicorn serving `app` with the production settings (`extra`
    options come last, so they win; with several workers the CPU figure is the first worker's only)."""
    port = free_port()
    log = WORKDIR / f"gunicorn-{port}.log"
    command = [
        str(BIN / "gunicorn"),
        app,
        "--chdir",
        str(chdir),
        "--bind",
        f"{HOST}:{port}",
        "--no-control-socket",
        "--log-level",
        "warning",
        # Options on the command line beat a config file's: 1 sync worker only when none are given.
        *(extra or ["--workers", "1", "--worker-class", "sync"]),
    ]
    with log.open("wb") as out:
        # Started outside the checkout: gunicorn reads ./gunicorn.conf.py by itself when it is there.
        process = subprocess.Popen(
            command, cwd=WORKDIR, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        worker = None
        while time.monotonic() < deadline and worker is None:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
                worker = int(children[0]) if children else None
            time.sleep(0.1)
        if worker is None:
            raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
        yield port, worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fetch(port: int, path: str, cookie: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers={"X-Forwarded-Proto": "https"})
    if cookie:
        request.add_header("Cookie", cookie)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), b""


def load(wrk: str, port: int, worker: int, path: str, cookie: str | None) -> Load:
    command = [wrk, "-t1", "-c10", f"-d{SECONDS}s", "-H", PROXY_HEADER]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://{HOST}:{port}{path}")
    cpu = cpu_seconds(worker)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    cpu = cpu_seconds(worker) - cpu
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    total = re.search(r"(\d+) requests in", done.stdout)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", done.stdout)
    if not rate or not total:
        raise RuntimeError(f"could not read wrk's output:\n{done.stdout}\n{done.stderr}")
    requests = int(total.group(1))
    return Load(
        rate=float(rate.group(1)),
        requests=requests,
        bad=int(bad.group(1)) if bad else 0,
        timeouts=int(errors.group(1)) if errors else 0,
        cpu_ms=1000 * cpu / max(requests, 1),
    )


def timed(label: str, step: Any) -> Any:
    started = time.perf_counter()
    result = step()
    say(f"  {label}: {time.perf_counter() - started:.1f} s")
    return result


def main() -> int:
    say(
        f"pages bench: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine lowers"
        " both rates; the ratio and the worker's CPU per request are steadier)"
    )
    wrk = wrk_path()
    say(
        f"SQLite at {WORKDIR}, production settings, {seeding.REGISTRIES:,} registries,"
        f" wrk -t1 -c10 -d{SECONDS}s"
    )
    timed("migrate", lambda: call_command("migrate", verbosity=0))
    timed("collectstatic", lambda: call_command("collectstatic", "--noinput", verbosity=0))
    timed(f"seed {seeding.REGISTRIES:,} registries", lambda: seeding.seed_registries(seeding.REGISTRIES))
    owner, share, thanks = timed("seed the registrant's registries", seed)
    cookie = session_cookie(owner)
    pages = [
        Page("share", "share page, 20 items (guest)", f"/r/{share.share_key}/", 0.25),
        Page(
            "registry", "registry page, 20 items (registrant)", f"/registries/{share.pk}/", 0.15, member=True
        ),
        Page("thanks", "Thank You List, 200 gifts", f"/registries/{thanks.pk}/thanks/", 0.15, member=True),
        Page("login", "login page", "/accounts/login/", 0.20),
        Page("signup", "sign-up page", "/accounts/signup/", 0.20),
        Page(
            "search", f"search over {seeding.REGISTRIES:,} registries", "/registries/find/?name=maria", 0.15
        ),
    ]
    if ONLY:
        pages = [page for page in pages if page.key in ONLY]

    sizes: dict[str, int] = {}
    app_loads: dict[str, Load] = {}
    if APP_SERVER_ARGS:
        say(f"app server options: {' '.join(APP_SERVER_ARGS)}")
    with gunicorn("config.wsgi:application", ROOT, APP_SERVER_ARGS) as (port, worker):
        for page in pages:
            status, body = fetch(port, page.path, cookie if page.member else None)
            if status != 200:
                raise SystemExit(f"{page.label}: GET {page.path} answered {status}, not 200")
            sizes[page.key] = len(body)
            for _ in range(
                5
            ):  # warm-up: first-request imports and compiled templates are not the page's cost
                fetch(port, page.path, cookie if page.member else None)
            app_loads[page.key] = load(wrk, port, worker, page.path, cookie if page.member else None)
            say(f"  {page.label}: {app_loads[page.key].rate:.0f} req/s")
    (WORKDIR / "bare.py").write_text(BARE_APP)
    bare_loads: dict[str, Load] = {}
    with gunicorn("bare:application", WORKDIR) as (port, worker):
        for page in pages:
            bare_loads[page.key] = load(wrk, port, worker, f"/{sizes[page.key]}", None)
            say(f"  bare app, {sizes[page.key]:,} bytes: {bare_loads[page.key].rate:.0f} req/s")
    cache.clear()  # this run's own key prefix only

    say("")
    header = (
        f"{'page':<38} {'req/s':>7} {'bare req/s':>10} {'ratio':>6} {'target':>6} {'CPU ms/req':>10}"
        f" {'HTML KB':>8}  verdict"
    )
    say(header)
    say("-" * len(header))
    results: dict[str, dict[str, Any]] = {}
    missed = False
    for page in pages:
        mine, bare = app_loads[page.key], bare_loads[page.key]
        ratio = mine.rate / bare.rate
        ok = ratio >= page.target and sizes[page.key] <= MAX_HTML and mine.bad == 0
        missed |= not ok
        say(
            f"{page.label:<38} {mine.rate:>7.0f} {bare.rate:>10.0f} {ratio:>6.3f} {page.target:>6.2f}"
            f" {mine.cpu_ms:>10.2f} {sizes[page.key] / 1024:>8.1f}  {'PASS' if ok else 'MISS'}"
            + (f" ({mine.bad} answers not 2xx/3xx)" if mine.bad else "")
            + (f" ({mine.timeouts} wrk timeouts)" if mine.timeouts else "")
        )
        results[page.key] = {
            "rps": round(mine.rate, 1),
            "bare_rps": round(bare.rate, 1),
            "ratio": round(ratio, 3),
            "target": page.target,
            "cpu_ms": round(mine.cpu_ms, 2),
            "bytes": sizes[page.key],
            "pass": ok,
        }
    say(
        "req/s: wrk -t1 -c10 against gunicorn with 1 sync worker; bare: the same gunicorn and Python"
        " answering the same number of bytes; CPU ms/req: the gunicorn worker's user+system time over the"
        " run's requests"
    )
    say(json.dumps({"load_average": os.getloadavg(), "seconds": SECONDS, "pages": results}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
