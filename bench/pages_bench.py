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
  3. gunicorn serving config.wsgi; then the same gunicorn, Python and options serving a bare WSGI app that
     answers a body of exactly the page's size (no Django at all). Each server configuration in
     BENCH_PAGES_SERVERS (default "sync,prod"): `sync` is 1 sync worker (the figure the targets were set
     on), `prod` is config/gunicorn.py (cores + 1 gthread workers, README "Run it at scale"), both sides.
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
# config/gunicorn.py replaces a worker after 20,000 requests; a run is shorter than that would need, and a
# replaced worker's CPU time would be lost from the figure.
os.environ["GUNICORN_MAX_REQUESTS"] = "0"
os.environ["BENCH_REGISTRIES"] = os.environ.get("BENCH_PAGES_REGISTRIES", "100000")

import registry_bench as seeding
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from wrk_tool import wrk_path

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
# Server configurations, each run for the app AND the bare app (the issue: "the same server and Python").
SERVERS: dict[str, list[str]] = {
    "sync": ["--workers", "1", "--worker-class", "sync"],
    "prod": ["-c", str(ROOT / "config" / "gunicorn.py")],
}
SERVER_LABELS = {
    "sync": "gunicorn, 1 sync worker",
    "prod": "gunicorn -c config/gunicorn.py (cores + 1 gthread workers x 2 threads, preloaded)",
}
RUN_SERVERS = [
    name.strip() for name in os.environ.get("BENCH_PAGES_SERVERS", "sync,prod").split(",") if name.strip()
]
# Extra gunicorn options for the app's server only, to try other configurations by hand:
# BENCH_PAGES_GUNICORN="--workers 2 --threads 4" (added to each configuration's options, app side only).
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
def gunicorn(app: str, chdir: Path, options: list[str]) -> Iterator[tuple[int, int]]:
    """(port, master pid) of a gunicorn serving `app` with the production settings and `options` (a
    configuration of SERVERS; its --bind is overridden: the command line beats a config file)."""
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
        *options,
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
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(master: int) -> float:
    """User + system time of the master's workers (all of them: with several, the load is spread)."""
    total = 0.0
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


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
    if APP_SERVER_ARGS:
        say(f"app server options added: {' '.join(APP_SERVER_ARGS)}")
    (WORKDIR / "bare.py").write_text(BARE_APP)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    missed = False
    for server in RUN_SERVERS:
        say(f"server: {SERVER_LABELS[server]}")
        app_loads: dict[str, Load] = {}
        with gunicorn("config.wsgi:application", ROOT, SERVERS[server] + APP_SERVER_ARGS) as (port, master):
            for page in pages:
                status, body = fetch(port, page.path, cookie if page.member else None)
                if status != 200:
                    raise SystemExit(f"{page.label}: GET {page.path} answered {status}, not 200")
                sizes[page.key] = len(body)
                # Warm-up: first-request imports, compiled templates and kept pages are not the page's cost.
                for _ in range(20):
                    fetch(port, page.path, cookie if page.member else None)
                app_loads[page.key] = load(wrk, port, master, page.path, cookie if page.member else None)
                say(f"  {page.label}: {app_loads[page.key].rate:.0f} req/s")
        bare_loads: dict[str, Load] = {}
        with gunicorn("bare:application", WORKDIR, SERVERS[server]) as (port, master):
            for page in pages:
                bare_loads[page.key] = load(wrk, port, master, f"/{sizes[page.key]}", None)
                say(f"  bare app, {sizes[page.key]:,} bytes: {bare_loads[page.key].rate:.0f} req/s")
        results[server] = report(server, pages, sizes, app_loads, bare_loads)
        # The targets were set on 1 sync worker: that run decides the exit code when it is run.
        if server == "sync" or "sync" not in RUN_SERVERS:
            missed |= not all(page["pass"] for page in results[server].values())
    cache.clear()  # this run's own key prefix only
    say(json.dumps({"load_average": os.getloadavg(), "seconds": SECONDS, "servers": results}))
    return 1 if missed else 0


def report(
    server: str, pages: list[Page], sizes: dict[str, int], mine: dict[str, Load], bare: dict[str, Load]
) -> dict[str, dict[str, Any]]:
    say("")
    header = (
        f"{'page':<38} {'req/s':>7} {'bare req/s':>10} {'ratio':>6} {'target':>6} {'CPU ms/req':>10}"
        f" {'bare CPU':>8} {'CPU ratio':>9} {'HTML KB':>8}  verdict"
    )
    say(header)
    say("-" * len(header))
    results: dict[str, dict[str, Any]] = {}
    for page in pages:
        app, ref = mine[page.key], bare[page.key]
        ratio = app.rate / ref.rate
        # What the ratio would be if the CPU were the only limit (a loaded machine's scheduling is not).
        cpu_ratio = ref.cpu_ms / app.cpu_ms if app.cpu_ms else 0.0
        ok = ratio >= page.target and sizes[page.key] <= MAX_HTML and app.bad == 0
        say(
            f"{page.label:<38} {app.rate:>7.0f} {ref.rate:>10.0f} {ratio:>6.3f} {page.target:>6.2f}"
            f" {app.cpu_ms:>10.2f} {ref.cpu_ms:>8.2f} {cpu_ratio:>9.3f}"
            f" {sizes[page.key] / 1024:>8.1f}  {'PASS' if ok else 'MISS'}"
            + (f" ({app.bad} answers not 2xx/3xx)" if app.bad else "")
            + (f" ({app.timeouts} wrk timeouts)" if app.timeouts else "")
        )
        results[page.key] = {
            "rps": round(app.rate, 1),
            "bare_rps": round(ref.rate, 1),
            "ratio": round(ratio, 3),
            "target": page.target,
            "cpu_ms": round(app.cpu_ms, 2),
            "bare_cpu_ms": round(ref.cpu_ms, 3),
            "cpu_ratio": round(cpu_ratio, 3),
            "bytes": sizes[page.key],
            "pass": ok,
        }
    say(
        f"req/s: wrk -t1 -c10 against {SERVER_LABELS[server]}; bare: the same server, options and Python"
        " answering the same number of bytes; CPU ms/req: the workers' user+system time over the run's"
        " requests (bare CPU: the bare app's); CPU ratio: bare CPU / CPU, the ratio if CPU alone limited"
    )
    say("")
    return results


if __name__ == "__main__":
    sys.exit(main())
