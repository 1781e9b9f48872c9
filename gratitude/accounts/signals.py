"""Signals the accounts app sends for the apps above it, which it may not import (docs/architecture.md)."""

from django.dispatch import Signal

# Sent inside the transaction that changed a person's display name (`user_rename`), with `user`: registries
# re-index the names their public search matches (registries/apps.py).
display_name_changed = Signal()
