"""Absolute links to our own site, for mail (every link in a message points at SITE_URL's host)."""

from django.conf import settings


def site_link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
