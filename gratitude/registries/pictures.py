"""Pictures kept by us: every uploaded or fetched image is checked with Pillow, stripped of its metadata,
re-encoded as WebP at a few widths and stored through Django's storage API (docs/registries.md, "Pictures").

Never hot-linked: a picture on a giver's page is ours, so a stranger's server learns nothing about who looks
at a registry, and a store cannot swap the picture after the registrant confirmed it. The checks are made on
the bytes, before any pixel is decoded: a known type (JPEG, PNG, WebP, GIF), at most PICTURE_MAX_BYTES, and at
most PICTURE_MAX_PIXELS (a tiny file can claim to be 50,000 × 50,000 pixels: a "pixel bomb").
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from gratitude.core.errors import GratitudeError
from gratitude.registries.fetch import Resolver, fetch
from gratitude.registries.models import Picture, Registry

logger = logging.getLogger(__name__)

PICTURE_MAX_BYTES = 8 * 1024 * 1024
PICTURE_MAX_PIXELS = 40_000_000
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
WIDTHS = (160, 320, 640, 1280)
WEBP_QUALITY = 82


class PictureError(GratitudeError):
    """The file is not a picture we keep; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class Prepared:
    """WebP bytes per width (smallest first), and the largest one's size."""

    variants: dict[int, bytes]
    width: int
    height: int


def prepare(data: bytes) -> Prepared:
    """Check `data`, then re-encode it at each of WIDTHS not wider than the picture itself."""
    if len(data) > PICTURE_MAX_BYTES:
        raise PictureError(f"That picture is too large (over {PICTURE_MAX_BYTES // (1024 * 1024)} MB).")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; here every bomb is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
                width, height = opened.size
                if width * height > PICTURE_MAX_PIXELS or width < 1 or height < 1:
                    raise PictureError("That picture has too many pixels to be a photo of a gift.")
                opened.seek(0)  # an animated GIF keeps its first frame
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                mode = (
                    "RGBA"
                    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
                    else "RGB"
                )
                pixels = upright.convert(mode)
    except PictureError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PictureError("That picture has too many pixels to be a photo of a gift.") from exc
    except UnidentifiedImageError as exc:
        raise PictureError("That file is not a picture we can use (JPEG, PNG, WebP or GIF).") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise PictureError("That picture is damaged or incomplete.") from exc
    # A new image holds only the pixels: no EXIF (camera, place, time), XMP or comments can ride along.
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    width, height = clean.size
    variants: dict[int, bytes] = {}
    for target in sorted({min(w, width) for w in WIDTHS}):
        resized = (
            clean
            if target == width
            else clean.resize((target, max(1, round(height * target / width))), Image.Resampling.LANCZOS)
        )
        out = io.BytesIO()
        resized.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
        variants[target] = out.getvalue()
    largest = max(variants)
    return Prepared(variants=variants, width=largest, height=max(1, round(height * largest / width)))


def read_upload(upload: Any) -> bytes:
    """An uploaded file's bytes, refused by its size before it is read into memory."""
    if upload.size is not None and upload.size > PICTURE_MAX_BYTES:
        raise PictureError(f"That picture is too large (over {PICTURE_MAX_BYTES // (1024 * 1024)} MB).")
    return bytes(upload.read(PICTURE_MAX_BYTES + 1))


def store(prepared: Prepared, *, registry: Registry, source_url: str = "") -> Picture:
    """Write the variants through the default storage, then the row; if anything fails, nothing stays."""
    storage = storages["default"]
    picture = Picture(
        registry=registry,
        widths=sorted(prepared.variants),
        width=prepared.width,
        height=prepared.height,
        source_url=source_url[:500],
    )
    written: list[str] = []
    try:
        for width, data in prepared.variants.items():
            written.append(storage.save(picture.name(width), ContentFile(data)))
        with transaction.atomic():
            picture.save()
    except BaseException:
        _delete_files(written)
        raise
    return picture


def _delete_files(names: Iterable[str]) -> None:
    storage = storages["default"]
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete picture file %s", name)


def delete(picture: Picture) -> None:
    """Remove a picture's row and files (the row first: a stray file harms nobody)."""
    names = [picture.name(width) for width in picture.widths]
    picture.delete()
    transaction.on_commit(lambda: _delete_files(names))


def fetch_picture_bytes(url: str, *, resolver: Resolver | None = None) -> bytes:
    """A store's picture, fetched with the same checks as its page (fetch.py)."""
    return fetch(url, accept=IMAGE_TYPES, max_bytes=PICTURE_MAX_BYTES, resolver=resolver, what="picture").body


def srcset(picture: Picture) -> str:
    storage = storages["default"]
    return ", ".join(f"{storage.url(picture.name(width))} {width}w" for width in picture.widths)


def url(picture: Picture, width: int) -> str:
    """The stored variant closest to `width` without being narrower, or the largest one."""
    chosen = next((w for w in picture.widths if w >= width), picture.widths[-1])
    return str(storages["default"].url(picture.name(chosen)))
