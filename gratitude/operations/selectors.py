"""Reads for operators: is a kind halted, and why."""

from __future__ import annotations

from gratitude.operations.models import ALL_KINDS, SendControl


def halt_for(*, kind: str) -> SendControl | None:
    """The switch that stops `kind` right now (the global one first), or None if it may send."""
    controls = {c.kind: c for c in SendControl.objects.filter(kind__in=[ALL_KINDS, kind], halted=True)}
    return controls.get(ALL_KINDS) or controls.get(kind)
