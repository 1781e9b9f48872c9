"""Signals registries sends for the apps above it, which registries may not import (docs/architecture.md,
the layers): they run inside the sending service's transaction, so their writes commit or roll back
with it."""

from django.dispatch import Signal

# Sent by `registry_pause` with `registry=` (the locked row) once it is marked paused: gifts releases its
# open holds (docs/quiet-mode.md).
registry_paused = Signal()
