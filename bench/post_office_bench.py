"""Gift alerts end to end against django-post-office, to the same SMTP sink, on SQLite and PostgreSQL.

    python bench/post_office_bench.py          # make bench runs it; about 5 minutes here
    BENCH_PO_N=2000 BENCH_PO_MEMORY=100000 BENCH_PO_PG_WORKERS=1,2,4 python bench/post_office_bench.py

The reference: django-post-office 3.x (the latest that supports Django 5.2 on Python 3.11, 3.12 when this
was written), installed with pip into its OWN virtualenv under /tmp (BENCH_PO_VENV, reused if it is already
there; never a dependency of Gratitude), with a minimal Django project written next to it. That project
queues N messages with `mail.send(template=..., render_on_delivery=True)` (templates rendered at send time,
as our worker renders), and `manage.py send_queued_mail --processes 1` is timed from spawn to exit, with its
default settings (batches of 100, its log rows). The sink counts exactly N messages, or the run fails.

Ours: bench/run.py's end to end for the same N on the same kind of throw-away database and the same sink
(gifts recorded through gift_record, every guard on, both durable writes per message; `gratitude worker
--drain` timed from spawn to exit, checked message by message). SQLite with 1 worker, PostgreSQL with 1, 2
and 4 workers. Then bench/run.py's memory run (one worker over BENCH_PO_MEMORY messages, VmRSS sampled).

Printed: both rates (and "steady": with an empty run's start-up taken off), the ratio (target >= 2x), our
guard chain + render per message (target <= 0.3 ms, bench/djbench.py guardcost), CPU per message, and
whether memory stayed flat. The sink is Debian's smtp-sink (postfix, installed by bench/run.py if missing).
Only 127.0.0.1 is contacted. Exits 1 if a delivery check fails; a missed target is printed, not fatal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run as ours  # bench/run.py: the sink, throw-away databases, our end to end and memory runs

N = ours.env_int("BENCH_PO_N", 2000)
MEMORY_N = ours.env_int("BENCH_PO_MEMORY", 5000)
PG_WORKERS = [int(w) for w in os.environ.get("BENCH_PO_PG_WORKERS", "1,2,4").split(",") if w.strip()]
PO_VERSION = os.environ.get("BENCH_PO_VERSION", "django-post-office~=3.12")
# A fixed path so a second run reuses the environment; it is the reference's, never imported here.
VENV = Path(os.environ.get("BENCH_PO_VENV", "/tmp/gratitude-bench-post-office-venv"))  # noqa: S108
TARGET_RATIO = 2.0
TARGET_GUARD_MS = 0.3
say = ours.say

SETTINGS = '''"""The smallest Django project that sends django-post-office's queue (Gratitude's bench)."""
import os
from urllib.parse import urlsplit

SECRET_KEY = "bench-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "post_office"]
_url = urlsplit(os.environ["PO_DATABASE_URL"])
if _url.scheme == "sqlite":
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _url.path}}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username or "postgres",
            "HOST": _url.hostname,
            "PORT": _url.port or 5432,
        }
    }
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["PO_SMTP_PORT"])
DEFAULT_FROM_EMAIL = "Gratitude <alerts@gratitude.example>"
TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True},
    {
        "BACKEND": "post_office.template.backends.post_office.PostOfficeTemplates",
        "APP_DIRS": True,
        "DIRS": [],
        "OPTIONS": {"context_processors": []},
    },
]
POST_OFFICE = {"BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"}}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
'''

MANAGE = """import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""

