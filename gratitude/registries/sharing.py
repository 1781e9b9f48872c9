"""Sharing a registry: its link, a QR code of it, and ready-made mail and text messages (docs/registries.md).

The QR code is made only for members (the view asks a member-scoped selector): it is the share link itself,
and the link is what opens the registry to a stranger.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import segno
from django.http import HttpRequest
from django.urls import reverse

from gratitude.registries.models import Registry

QR_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def share_url(request: HttpRequest, registry: Registry) -> str:
    return request.build_absolute_uri(reverse("gifts:shared_registry", args=[registry.share_key]))


def share_context(request: HttpRequest, registry: Registry) -> dict[str, Any]:
    """What the registry page's Share card shows: the link, mail and text message links, the QR code."""
    url = share_url(request, registry)
    message = f"Our gift registry “{registry.title}”: {url}"
    return {
        "share_url": url,
        "share_mailto": f"mailto:?subject={quote(registry.title)}&body={quote(message)}",
        # "sms:?&body=" is the form both iOS and Android read.
        "share_sms": f"sms:?&body={quote(message)}",
    }


def qr_code(url: str, *, fmt: str) -> bytes:
    """The share link as a QR code, SVG or PNG, with a quiet zone so phones read it off a screen or paper."""
    code = segno.make(url, error="m")
    out = io.BytesIO()
    if fmt == "svg":
        code.save(out, kind="svg", scale=8, border=4, xmldecl=False, title="QR code of the share link")
    else:
        code.save(out, kind="png", scale=8, border=4)
    return out.getvalue()
