"""The one place code asks for "now", so tests can travel in time (time-machine) consistently."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