# A gift alert of about the size of ours (bench/run.py prints our real one's size): a text part and an
# HTML part, each with the giver, the item, the registry and links filled in at send time.
QUEUE = '''"""queue N: one templated message per gift; count: messages sent."""
import os, sys
import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()
from post_office import mail
from post_office.models import Email, EmailTemplate, STATUS

TEXT = """Hello {{ name }},

{{ giver }} gave you {{ item }} from {{ registry }}{% if message %}, with a note:

    {{ message }}{% endif %}

See what has been given so far: {{ registry_url }}
Say thank you when you are ready: {{ thanks_url }}

You get this because you are a registrant of {{ registry }}.
Choose which emails you get: {{ preferences_url }}
Stop these alerts: {{ unsubscribe_url }}
"""
HTML = """<!doctype html><html><head><meta charset="utf-8"><title>{{ giver }} gave you {{ item }}</title>
<style>body{font-family:system-ui,sans-serif;color:#1f2933;background:#fff}
.card{max-width:560px;margin:0 auto;
padding:24px;border:1px solid #d9e2ec;border-radius:8px}.note{border-left:3px solid #9fb3c8;padding-left:12px}
a.button{display:inline-block;padding:10px 16px;background:#243b53;color:#fff;text-decoration:none}</style>
</head><body><div class="card"><p>Hello {{ name }},</p>
<p><strong>{{ giver }}</strong> gave you <strong>{{ item }}</strong> from <em>{{ registry }}</em>.</p>
{% if message %}<p class="note">{{ message }}</p>{% endif %}
<p><a class="button" href="{{ registry_url }}">See what has been given</a></p>
<p><a href="{{ thanks_url }}">Say thank you when you are ready</a></p>
<hr><p style="font-size:12px">You get this because you are a registrant of {{ registry }}.
<a href="{{ preferences_url }}">Choose which emails you get</a> &middot;
<a href="{{ unsubscribe_url }}">Stop these alerts</a></p></div></body></html>"""

if sys.argv[1] == "queue":
    count = int(sys.argv[2])
    EmailTemplate.objects.create(name="gift", subject="{{ giver }} gave you {{ item }}", content=TEXT,
                                 html_content=HTML)
    for n in range(count):
        site = "https://gratitude.example"
        mail.send(
            [f"owner{n}@example.test"],
            "Gratitude <alerts@gratitude.example>",
            template="gift",
            context={
                "name": f"Owner {n}", "giver": f"Giver {n}", "item": f"Item number {n}",
                "registry": f"Registry {n}",
                "message": "With love, and see you at the party!" if n % 2 else "",
                "registry_url": f"{site}/registries/{n}/", "thanks_url": f"{site}/registries/{n}/thanks/",
                "preferences_url": f"{site}/accounts/emails/", "unsubscribe_url": f"{site}/mail/u/{n:08d}/",
            },
            render_on_delivery=True,
        )
    print(Email.objects.filter(status=None).count() + Email.objects.filter(status=STATUS.queued).count())
else:
    print(Email.objects.filter(status=STATUS.sent).count())
'''


def post_office_venv() -> Path:
    """The reference's own virtualenv: Django 5.2, django-post-office, psycopg; built once under /tmp."""
    python = VENV / "bin" / "python"
    marker = VENV / ".bench-ready"
    if marker.exists() and marker.read_text() == PO_VERSION:
        return python
    shutil.rmtree(VENV, ignore_errors=True)
    say(f"building {PO_VERSION} in its own virtualenv at {VENV} (pip; about a minute)")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "Django~=5.2.0", PO_VERSION, "psycopg[binary]~=3.2"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker.write_text(PO_VERSION)
    return python


