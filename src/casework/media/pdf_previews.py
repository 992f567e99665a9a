"""PDF page images for the document viewer, rendered with pypdfium2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from casework.media.ocr import OCR_DPI_KEY
from casework.media.thumbnails import PREVIEW, encode_webp

# A page is rendered at a scale giving PREVIEW pixels across, bounded so a poster-sized
# page (or a malicious MediaBox) cannot make a giant bitmap.
MAX_SCALE = 4.0
MAX_RENDER_PIXELS = 20_000_000


class PreviewError(Exception):
    """The page cannot be rendered (no such page, unreadable PDF)."""


def page_preview_name(number: int) -> str:
    return f"page-{number}-{PREVIEW}.webp"


@contextmanager
def open_pdf(path: Path) -> Iterator[pdfium.PdfDocument]:
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise PreviewError(f"not a readable PDF: {exc}") from None
    try:
        yield pdf
    finally:
        pdf.close()


def render_page(pdf: pdfium.PdfDocument, number: int, *, width: int = PREVIEW) -> Image.Image:
    """Page `number` (1-based) as an RGB image about `width` pixels wide."""
    if not 1 <= number <= len(pdf):
        raise PreviewError(f"the document has no page {number} (it has {len(pdf)})")
    page = pdf[number - 1]
    try:
        page_width, page_height = page.get_size()
        scale = min(width / max(page_width, 1.0), MAX_SCALE)
        if page_width * page_height * scale * scale > MAX_RENDER_PIXELS:
            scale = (MAX_RENDER_PIXELS / max(page_width * page_height, 1.0)) ** 0.5
        bitmap = page.render(scale=scale)
        try:
            return bitmap.to_pil().convert("RGB")
        finally:
            bitmap.close()
    finally:
        page.close()


def render_for_ocr(pdf: pdfium.PdfDocument, number: int, *, dpi: int = 300) -> Image.Image:
    """A page at scanning resolution (Tesseract is tuned for ~300 DPI)."""
    page = pdf[number - 1]
    try:
        page_width, page_height = page.get_size()
        scale = dpi / 72
        if page_width * page_height * scale * scale > MAX_RENDER_PIXELS * 2:
            scale = (MAX_RENDER_PIXELS * 2 / max(page_width * page_height, 1.0)) ** 0.5
        # to_pil() shares the bitmap's buffer; the image keeps the bitmap alive.
        image = page.render(scale=scale, grayscale=True).to_pil()
        image.info[OCR_DPI_KEY] = round(72 * scale)
        return image
    finally:
        page.close()


def preview_bytes(pdf: pdfium.PdfDocument, number: int) -> bytes:
    return encode_webp(render_page(pdf, number))
