"""Images (JPEG, PNG, WebP, TIFF, GIF, HEIC): size, EXIF, and the picture for OCR.

A multi-page TIFF (a typical scanner output) is one page per frame; other formats are one
page. Only the header is read here; pixels are decoded for OCR and thumbnails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError
from casework.media.images import ImageRejected, open_image, read_facts
from casework.media.ocr import MAX_OCR_SIDE
from casework.media.thumbnails import decode, fit

# The pipeline checks MAX_IMAGE_PIXELS before any page is decoded; this only stops a
# header that Pillow itself refuses.
_HEADER_LIMIT = 2**62


class ImageParser:
    media_types = ("image/jpeg", "image/png", "image/webp", "image/tiff", "image/gif",
                   "image/heic")

    def parse(self, path: Path) -> ParsedDocument:
        try:
            image = open_image(path, max_pixels=_HEADER_LIMIT)
        except ImageRejected as exc:
            raise ParseError(str(exc)) from None
        with image:
            try:
                facts = read_facts(image)
            except (OSError, ValueError, SyntaxError) as exc:
                raise ParseError(f"not a readable image: {exc}") from None
        page_count = facts.frames if facts.metadata.get("format") == "TIFF" else 1

        def decoded(frame: int, side: int) -> Image.Image:
            """The frame as a viewer shows it, no more than `side` pixels across."""
            try:
                with Image.open(path) as source:
                    source.seek(frame)
                    limit = Image.MAX_IMAGE_PIXELS  # MAX_IMAGE_PIXELS, set by the runtime
                    if limit and source.width * source.height > limit:
                        raise ParseError(f"page {frame + 1} of the image has more pixels "
                                         f"than MAX_IMAGE_PIXELS ({limit})")
                    image = decode(source, max_side=side, frame=frame)
            except (OSError, ValueError, EOFError) as exc:
                raise ParseError(f"the image could not be decoded: {exc}") from None
            if max(image.size) <= side:
                return image
            with image:
                return fit(image, side)

        def pages() -> Iterator[ExtractedPage]:
            for frame in range(page_count):
                yield ExtractedPage(
                    frame + 1, "", render=lambda frame=frame: decoded(frame, MAX_OCR_SIDE),
                    sample=lambda side, frame=frame: decoded(frame, side))

        return ParsedDocument(pages=pages(), page_count=page_count, metadata=facts.metadata,
                              captured_at=facts.captured_at, width=facts.width,
                              height=facts.height)
