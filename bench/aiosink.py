"""Fallback SMTP sink for `make bench` when Debian's smtp-sink is unavailable: aiosmtpd, in its own process.

    python bench/aiosink.py PORT COUNT_FILE

Accepts every message on 127.0.0.1:PORT and keeps writing how many it accepted to COUNT_FILE (as
"mesg=N"), the same way bench/run.py reads smtp-sink's counter. Stops on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def main() -> None:
    port, count_file = int(sys.argv[1]), sys.argv[2]
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not stop.is_set():
            with open(count_file, "w") as fh:
                fh.write(f"mesg={handler.count}\r")
            time.sleep(0.5)
    finally:
        controller.stop()
        with open(count_file, "w") as fh:
            fh.write(f"mesg={handler.count}\r")


if __name__ == "__main__":
    main()
