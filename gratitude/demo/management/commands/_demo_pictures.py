"""Pictures for the demo, drawn on the spot with Pillow: no file ships with the repository and nothing is
fetched, yet the demo shows what a registry with kept pictures looks like (docs/registries.md, "Pictures")."""

from __future__ import annotations

import colorsys
import hashlib
import io

from PIL import Image, ImageDraw

SIZE = (800, 600)


def _palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    # The same title always draws the same picture, so a reloaded demo looks the same.
    hue = int(hashlib.sha256(seed.encode()).hexdigest()[:4], 16) / 0xFFFF

    def rgb(lightness: float, saturation: float) -> tuple[int, int, int]:
        red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
        return round(red * 255), round(green * 255), round(blue * 255)

    return rgb(0.88, 0.45), rgb(0.45, 0.55)


def demo_picture(seed: str) -> bytes:
    """A soft background with a few overlapping shapes in the seed's colours, as PNG bytes (the pipeline
    re-encodes it like any upload)."""
    background, ink = _palette(seed)
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    draw.ellipse((width * 0.28, height * 0.18, width * 0.72, height * 0.78), fill=ink)
    draw.rounded_rectangle((width * 0.18, height * 0.62, width * 0.82, height * 0.86), radius=36, fill=ink)
    draw.ellipse((width * 0.42, height * 0.34, width * 0.58, height * 0.55), fill=background)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
