"""Rendering: an outbox row to a message through the mail templates, with the checks every message passes (no
bait, the copy lint)."""
