"""Serving kept pictures from the default storage, with caching headers a browser and a CDN can trust.

Every stored name is random and never rewritten (registries/pictures.py), so a response may be cached for a
year as immutable. Only names of the form pictures/<key>/<width>.webp are served: nothing else under the
media root is reachable. With an S3-compatible storage, pictures are served from the bucket's own URLs and
this view is not used (docs/registries.md, "Pictures").
"""

from __future__ import annotations

from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest

CACHE_CONTROL = "public, max-age=31536000, immutable"


def media_picture(request: HttpRequest, key: str, width: str) -> FileResponse:
    name = f"pictures/{key}/{width}.webp"
    storage = storages["default"]
    try:
        handle = storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("No such picture") from exc
    response = FileResponse(handle, content_type="image/webp")
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
