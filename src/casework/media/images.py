"""Opening images safely and reading what their headers and EXIF say.

Nothing here decodes pixels: `Image.open` reads the header only, so sizes and EXIF of a
50-megapixel photo cost microseconds and a decompression bomb is refused before it is
decoded.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image, UnidentifiedImageError

pillow_heif.register_heif_opener()  # HEIC/HEIF through the ordinary Image.open

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_BASE_TAGS = {0x010F: "camera_make", 0x0110: "camera_model", 0x0131: "software"}
_EXIF_TAGS = {0xA434: "lens_model", 0x8827: "iso", 0x829A: "exposure_time",
              0x829D: "f_number", 0x920A: "focal_length_mm"}
# Orientation values that swap width and height when applied.
_TRANSPOSED = {5, 6, 7, 8}


class ImageRejected(Exception):
    """The image cannot be accepted (too many pixels, unreadable); the message says why."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def apply_pixel_limit(max_pixels: int) -> None:
    """Pillow's own decompression-bomb guard, set from MAX_IMAGE_PIXELS (process-wide)."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def open_image(path: Path, *, max_pixels: int) -> Image.Image:
    """Open (header only) and refuse images with more pixels than `max_pixels`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ImageRejected(
            f"the image has more pixels than MAX_IMAGE_PIXELS allows; refused as a possible "
            f"decompression bomb ({exc})", too_large=True) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageRejected(f"not a readable image: {exc}") from None
    pixels = image.width * image.height
    if pixels > max_pixels:
        image.close()
        raise ImageRejected(
            f"the image is {image.width}x{image.height} = {pixels / 1e6:.0f} megapixels, "
            f"above the limit of {max_pixels / 1e6:.0f} megapixels (MAX_IMAGE_PIXELS); "
            "refused as a possible decompression bomb", too_large=True)
    return image


def check_image(path: Path, *, max_pixels: int) -> None:
    """Raise ImageRejected if the header alone shows the image is unacceptable."""
    open_image(path, max_pixels=max_pixels).close()


@dataclass(slots=True)
class ImageFacts:
    width: int
    height: int
    frames: int
    captured_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value is None:
        return None
    cleaned = str(value).replace("\x00", "").strip()
    return cleaned or None


def _number(value: Any) -> float | None:
    try:
        return round(float(Fraction(value) if not isinstance(value, float) else value), 6)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _capture_time(exif_ifd: dict[int, Any], base: dict[int, Any]) -> tuple[datetime | None, bool]:
    """DateTimeOriginal (else DateTime) as UTC; second item: was the time zone known."""
    raw = _text(exif_ifd.get(0x9003)) or _text(exif_ifd.get(0x9004)) or _text(base.get(0x0132))
    if not raw:
        return None, False
    try:
        local = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    offset = _text(exif_ifd.get(0x9011)) or _text(exif_ifd.get(0x9010))
    if offset and len(offset) == 6 and offset[0] in "+-":
        try:
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            zone = timezone(delta if offset[0] == "+" else -delta)
            return local.replace(tzinfo=zone).astimezone(UTC), True
        except ValueError:
            pass
    # EXIF without an offset is the camera's wall clock; stored as if it were UTC.
    return local.replace(tzinfo=UTC), False


def _degrees(dms: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(Fraction(x)) for x in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if _text(ref) in ("S", "W"):
        value = -value
    return round(value, 7)


def _gps(gps: dict[int, Any]) -> dict[str, float] | None:
    if not gps or 2 not in gps or 4 not in gps:
        return None
    lat, lon = _degrees(gps[2], gps.get(1)), _degrees(gps[4], gps.get(3))
    if lat is None or lon is None:
        return None
    out = {"latitude": lat, "longitude": lon}
    altitude = _number(gps.get(6))
    if altitude is not None:
        out["altitude_m"] = -altitude if gps.get(5) in (1, b"\x01") else altitude
    return out


def read_facts(image: Image.Image) -> ImageFacts:
    """Size as displayed, frame count, capture time, camera, orientation and GPS."""
    exif = image.getexif()
    base = dict(exif)
    exif_ifd = dict(exif.get_ifd(_EXIF_IFD))
    orientation = base.get(0x0112, 1)
    width, height = image.size
    if orientation in _TRANSPOSED:
        width, height = height, width
    metadata: dict[str, Any] = {"format": image.format, "mode": image.mode,
                                "pixel_width": image.width, "pixel_height": image.height}
    if orientation != 1:
        metadata["orientation"] = orientation
    for tags, source in ((_BASE_TAGS, base), (_EXIF_TAGS, exif_ifd)):
        for tag, name in tags.items():
            value = source.get(tag)
            if value is None:
                continue
            metadata[name] = _number(value) if name in {
                "iso", "exposure_time", "f_number", "focal_length_mm"} else _text(value)
    captured_at, zone_known = _capture_time(exif_ifd, base)
    if captured_at is not None:
        metadata["captured_at"] = captured_at.isoformat()
        if not zone_known:
            metadata["captured_at_zone"] = "unknown (camera clock read as UTC)"
    gps = _gps(dict(exif.get_ifd(_GPS_IFD)))
    if gps:
        metadata["gps"] = gps
    frames = getattr(image, "n_frames", 1) or 1
    if frames > 1:
        metadata["frames"] = frames
    return ImageFacts(width=width, height=height, frames=frames, captured_at=captured_at,
                      metadata={k: v for k, v in metadata.items() if v is not None})


_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def orientation_of(image: Image.Image) -> int:
    value = image.getexif().get(0x0112, 1)
    return value if value in _TRANSPOSE else 1


def apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """Turn pixels as EXIF says. Cheapest done last, on the smallest image."""
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def encodable(image: Image.Image) -> Image.Image:
    """The image in a mode WebP and resizing handle well (RGB, RGBA or L)."""
    if image.mode in ("RGB", "L", "RGBA"):
        return image
    if image.mode == "1":
        return image.convert("L")  # a bilevel scan stays grey (OCR reads grey as a scan)
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit scans: scale to 8 bits rather than clip.
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    has_alpha = image.mode in ("LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def oriented(image: Image.Image) -> Image.Image:
    """The image as a viewer shows it (EXIF orientation applied), in a mode we can encode."""
    return apply_orientation(encodable(image), orientation_of(image))
