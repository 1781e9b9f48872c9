"""Signals the accounts app sends for the apps above it, which it may not import (docs/architecture.md)."""

from django.dispatch import Signal

# Sent inside the transaction that changed a person's display name (`user_rename`), with `user`: registries
# re-index the names their public search matches (registries/apps.py).
display_name_changed = Signal()

# Sent inside the transaction that switched a person's quiet mode on (`quiet_mode_enable`, also when it was
# already on), after their waiting messages were cancelled, with `user`: gifts release the open holds on the
# registries they own, which step back from then on (gifts/apps.py, docs/quiet-mode.md).
quiet_mode_enabled = Signal()
