"""Pictures kept by us: only real pictures of allowed types and sane sizes are kept; metadata never survives
re-encoding; each picture is stored at a few widths through the storage API and served with long caching."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from gratitude.core.errors import GratitudeError
from gratitude.registries import pictures
from gratitude.registries.models import Picture
from gratitude.registries.pictures import PictureError, prepare
from gratitude.registries.services.add_from_store import picture_create_from_upload
from gratitude.registries.services.items import item_add, item_update
from gratitude.testing.factories import make_item, make_registry
from gratitude.testing.store import picture_bytes


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (1000, 750), "teal")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "PrivateSoftware"  # Software
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_exif_is_gone_and_the_orientation_is_applied():
    data = jpeg_with_exif()
    assert b"SecretCam" in data
    prepared = prepare(data)
    for variant in prepared.variants.values():
        assert b"SecretCam" not in variant and b"PrivateSoftware" not in variant
        with Image.open(io.BytesIO(variant)) as image:
            assert image.format == "WEBP"
            assert not image.getexif()
    # 1000 × 750 shown rotated: 750 wide, 1000 high.
    assert (prepared.width, prepared.height) == (750, 1000)


def test_widths_never_exceed_the_original():
    assert sorted(prepare(picture_bytes(2000, 1000)).variants) == [160, 320, 640, 1280]
    small = prepare(picture_bytes(500, 250, fmt="PNG"))
    assert sorted(small.variants) == [160, 320, 500]
    with Image.open(io.BytesIO(small.variants[320])) as image:
        assert image.size == (320, 160)


def test_a_pixel_bomb_is_refused_before_decoding():
    """A small PNG claiming 20,000 × 20,000 pixels (400 megapixels) must be refused from its header."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    assert len(out.getvalue()) < 1024 * 1024
    with pytest.raises(PictureError, match="too many pixels"):
        prepare(out.getvalue())


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"%PDF-1.4 not a picture",
        b"GIF89a",  # a header and nothing else
    ],
)
def test_wrong_types_and_broken_files_are_refused(data: bytes):
    with pytest.raises(PictureError):
        prepare(data)


def test_a_type_outside_the_allow_list_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "BMP")
    with pytest.raises(PictureError, match="not a picture we can use"):
        prepare(out.getvalue())


def test_a_file_over_the_byte_limit_is_refused(monkeypatch):
    monkeypatch.setattr(pictures, "PICTURE_MAX_BYTES", 1000)
    with pytest.raises(PictureError, match="too large"):
        prepare(picture_bytes(400, 400))


@pytest.mark.django_db
def test_a_kept_picture_is_stored_under_the_media_root_and_served_with_long_caching(media_root: Path):
    registry = make_registry()
    picture = picture_create_from_upload(registry=registry, data=picture_bytes(800, 600))
    assert picture.widths == [160, 320, 640, 800]
    for width in picture.widths:
        assert (media_root / picture.name(width)).is_file()
    response = Client().get(f"/media/pictures/{picture.key}/320.webp")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"  # type: ignore[attr-defined]
    assert pictures.srcset(picture).split(", ")[0] == f"/media/pictures/{picture.key}/160.webp 160w"


@pytest.mark.django_db
def test_only_picture_names_are_served():
    assert Client().get("/media/pictures/nosuchkey00/320.webp").status_code == 404
    assert Client().get("/media/../secret_key").status_code == 404
    assert Client().get("/media/pictures/abcdefgh/320.png").status_code == 404


@pytest.mark.django_db
def test_a_refused_picture_leaves_nothing_behind(media_root: Path):
    registry = make_registry()
    with pytest.raises(PictureError):
        picture_create_from_upload(registry=registry, data=b"not a picture")
    assert not Picture.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.webp"))


@pytest.mark.django_db
def test_an_item_cannot_borrow_another_registrys_picture():
    mine, theirs = make_registry(), make_registry()
    picture = picture_create_from_upload(registry=theirs, data=picture_bytes(200, 200))
    with pytest.raises(GratitudeError, match="another registry"):
        item_add(registry=mine, title="Bowl", picture=picture)
    item = make_item(registry=mine)
    with pytest.raises(GratitudeError, match="another registry"):
        item_update(item=item, title="Bowl", quantity=1, price=None, picture=picture)


def test_list_picture_urls_match_the_storage_and_signed_urls_come_from_it(monkeypatch):
    """The list pages build picture URLs from one sample (speed); they must equal the storage's own, and a
    storage that signs each URL (S3 with query-string auth) must be asked for every one."""
    from django.core.files.storage import storages

    from gratitude.registries.listing import picture_url_maker

    storage = storages["default"]
    assert picture_url_maker()("aB3_-xyz12", 640) == storage.url("pictures/aB3_-xyz12/640.webp")
    monkeypatch.setattr(
        storage, "url", lambda name: f"https://bucket.example/{name}?X-Amz-Signature={name[-8:]}"
    )
    assert (
        picture_url_maker()("k1", 320)
        == "https://bucket.example/pictures/k1/320.webp?X-Amz-Signature=320.webp"
    )
