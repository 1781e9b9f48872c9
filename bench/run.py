"""`make bench`: the sending path end to end, against a plain-smtplib baseline to the same SMTP sink.

For each database (SQLite with 1 worker, then 2, since the SQLite path must be correct with two worker
processes; PostgreSQL with 2 workers, skipped if unreachable):
  1. create a throw-away database and migrate it (`gratitude migrate`, in a subprocess);
  2. record N gifts through gift_record, each on its own registry with its own recipient (one alert each);
  3. measure in-process what the worker does to one row besides claim/record/send: blast radius, guards,
     pacing, render, build_email (bench/djbench.py guardcost);
  4. baseline: plain smtplib over one connection sends N pre-built messages of the real size to the sink;
  5. time `gratitude worker --drain` process(es) from spawn to exit, then check that the sink got exactly
     N messages and every outbox row is sent, one message id per gift.
Then the memory run: one worker over BENCH_MEMORY messages on SQLite, VmRSS sampled from /proc.

Every guard is on: send controls, provenance, suppression, allowlist (GRATITUDE_ENV=test with allowlist
"*", so the allowlist check runs), pacing (quiet hours off, settle 0, digest window 0 so each gift is one
message), blast radius (caps raised above the run size, still checked per batch).

Environment: BENCH_N (default 1000), BENCH_MEMORY (default 3000; `make bench BENCH_MEMORY=100000` for the
full memory target), BENCH_GUARD_ROWS (default 1000), BENCH_PROFILE (extra alerts drained in-process under
cProfile on SQLite to show where the time goes; default 200, 0 skips), BENCH_PG (default
postgres://postgres@127.0.0.1:5432; "off" skips), BENCH_PG_WORKERS (default 2), BENCH_SINK (auto | smtp-sink |
aiosmtpd), BENCH_PHASES (default "sqlite,postgres,memory"), BENCH_COMPILE (default 1: byte-compile the app's
source before timing, as an installed or deployed app already is; 0 runs it as the tree is).
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import resource
import secrets
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
GRATITUDE = (
    str(BIN / "gratitude") if (BIN / "gratitude").exists() else shutil.which("gratitude") or "gratitude"
)
HOST = "127.0.0.1"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


N = env_int("BENCH_N", 1000)
MEMORY_N = env_int("BENCH_MEMORY", 3000)
GUARD_ROWS = env_int("BENCH_GUARD_ROWS", 1000)
PROFILE_N = env_int("BENCH_PROFILE", 200)
# The figure is 2 workers; more show how far waiting on the database's disk can be overlapped.
PG_WORKERS = env_int("BENCH_PG_WORKERS", 2)
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
SINK_CHOICE = os.environ.get("BENCH_SINK", "auto")
PHASES = {p.strip() for p in os.environ.get("BENCH_PHASES", "sqlite,postgres,memory").split(",") if p.strip()}


def say(text: str = "") -> None:
    print(text, flush=True)


def byte_compile() -> None:
    """Write the app's bytecode (__pycache__, git-ignored) before any worker is timed.

    A deployed app has it (pip compiles what it installs, and a long-running process writes it on its
    first start). Where PYTHONDONTWRITEBYTECODE is set, as on the shared benchmark machine, nothing
    writes it, and every `gratitude worker` then compiled our ~200 modules from source as it started:
    0.3 to 0.4 s of CPU per worker that the reference, pip-installed with its bytecode, never paid
    (docs/benchmarks.md, "Sending: ...")."""
    if os.environ.get("BENCH_COMPILE", "1") == "0":
        return
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j0", "gratitude", "config"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {HOST}:{port} after {timeout}s")


# --- The SMTP sink ------------------------------------------------------------------------------


def smtp_sink_path() -> str | None:
    return shutil.which("smtp-sink") or next(
        (p for p in ("/usr/sbin/smtp-sink", "/usr/bin/smtp-sink") if os.access(p, os.X_OK)), None
    )


def install_smtp_sink() -> str | None:
    """Install Debian's postfix (it ships smtp-sink) without configuring or starting a mail server."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    say("smtp-sink missing: installing Debian's postfix (configured as 'No configuration', not started)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def quietly(command: list[str], stdin: bytes | None = None) -> int:
        try:
            done = subprocess.run(
                command,
                input=stdin,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        except OSError:
            return 1
        return done.returncode

    quietly(["debconf-set-selections"], b"postfix postfix/main_mailer_type select No configuration\n")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postfix"]
    if quietly(install) != 0:
        quietly(["apt-get", "update", "-q"])
        quietly(install)
    return smtp_sink_path()


def choose_sink() -> tuple[str, str | None]:
    """("smtp-sink", path) or ("aiosmtpd", None), with the reason printed."""
    if SINK_CHOICE == "aiosmtpd":
        say("sink: aiosmtpd (BENCH_SINK=aiosmtpd)")
        return "aiosmtpd", None
    path = smtp_sink_path() or install_smtp_sink()
    if path is not None:
        say(f"sink: Debian's smtp-sink ({path}), a C SMTP server, one per measured run")
        return "smtp-sink", path
    if SINK_CHOICE == "smtp-sink":
        raise SystemExit("BENCH_SINK=smtp-sink but smtp-sink is not installed and could not be installed")
    say(
        "sink: aiosmtpd FALLBACK (smtp-sink unavailable and postfix could not be installed); a Python sink"
        " is slower, so the baseline and the ratio are lower-bound figures"
    )
    return "aiosmtpd", None


@dataclass
class Sink:
    kind: str
    binary: str | None
    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    counter: Path = field(default_factory=Path)

    def start(self) -> None:
        self.port = free_port()
        self.counter = self.workdir / f"sink-{self.port}.out"
        if self.kind == "smtp-sink":
            assert self.binary is not None
            user = ["-u", "nobody"] if os.geteuid() == 0 else []
            # -c: running counters "sess=.. quit=.. mesg=.." on stdout; backlog 1000.
            command = [self.binary, *user, "-c", f"{HOST}:{self.port}", "1000"]
        else:
            command = [sys.executable, str(BENCH / "aiosink.py"), str(self.port), str(self.counter)]
        with open(self.counter, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def count(self) -> int:
        """Messages the sink has accepted (its last counter line)."""
        try:
            with open(self.counter, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - 256))
                tail = fh.read().decode(errors="replace")
        except OSError:
            return 0
        found = re.findall(r"mesg=(\d+)", tail)
        return int(found[-1]) if found else 0

    def settled_count(self, expected: int, timeout: float = 5.0) -> int:
        """The count once it reaches `expected` (the aiosmtpd sink writes its counter twice a second)."""
        deadline = time.monotonic() + timeout
        count = self.count()
        while count < expected and time.monotonic() < deadline:
            time.sleep(0.1)
            count = self.count()
        return count

    def stop(self) -> int:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        return self.count()


@contextlib.contextmanager
def running_sink(kind: str, binary: str | None, workdir: Path) -> Iterator[Sink]:
    sink = Sink(kind, binary, workdir)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


# --- Databases ----------------------------------------------------------------------------------


def pg_reachable() -> str | None:
    """None if PostgreSQL answers at PG_BASE, else why not."""
    if PG_BASE.lower() in {"off", "0", "no", ""}:
        return "BENCH_PG=off"
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(f"{PG_BASE}/postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"no PostgreSQL at {PG_BASE} ({str(exc).strip().splitlines()[0]})"
    return None


@contextlib.contextmanager
def throwaway_database(engine: str, workdir: Path) -> Iterator[str]:
    """A DATABASE_URL for a database that exists only for this block."""
    if engine == "sqlite":
        path = workdir / f"bench-{secrets.token_hex(4)}.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = f"gratitude_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_env(database_url: str, workdir: Path, smtp_port: int, rows: int) -> dict[str, str]:
    """Settings for every subprocess: test environment (so the allowlist guard runs, with "*"), real SMTP
    to the sink, every guard on, pacing that sends each gift as its own message right away."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRATITUDE_", "BENCH_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "GRATITUDE_ENV": "test",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            "GRATITUDE_VAR_DIR": str(workdir / "var"),
            "EMAIL_URL": f"smtp://{HOST}:{smtp_port}",
            "GRATITUDE_MAIL_ALLOWLIST": "*",
            "GRATITUDE_QUIET_HOURS": "off",
            "GRATITUDE_ALERT_SETTLE_SECONDS": "0",
            "GRATITUDE_DIGEST_WINDOW_SECONDS": "0",
            # Blast radius stays on (K x recipients per trigger, hourly cap, M x baseline above a floor);
            # the cap and floor are raised above this run's size so a legitimate run does not trip them.
            "GRATITUDE_BLAST_CAP_PER_HOUR": str(4 * rows + 1000),
            "GRATITUDE_BLAST_FLOOR_PER_HOUR": str(4 * rows + 1000),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def run_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCH / "djbench.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"djbench {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def migrate(env: dict[str, str]) -> None:
    subprocess.run([GRATITUDE, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)


def worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [GRATITUDE, "worker", "--drain", "-v0"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )


def show_log(log: Path, lines: int = 25) -> None:
    text = log.read_text(errors="replace").splitlines() if log.exists() else []
    if text:
        say(f"-- last {min(lines, len(text))} of {len(text)} lines the worker(s) logged:")
        for line in text[-lines:]:
            say(f"   {line}")


# --- Baseline -----------------------------------------------------------------------------------


def prebuilt_messages(sample: bytes, count: int) -> list[tuple[str, str, bytes]]:
    """`count` copies of a real gift alert, each with its own To and Message-ID (same size)."""
    head, sep, body = sample.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    messages = []
    for i in range(count):
        to = f"owner{i}@example.test"
        out = []
        for line in lines:
            if line.lower().startswith(b"to:"):
                line = f"To: {to}".encode()
            elif line.lower().startswith(b"message-id:"):
                line = f"Message-ID: <{i:010d}.baseline@gratitude.example>".encode()
            out.append(line)
        messages.append(("alerts@gratitude.example", to, b"\r\n".join(out) + sep + body))
    return messages


def baseline(port: int, messages: list[tuple[str, str, bytes]], rounds: int = 3) -> tuple[float, float]:
    """(seconds, client CPU seconds) for plain smtplib to send the messages over one connection: the
    fastest of `rounds` runs, so the baseline is the sink's and client's best, not a noisy moment."""
    best = (float("inf"), 0.0)
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        with smtplib.SMTP(HOST, port) as client:
            for sender, to, data in messages:
                client.sendmail(sender, [to], data)
        best = min(best, (time.perf_counter() - started, time.process_time() - cpu))
    return best


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- Runs ---------------------------------------------------------------------------------------


@dataclass
class Row:
    database: str
    workers: int
    n: int
    seconds: float
    worker_cpu: float
    baseline_rate: float
    guard_ms: float
    verified: bool

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    def steady_rate(self, start_cost: float) -> float:
        """Alerts per second once the worker is up (a long-running worker pays its start-up once)."""
        return self.n / max(self.seconds - start_cost, 1e-3)

    @property
    def ratio(self) -> float:
        return self.rate / self.baseline_rate


GUARD_PARTS = ("guards", "pacing", "render", "build_email")


def guard_line(result: dict[str, Any]) -> tuple[float, str]:
    ms: dict[str, float] = result["ms_per_message"]
    total = sum(ms[name] for name in GUARD_PARTS)
    detail = " + ".join(f"{name} {ms[name]:.3f}" for name in GUARD_PARTS)
    return total, (
        f"{total:.3f} ms/message over {result['rows']} rows ({detail}; this process's CPU"
        f" {result['headline_cpu_ms']:.3f} ms); outside that: wire bytes"
        f" in the send {ms['serialize']:.3f}, blast radius {ms['blast_batch']:.3f} per message in a batch of"
        f" {result['batch']}"
    )


def end_to_end(engine: str, workers: int, sink_kind: str, sink_bin: str | None, workdir: Path) -> Row:
    label = "SQLite" if engine == "sqlite" else "PostgreSQL"
    say(f"\n== {label}, {workers} worker(s), N={N}")
    byte_compile()
    with throwaway_database(engine, workdir) as url, running_sink(sink_kind, sink_bin, workdir) as sink:
        env = django_env(url, workdir, sink.port, N)
        started = time.perf_counter()
        migrate(env)
        say(f"migrated a throw-away database in {time.perf_counter() - started:.1f}s")
        seeded = run_json(env, "seed", str(N))
        say(
            f"recorded {seeded['gifts']} gifts through gift_record in {seeded['record_seconds']:.1f}s"
            f" ({seeded['gifts'] / seeded['record_seconds']:.0f} gifts/s; scaffolding"
            f" {seeded['scaffold_seconds']:.1f}s); {seeded['alert_rows']} alert rows queued"
        )
        if seeded["alert_rows"] != N:
            raise RuntimeError(f"expected {N} alert rows, found {seeded['alert_rows']}")
        sample_path = workdir / "sample.eml"
        info = run_json(env, "sample", str(sample_path))
        say(f"a real gift alert is {info['bytes']} bytes (text + HTML alternative)")
        guard_ms, guard_text = guard_line(run_json(env, "guardcost", str(min(GUARD_ROWS, N))))
        say(f"guard chain + render (in-process, no send): {guard_text}")

        messages = prebuilt_messages(sample_path.read_bytes(), N)
        base_seconds, base_cpu = baseline(sink.port, messages)
        base_count = sink.settled_count(3 * N)
        say(
            f"baseline: smtplib, one connection, {N} pre-built messages in {base_seconds:.2f}s"
            f" = {N / base_seconds:.0f} msg/s, client CPU {1000 * base_cpu / N:.2f} ms/message"
            f" (fastest of 3; sink counted {base_count})"
        )

        log = workdir / f"worker-{engine}.log"
        cpu, started = children_cpu(), time.perf_counter()
        procs = [worker(env, log) for _ in range(workers)]
        codes = [proc.wait() for proc in procs]
        seconds, cpu = time.perf_counter() - started, children_cpu() - cpu
        if any(codes):
            show_log(log)
            raise RuntimeError(f"worker exit codes {codes}")
        received = sink.settled_count(base_count + N) - base_count
        check = run_json(env, "verify", str(N))
        ok = bool(check["ok"]) and received == N
        say(
            f"drain: {workers} x `gratitude worker --drain` in {seconds:.2f}s = {N / seconds:.0f} alerts/s;"
            f" worker CPU {1000 * cpu / N:.2f} ms/message"
        )
        say(
            f"check: sink got {received}, rows sent {check['sent']}, distinct message ids"
            f" {check['distinct_message_ids']}, digests {check['digests']}, states {check['states']}:"
            f" {'OK' if ok else 'MISMATCH'}"
        )
        if not ok:
            show_log(log)
        if engine == "sqlite" and workers == 1 and PROFILE_N > 0:
            report_profile(run_json(env, "profile", str(PROFILE_N), str(N)))
        return Row(label, workers, N, seconds, cpu, N / base_seconds, guard_ms, ok)


def report_profile(result: dict[str, Any]) -> None:
    say(
        f"profile: {result['messages']} more alerts drained in-process under cProfile"
        f" ({result['seconds_under_profiler']:.1f}s): {result['queries_per_message']:.1f} SQL statements per"
        f" message ({result['writes_per_message']:.1f} writes, {result['transactions_per_message']:.1f}"
        " transactions); time by phase (nested phases overlap):"
    )
    for label, ms, share in result["phases"]:
        say(f"  {label:<50} {ms:7.2f} ms/message  {share:6.1%}")


def startup_seconds(sink_kind: str, sink_bin: str | None, workdir: Path) -> float:
    """What one `gratitude worker --drain` costs with nothing to do (interpreter + Django start-up)."""
    with throwaway_database("sqlite", workdir) as url, running_sink(sink_kind, sink_bin, workdir) as sink:
        env = django_env(url, workdir, sink.port, 0)
        migrate(env)
        byte_compile()
        started = time.perf_counter()
        if worker(env, workdir / "worker-empty.log").wait() != 0:
            raise RuntimeError("empty drain failed")
        return time.perf_counter() - started


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def memory_run(sink_kind: str, sink_bin: str | None, workdir: Path) -> str:
    count = MEMORY_N
    say(f"\n== Memory: one worker over {count} messages (SQLite); VmRSS sampled every 0.25s")
    with throwaway_database("sqlite", workdir) as url, running_sink(sink_kind, sink_bin, workdir) as sink:
        env = django_env(url, workdir, sink.port, count)
        migrate(env)
        say(f"recording {count} gifts through gift_record ...")
        seeded = run_json(env, "seed", str(count))
        say(f"recorded {seeded['gifts']} gifts in {seeded['record_seconds']:.1f}s; draining with one worker")
        samples: list[tuple[float, int, int]] = []  # (seconds, messages accepted by the sink, RSS KiB)
        started = time.perf_counter()
        log = workdir / "worker-memory.log"
        proc = worker(env, log)
        next_report = 0.1
        while proc.poll() is None:
            rss = rss_kib(proc.pid)
            if rss:
                samples.append((time.perf_counter() - started, sink.count(), rss))
                if samples[-1][1] >= next_report * count:
                    say(f"  {samples[-1][1]:>7} sent, RSS {rss / 1024:.1f} MiB, t={samples[-1][0]:.0f}s")
                    next_report += 0.1
            time.sleep(0.25)
        seconds = time.perf_counter() - started
        received = sink.settled_count(count)
        if proc.returncode != 0 or received != count:
            show_log(log)
            return f"NOT MEASURED: the worker exited {proc.returncode} after {received}/{count} messages"
    say(f"drained {received}/{count} messages in {seconds:.1f}s ({received / seconds:.0f}/s)")
    return report_memory(samples, count)


def report_memory(samples: list[tuple[float, int, int]], count: int) -> str:
    if len(samples) < 4:
        return "too few samples (run was too short); raise BENCH_MEMORY"

    def at(fraction: float) -> tuple[float, int, int]:
        target = fraction * count
        return min(samples, key=lambda s: abs(s[1] - target))

    marks = [(label, at(f)) for label, f in (("start (1%)", 0.01), ("10%", 0.10), ("middle (50%)", 0.5))]
    marks.append(("end", samples[-1]))
    for label, (t, sent, rss) in marks:
        say(f"  RSS at {label:<12} {rss / 1024:7.1f} MiB  ({sent} messages sent, t={t:.1f}s)")
    peak = max(s[2] for s in samples)
    # Growth after warm-up: least-squares slope of RSS over messages, from the 10% mark on.
    warm = [s for s in samples if s[1] >= 0.10 * count]
    slope = 0.0
    if len(warm) >= 2 and warm[-1][1] > warm[0][1]:
        xs = [float(s[1]) for s in warm]
        ys = [float(s[2]) for s in warm]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        var = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    growth = marks[-1][1][2] - marks[1][1][2]
    flat = growth <= 2048
    say(
        f"  peak {peak / 1024:.1f} MiB; from 10% to end {growth / 1024:+.1f} MiB;"
        f" slope {slope * 1024:.2f} bytes/message ({slope * 100_000 / 1024:.1f} MiB per 100k)"
    )
    verdict = (
        f"{'FLAT' if flat else 'GROWING'} over {count} messages ({growth / 1024:+.1f} MiB from the 10% mark"
        f" to the end, peak {peak / 1024:.1f} MiB; flat = at most 2 MiB)"
    )
    if count < 100_000:
        verdict += "; the target is 100,000 messages: make bench BENCH_MEMORY=100000"
    say(f"  memory: {verdict}")
    return verdict


def main() -> None:
    say(
        f"make bench: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine skews"
        " wall-clock figures; worker CPU per message is steadier)"
    )
    sink_kind, sink_bin = choose_sink()
    rows: list[Row] = []
    memory = "not run (BENCH_MEMORY=0 or BENCH_PHASES without memory)"
    with tempfile.TemporaryDirectory(prefix="gratitude-bench-") as tmp:
        workdir = Path(tmp)
        if "sqlite" in PHASES:
            rows.append(end_to_end("sqlite", 1, sink_kind, sink_bin, workdir))
            rows.append(end_to_end("sqlite", 2, sink_kind, sink_bin, workdir))
        if "postgres" in PHASES:
            why_not = pg_reachable()
            if why_not is None:
                rows.append(end_to_end("postgres", PG_WORKERS, sink_kind, sink_bin, workdir))
            else:
                say(f"\n== PostgreSQL: SKIPPED ({why_not}; set BENCH_PG to a server URL)")
        start_cost = startup_seconds(sink_kind, sink_bin, workdir)
        if MEMORY_N > 0 and "memory" in PHASES:
            memory = memory_run(sink_kind, sink_bin, workdir)

    say(f"\n== Results (sink: {sink_kind}; targets: ratio >= 0.50, guard+render <= 1 ms/message)")
    header = (
        f"{'database':<11} {'workers':>7} {'N':>7} {'seconds':>8} {'alerts/s':>9} {'baseline/s':>10}"
        f" {'ratio':>6} {'steady/s':>9} {'steady ratio':>12} {'guard+render ms':>15} {'worker CPU ms':>13}"
    )
    say(header)
    say("-" * len(header))
    for row in rows:
        say(
            f"{row.database:<11} {row.workers:>7} {row.n:>7} {row.seconds:>8.2f} {row.rate:>9.0f}"
            f" {row.baseline_rate:>10.0f} {row.ratio:>6.1%} {row.steady_rate(start_cost):>9.0f}"
            f" {row.steady_rate(start_cost) / row.baseline_rate:>12.1%} {row.guard_ms:>15.3f}"
            f" {1000 * row.worker_cpu / row.n:>13.2f}"
        )
    say(
        f"seconds: spawn to exit of every worker, start-up included (an empty `worker --drain` takes"
        f" {start_cost:.2f}s); steady: the same with that start-up taken off (what a running worker does);"
        " worker CPU: user+system of the worker processes per message"
    )
    for row in rows:
        say(
            f"target {row.database}, {row.workers} worker(s):"
            f" throughput {'MET' if row.ratio >= 0.5 else 'NOT MET'}"
            f" ({row.ratio:.1%} of baseline); guard+render {'MET' if row.guard_ms <= 1.0 else 'NOT MET'}"
            f" ({row.guard_ms:.2f} ms)"
        )
    say(f"target memory: {memory}")
    failed = [row.database for row in rows if not row.verified]
    if failed:
        raise SystemExit(f"delivery check failed on {', '.join(failed)}: see the check lines above")


if __name__ == "__main__":
    main()
