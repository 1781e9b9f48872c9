"""Fault-injection points for the drills in tests/drills: the worker kills itself (SIGKILL, no cleanup) at
the named point. Honoured only when GRATITUDE_ENV=test, so production code paths are unaffected."""

from __future__ import annotations

import os
import signal

from gratitude.notifications import conf

POINTS = ("after_claim", "after_accept", "after_record")


def fault_point(name: str) -> None:
    assert name in POINTS
    if conf.env() == "test" and os.environ.get("GRATITUDE_FAULT_POINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
