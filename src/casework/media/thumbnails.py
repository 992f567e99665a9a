"""Thumbnails in two sizes, made once at ingest: grid (320 px) and preview (up to 1280 px).

A 12-megapixel JPEG costs ~70 ms of CPU here, nearly all of it entropy decoding, so the
rest is kept to a few milliseconds (docs/benchmarks.md#thumbnails):

- JPEG's DCT scaling (`draft`) decodes at the smallest of 1/1, 1/2, 1/4, 1/8 that is still
  `PREVIEW_MIN` (1000) px across, and that decode *is* the preview when it is no wider than
  1280: a 4000x3000 photo decodes at 1/4 straight to a 1000x750 preview, ~35 ms a photo
  cheaper than a 1/2 decode resized to 1280, and as clean a low-pass. Bigger decodes (24 MP:
  1500 px) are resized to 1280, and images without a reducing decoder (PNG, HEIC, WebP) get
  1280.
- The grid comes from the preview: a 4x4 block average when the factor is whole (a 1280
  preview), else a Hamming resize after a whole-factor reduce (`reducing_gap`); EXIF
  orientation is applied last, to the small images.
- A photo's preview is a JPEG, which encodes in ~3-5 ms where WebP takes 20-30 ms. Grid
  thumbnails (a hundred to a gallery page, where bytes count) and anything drawn rather than
  photographed (PDF pages, which ring in JPEG; images with transparency) stay WebP.
- Colour: a source's ICC profile (Display P3 from a phone, Adobe RGB from a camera) goes
  into both thumbnails, so browsers show the colours the photo has, where converting to
  sRGB would cost ~18 ms a preview and clip a wide-gamut screen's colours. An sRGB profile
  is left out: browsers assume it, and its ~3 KB would triple a grid thumbnail.

Pillow releases the GIL while it decodes, resizes and encodes, so the job workers
(`WORKER_THREADS`) thumbnail that many photos of an upload at once, one per core.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms

from casework.media.images import (
    apply_orientation,
    encodable,
    open_image,
    orientation_of,
    oriented,
)

GRID = 320
PREVIEW = 1280  # the preview's size key (URL and blob name) and its largest side
# The smallest a JPEG's DCT-scaled decode may be and still serve as the preview unresized.
# 1000 is where a 12 MP photo (4000 or 4032 px) lands at 1/4; Flickr's "Large" is 1024.
PREVIEW_MIN = 1000
SIZES = (GRID, PREVIEW)
WEBP = "image/webp"
JPEG = "image/jpeg"
MEDIA_TYPE = WEBP  # of every derived image except photo previews (see Thumbnail)
_EXTENSIONS = {WEBP: "webp", JPEG: "jpg"}
_WEBP_QUALITY = 80
_JPEG_QUALITY = 82


@dataclass(frozen=True, slots=True)
class Thumbnail:
    data: bytes
    media_type: str


def thumbnail_name(size: int, media_type: str = WEBP) -> str:
    """The blob name of a thumbnail; documents record which type each size was stored as
    (`thumbnail_types` in their metadata), and before that every thumbnail was WebP."""
    return f"thumb-{size}.{_EXTENSIONS[media_type]}"


def encode_webp(image: Image.Image, *, quality: int = _WEBP_QUALITY,
                icc_profile: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    # method 0 encodes ~4x faster than the default for a few percent more bytes.
    image.save(buffer, "WEBP", quality=quality, method=0, icc_profile=icc_profile or b"")
    return buffer.getvalue()


def encode_jpeg(image: Image.Image, *, quality: int = _JPEG_QUALITY,
                icc_profile: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    # Baseline, default Huffman tables: `optimize` and `progressive` cost another pass.
    image.save(buffer, "JPEG", quality=quality, icc_profile=icc_profile)
    return buffer.getvalue()


def fitted_size(width: int, height: int, side: int) -> tuple[int, int]:
    ratio = min(side / width, side / height, 1.0)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def fit(image: Image.Image, size: int) -> Image.Image:
    """A new image no larger than size by size, aspect kept, never enlarged."""
    target = fitted_size(image.width, image.height, size)
    if target == image.size:
        return image.copy()
    factor = image.width // target[0]
    if factor > 1 and image.size == (target[0] * factor, target[1] * factor):
        # A whole factor (a 4:3 preview to its grid): averaging factor x factor blocks is
        # exact area sampling, and a third of the bilinear pass's cost.
        return image.reduce(factor)
    # reducing_gap: from 4x and more (the grid from the preview, a big PNG or HEIC) the
    # image is first box-reduced by a whole factor, which costs ~1 ms, so the bilinear pass
    # sees at most ~4x the target: 3 ms less per grid thumbnail, no visible difference.
    return image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)


def grid_from(preview: Image.Image) -> Image.Image:
    """The grid thumbnail of a preview. From a 1000 px preview (factor 3.125) a Hamming
    resize after a 2x reduce costs ~3 ms and stays closer to an exact area average than
    `fit`'s bilinear pass (~5 ms): sharper, and no box filter's blocky steps."""
    target = fitted_size(preview.width, preview.height, GRID)
    factor = preview.width // target[0]
    if target == preview.size or (
            factor > 1 and preview.size == (target[0] * factor, target[1] * factor)):
        return fit(preview, GRID)
    return preview.resize(target, Image.Resampling.HAMMING, reducing_gap=1.5)


# Pillow opens an MPO (a phone's JPEG carrying a depth or gain map) as its own format; its
# first frame is an ordinary JPEG and DCT-scales the same way.
_SCALABLE = ("JPEG", "MPO")


def draft_for(image: Image.Image, side: int) -> None:
    """Ask a JPEG to decode at the smallest DCT scale still at least `side` pixels across
    (Pillow's `draft` picks the largest reduction that keeps the requested size)."""
    if image.format in _SCALABLE and max(image.size) > side:
        image.draft("RGB", fitted_size(image.width, image.height, side))


def thumbnails_from(image: Image.Image) -> dict[int, Thumbnail]:
    """Both sizes, WebP, from an already oriented image (a poster frame, a PDF page)."""
    preview = fit(image, PREVIEW)
    grid = grid_from(preview)
    return {PREVIEW: Thumbnail(encode_webp(preview), WEBP),
            GRID: Thumbnail(encode_webp(grid), WEBP)}


def decode(image: Image.Image, *, max_side: int | None = None, frame: int = 0) -> Image.Image:
    """Decode one frame of an opened image, oriented; JPEGs at reduced DCT size when only
    `max_side` pixels are needed."""
    if max_side:
        draft_for(image, max_side)
    image.seek(frame)
    image.load()
    result = oriented(image)
    # Never hand back the opened image itself: closing the file would destroy its pixels.
    return result.copy() if result is image else result


# The ICC colour space a thumbnail of each mode can carry a profile for.
_PROFILE_SPACES = {"RGB": "RGB", "RGBA": "RGB", "L": "GRAY"}


@functools.lru_cache(maxsize=64)
def _profile_facts(icc_profile: bytes) -> tuple[str, bool] | None:
    """(colour space, whether it is an sRGB profile) of an ICC profile; None if unreadable.
    Cached: an upload's photos mostly carry the camera's one profile."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)).profile
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None
    description = (profile.profile_description or "").lower()
    return profile.xcolor_space.strip(), "srgb" in description


def _profile_to_keep(icc_profile: bytes | None, mode: str) -> bytes | None:
    """The source's ICC profile if its thumbnails need it to show the right colours: one
    for the thumbnail's colour space (a CMYK profile would misdescribe the RGB pixels
    `encodable` made) that is not sRGB, which browsers assume anyway."""
    if not icc_profile:
        return None
    facts = _profile_facts(bytes(icc_profile))
    if facts is None or facts[0] != _PROFILE_SPACES.get(mode) or facts[1]:
        return None
    return icc_profile


def _encode_preview(image: Image.Image, icc_profile: bytes | None) -> Thumbnail:
    if image.mode in ("RGBA", "LA"):
        # JPEG has no transparency
        return Thumbnail(encode_webp(image, icc_profile=icc_profile), WEBP)
    return Thumbnail(encode_jpeg(image, icc_profile=icc_profile), JPEG)


def make_thumbnails(path: Path, *, max_pixels: int) -> dict[int, Thumbnail]:
    """A photo's grid (WebP) and preview (JPEG) thumbnails, decoding as little as it can:
    a JPEG at the DCT scale that lands between PREVIEW_MIN and PREVIEW when there is one,
    both sizes from that one decode."""
    with open_image(path, max_pixels=max_pixels) as source:
        orientation = orientation_of(source)
        draft_for(source, PREVIEW_MIN)
        source.seek(0)
        preview = fit(encodable(source), PREVIEW)
        icc_profile = _profile_to_keep(source.info.get("icc_profile"), preview.mode)
    grid = grid_from(preview)
    return {PREVIEW: _encode_preview(apply_orientation(preview, orientation), icc_profile),
            GRID: Thumbnail(encode_webp(apply_orientation(grid, orientation),
                                        icc_profile=icc_profile), WEBP)}
