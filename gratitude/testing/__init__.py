"""Helpers for the test suite and benchmarks (a real SMTP sink, factories). Not imported by the app."""
