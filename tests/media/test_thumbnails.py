"""Photo thumbnails from a DCT-scaled decode: the preview's size band, orientation after a
reduced decode, and colour profiles carried into the thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageDraw, ImageOps

from casework.media.thumbnails import GRID, JPEG, PREVIEW, WEBP, make_thumbnails
from tests.conftest import create_collection, ingest
from tests.media.conftest import fetch_image

MAX_PIXELS = 100_000_000
# Corner marks in the stored pixels: where each ends up shows how the picture was turned.
_MARKS = {(0, 0): (230, 20, 20), (1, 0): (20, 200, 20), (0, 1): (20, 20, 230),
          (1, 1): (240, 230, 20)}


def picture(width: int, height: int) -> Image.Image:
    """A grey-blue gradient with a coloured block in each corner (cheap to make at 24 MP,
    unlike the noisy fixtures; what is tested here is geometry and colour, not speed)."""
    ramp = np.linspace(60, 190, width, dtype=np.uint8)
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = np.stack([ramp, ramp, np.full_like(ramp, 150)], -1)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    block_w, block_h = width // 5, height // 5
    for (right, bottom), colour in _MARKS.items():
        x, y = right * (width - block_w), bottom * (height - block_h)
        draw.rectangle([x, y, x + block_w - 1, y + block_h - 1], fill=colour)
    return image


def jpeg_file(tmp_path: Path, image: Image.Image, *, orientation: int | None = None,
              icc_profile: bytes | None = None, fmt: str = "JPEG") -> Path:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    options: dict = {"exif": exif.tobytes(), "quality": 90}
    if icc_profile:
        options["icc_profile"] = icc_profile
    path = tmp_path / f"photo-{image.width}x{image.height}-{orientation}.{fmt.lower()}"
    image.save(path, fmt, **options)
    return path


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_12_megapixel_photo_gets_its_quarter_scale_decode_as_preview(client, tmp_path):
    """4000x3000 decodes at 1/4 straight to a 1000x750 preview: no resize, a third of the
    CPU of a 1280 preview; portrait once EXIF orientation is applied."""
    collection = create_collection(client)
    path = jpeg_file(tmp_path, picture(4000, 3000), orientation=6)
    doc = ingest(client, collection["id"], ("IMG_1234.jpg", path.read_bytes()))[0]
    assert (doc["width"], doc["height"]) == (3000, 4000)
    preview = fetch_image(client, f"/api/v1/documents/{doc['id']}/thumbnail?size=1280",
                          "image/jpeg")
    grid = fetch_image(client, f"/api/v1/documents/{doc['id']}/thumbnail?size=320")
    assert preview.size == (750, 1000)
    assert grid.size == (240, 320)
    assert doc["metadata"]["thumbnail_types"] == {"320": WEBP, "1280": JPEG}


@pytest.mark.parametrize(("size", "fmt", "preview"), [
    ((4000, 3000), "JPEG", (1000, 750)),   # 12 MP: 1/4, used as it is
    ((4032, 3024), "JPEG", (1008, 756)),   # a phone's 12 MP
    ((6000, 4000), "JPEG", (1280, 853)),   # 24 MP: 1/4 is 1500 px, resized to 1280
    ((3000, 2000), "JPEG", (1280, 853)),   # 1/4 would be 750 px: 1/2, resized
    ((2000, 1500), "JPEG", (1000, 750)),   # 1/2
    ((1200, 900), "JPEG", (1200, 900)),    # within the band: decoded whole, kept
    ((800, 600), "JPEG", (800, 600)),      # never enlarged
    ((4000, 3000), "MPO", (1000, 750)),    # a phone's JPEG with a second image
    ((4000, 3000), "PNG", (1280, 960)),    # no reducing decoder: 1280 as before
])
def test_preview_size_is_the_reduced_decode_within_1000_to_1280_px(tmp_path, size, fmt,
                                                                   preview):
    image = picture(*size)
    if fmt == "MPO":
        path = tmp_path / "phone.jpg"
        image.save(path, "MPO", save_all=True, append_images=[image.resize((400, 300))])
        assert Image.open(path).format == "MPO"
    else:
        path = jpeg_file(tmp_path, image, fmt=fmt)
    made = make_thumbnails(path, max_pixels=MAX_PIXELS)
    assert opened(made[PREVIEW].data).size == preview
    assert max(opened(made[GRID].data).size) == GRID
    assert made[PREVIEW].media_type == JPEG


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_is_right_after_a_reduced_decode(tmp_path, orientation):
    """Every EXIF orientation, on a photo decoded at 1/4: both thumbnails match what a viewer
    shows (Pillow's exif_transpose of the full-size decode), corner marks included."""
    path = jpeg_file(tmp_path, picture(4000, 3000), orientation=orientation)
    with Image.open(path) as original:
        shown = ImageOps.exif_transpose(original)
    made = make_thumbnails(path, max_pixels=MAX_PIXELS)
    for size in (PREVIEW, GRID):
        thumb = opened(made[size].data).convert("RGB")
        expected = shown.resize(thumb.size, Image.Resampling.BOX)
        difference = np.abs(np.asarray(thumb, np.int16) - np.asarray(expected, np.int16))
        assert difference.mean() < 4, (size, difference.mean())
        # Each corner holds the mark the viewer shows there (away from the blurred edge).
        for fx, fy in ((0.05, 0.05), (0.95, 0.05), (0.05, 0.95), (0.95, 0.95)):
            x, y = int(fx * thumb.width), int(fy * thumb.height)
            got, want = thumb.getpixel((x, y)), expected.getpixel((x, y))
            assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 40


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _wide_gamut_profile() -> bytes:
    """An RGB profile that is not sRGB by its description, as Display P3 or Adobe RGB
    are (LittleCMS makes only sRGB, Lab and XYZ profiles; the pixels' meaning does not
    matter to what is tested: which profile is kept)."""
    data = _srgb_profile()
    old, new = "sRGB built-in".encode("utf-16-be"), "Wide RGB test".encode("utf-16-be")
    assert old in data
    return data.replace(old, new)


def test_a_wide_gamut_profile_goes_into_both_thumbnails(tmp_path):
    profile = _wide_gamut_profile()
    path = jpeg_file(tmp_path, picture(4000, 3000), orientation=6, icc_profile=profile)
    made = make_thumbnails(path, max_pixels=MAX_PIXELS)
    for size in (PREVIEW, GRID):
        assert opened(made[size].data).info.get("icc_profile") == profile


@pytest.mark.parametrize("profile", [
    pytest.param(_srgb_profile(), id="srgb: browsers assume it"),
    pytest.param(ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(),
                 id="another colour space: would misdescribe the pixels"),
    pytest.param(b"not a profile", id="unreadable"),
])
def test_profiles_a_thumbnail_does_not_need_are_left_out(tmp_path, profile):
    path = jpeg_file(tmp_path, picture(2000, 1500), icc_profile=profile)
    made = make_thumbnails(path, max_pixels=MAX_PIXELS)
    for size in (PREVIEW, GRID):
        assert not opened(made[size].data).info.get("icc_profile")