def installed_version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('django-post-office'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def post_office_run(
    python: Path, engine: str, sink_kind: str, sink_bin: str | None, workdir: Path
) -> dict[str, float]:
    """Queue N, then time `send_queued_mail --processes 1` to the sink; also an empty run's start-up."""
    project = workdir / "po_project"
    project.mkdir(exist_ok=True)
    (project / "settings.py").write_text(SETTINGS)
    (project / "manage.py").write_text(MANAGE)
    (project / "queue_mail.py").write_text(QUEUE)
    with (
        ours.throwaway_database(engine, workdir) as url,
        ours.running_sink(sink_kind, sink_bin, workdir) as sink,
    ):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GRATITUDE_", "DJANGO_"))},
            "PO_DATABASE_URL": url,
            "PO_SMTP_PORT": str(sink.port),
            "PYTHONPATH": str(project),
        }

        def manage(*args: str) -> None:
            # Its INFO lines (one per batch) go to a log file, not between our figures.
            with (workdir / "post_office.log").open("ab") as log:
                subprocess.run(
                    [str(python), "manage.py", *args],
                    cwd=project,
                    env=env,
                    check=True,
                    stdout=log,
                    stderr=log,
                )

        manage("migrate", "-v0")
        started = time.perf_counter()
        queued = subprocess.run(
            [str(python), "queue_mail.py", "queue", str(N)],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        say(f"  queued {queued} messages in {time.perf_counter() - started:.1f}s")
        lock = str(workdir / "post_office")
        before = sink.count()
        cpu, started = ours.children_cpu(), time.perf_counter()
        manage("send_queued_mail", "--processes", "1", "--lockfile", lock)
        seconds, cpu = time.perf_counter() - started, ours.children_cpu() - cpu
        received = sink.settled_count(before + N) - before
        sent = subprocess.run(
            [str(python), "queue_mail.py", "count"],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        started = time.perf_counter()
        manage("send_queued_mail", "--processes", "1", "--lockfile", lock)
        start_cost = time.perf_counter() - started
    if received != N or int(sent) != N:
        raise SystemExit(
            f"django-post-office on {engine}: sink got {received}, {sent} rows sent, expected {N}"
        )
    say(
        f"  send_queued_mail --processes 1: {N} messages in {seconds:.2f}s = {N / seconds:.0f} msg/s"
        f" (empty run {start_cost:.2f}s); CPU {1000 * cpu / N:.2f} ms/message; sink got {received}"
    )
    return {"seconds": seconds, "start": start_cost, "cpu_ms": 1000 * cpu / N}


def main() -> int:
    say(
        f"post-office bench: {os.cpu_count()} cores, load average"
        f" {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on this machine moves the rates; the"
        " ratio of two runs close in time holds better)"
    )
    ours.N = N
    ours.PROFILE_N = 0
    ours.MEMORY_N = MEMORY_N
    python = post_office_venv()
    version = installed_version(python)
    sink_kind, sink_bin = ours.choose_sink()
    engines = ["sqlite"]
    why_not = ours.pg_reachable()
    if why_not is None:
        engines.append("postgres")
    else:
        say(f"PostgreSQL: SKIPPED ({why_not})")
    lines: list[str] = []
    verified = True
    with tempfile.TemporaryDirectory(prefix="gratitude-po-bench-") as tmp:
        workdir = Path(tmp)
        start_cost = ours.startup_seconds(sink_kind, sink_bin, workdir)
        guard_ms: list[float] = []
        for engine in engines:
            label = "SQLite" if engine == "sqlite" else "PostgreSQL"
            say(f"\n== django-post-office {version}, {label}, N={N}")
            po = post_office_run(python, engine, sink_kind, sink_bin, workdir)
            po_rate = N / po["seconds"]
            po_steady = N / max(po["seconds"] - po["start"], 1e-3)
            for workers in [1] if engine == "sqlite" else PG_WORKERS:
                row = ours.end_to_end(engine, workers, sink_kind, sink_bin, workdir)
                verified &= row.verified
                guard_ms.append(row.guard_ms)
                ratio = row.rate / po_rate
                lines.append(
                    f"{label:<11} {workers:>7} {N:>6} {row.rate:>9.0f} {row.steady_rate(start_cost):>9.0f}"
                    f" {1000 * row.worker_cpu / N:>7.2f} {po_rate:>7.0f} {po_steady:>9.0f}"
                    f" {po['cpu_ms']:>7.2f}"
                    f" {ratio:>6.2f} {row.steady_rate(start_cost) / po_steady:>7.2f}"
                    f"  {'MET' if ratio >= TARGET_RATIO else 'NOT MET'}"
                    + ("" if workers == 1 else " (n/a: 1 process)")
                )
        memory = (
            ours.memory_run(sink_kind, sink_bin, workdir) if MEMORY_N > 0 else "not run (BENCH_PO_MEMORY=0)"
        )

    say(
        f"\n== Results: Gratitude's gift alerts vs django-post-office {version}"
        f" (target: ours >= {TARGET_RATIO:.0f}x)"
    )
    header = (
        f"{'database':<11} {'workers':>7} {'N':>6} {'ours/s':>9} {'steady/s':>9} {'CPU ms':>7} {'po/s':>7}"
        f" {'po steady':>9} {'po CPU':>7} {'ratio':>6} {'steady':>7}  verdict (1 worker vs 1 process)"
    )
    say(header)
    say("-" * len(header))
    for line in lines:
        say(line)
    say(
        f"ours: `gratitude worker --drain` spawn to exit (an empty drain takes {start_cost:.2f}s; steady"
        " takes it off); po: `send_queued_mail --processes 1` spawn to exit (steady: minus an empty run);"
        " CPU: user+system of the sending processes per message"
    )
    worst = max(guard_ms) if guard_ms else 0.0
    say(
        f"target guard chain + render <= {TARGET_GUARD_MS} ms/message:"
        f" {'MET' if worst <= TARGET_GUARD_MS else 'NOT MET'} ({worst:.3f} ms, worst database)"
    )
    say(f"target memory flat over {MEMORY_N:,} messages: {memory}")
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
