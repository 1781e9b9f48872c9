"""`make run`'s last step: serve the web app and run a worker side by side; Ctrl-C stops both cleanly.

Each child runs in its own process group, so stopping one also stops anything it started (Django's
autoreloader runs the server in a child process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
STOP_GRACE_SECONDS = 10


def main() -> int:
    port = os.environ.get("PORT", "8000")
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    commands = {
        "worker": [str(BIN / "gratitude"), "worker"],
        "web": [str(BIN / "gratitude"), "runserver", f"127.0.0.1:{port}"],
    }
    children = {
        name: subprocess.Popen(cmd, start_new_session=True)  # noqa: S603 - our own fixed commands
        for name, cmd in commands.items()
    }
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"Gratitude is at http://127.0.0.1:{port}/ (mail lands in http://127.0.0.1:{port}/dev/mailbox/)")
    print("Ctrl-C stops the web server and the worker.")
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with status {child.returncode}; stopping the rest.", file=sys.stderr)
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    print("Stopped.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
