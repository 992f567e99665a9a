"""Thumbnails in two sizes, made once at ingest: grid (320 px) and preview (1280 px).

A 12-megapixel JPEG costs ~100 ms of CPU here, and most of it cannot be avoided: entropy-
decoding the 3-5 MB file is ~60 ms whatever the output size. The rest is kept small:

- JPEG's DCT scaling (`draft`) decodes at the smallest of 1/1, 1/2, 1/4, 1/8 that still
  covers the preview: 4000x3000 decodes at 1/2 (2000x1500); 1/4 (1000x750) would have to be
  enlarged to 1280, visibly soft.
- The preview is resized from that in one bilinear pass (Pillow widens the filter with the
  scale factor, so it antialiases; the cheaper box filter shows moiré on fine patterns),
  the grid from the preview, and EXIF orientation is applied last, to the small images.
- A photo's preview is a JPEG: it encodes in ~5 ms where WebP takes 20-30 ms at 1280 px,
  for ~20 % more bytes on an image the viewer loads one at a time. Grid thumbnails (a
  hundred to a gallery page, where bytes count) and anything drawn rather than photographed
  (PDF pages, which ring in JPEG; images with transparency) stay WebP.

Pillow releases the GIL while it decodes, resizes and encodes, so the job workers
(`WORKER_THREADS`) thumbnail that many photos of an upload at once, one per core.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from casework.media.images import (
    apply_orientation,
    encodable,
    open_image,
    orientation_of,
    oriented,
)

GRID = 320
PREVIEW = 1280
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


def encode_webp(image: Image.Image, *, quality: int = _WEBP_QUALITY) -> bytes:
    buffer = io.BytesIO()
    # method 0 encodes ~4x faster than the default for a few percent more bytes.
    image.save(buffer, "WEBP", quality=quality, method=0)
    return buffer.getvalue()


def encode_jpeg(image: Image.Image, *, quality: int = _JPEG_QUALITY) -> bytes:
    buffer = io.BytesIO()
    # Baseline, default Huffman tables: `optimize` and `progressive` cost another pass.
    image.save(buffer, "JPEG", quality=quality)
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


def draft_for(image: Image.Image, side: int) -> None:
    """Ask a JPEG to decode at the smallest DCT scale still at least `side` pixels across
    (Pillow's `draft` picks the largest reduction that keeps the requested size)."""
    if image.format == "JPEG" and max(image.size) > side:
        image.draft("RGB", fitted_size(image.width, image.height, side))


def thumbnails_from(image: Image.Image) -> dict[int, Thumbnail]:
    """Both sizes, WebP, from an already oriented image (a poster frame, a PDF page)."""
    preview = fit(image, PREVIEW)
    grid = fit(preview, GRID)
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


def _encode_preview(image: Image.Image) -> Thumbnail:
    if image.mode in ("RGBA", "LA"):
        return Thumbnail(encode_webp(image), WEBP)  # JPEG has no transparency
    return Thumbnail(encode_jpeg(image), JPEG)


def make_thumbnails(path: Path, *, max_pixels: int) -> dict[int, Thumbnail]:
    """A photo's grid (WebP) and preview (JPEG) thumbnails, decoding as little as it can."""
    with open_image(path, max_pixels=max_pixels) as source:
        orientation = orientation_of(source)
        draft_for(source, PREVIEW)
        source.seek(0)
        preview = fit(encodable(source), PREVIEW)
    grid = fit(preview, GRID)
    return {PREVIEW: _encode_preview(apply_orientation(preview, orientation)),
            GRID: Thumbnail(encode_webp(apply_orientation(grid, orientation)), WEBP)}
