"""Sending: the worker claims due rows and decides, row by row, whether each may go now (docs/safety.md
promises 3, 5, 9, 16)."""
