"""PDF page images for the document viewer, rendered with pypdfium2."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from casework.media.ocr import OCR_DPI_KEY
from casework.media.pdfium_lock import PDFIUM
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
    with PDFIUM:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise PreviewError(f"not a readable PDF: {exc}") from None
    try:
        yield pdf
    finally:
        with PDFIUM:
            pdf.close()


def _check_images(page: pdfium.PdfPage, number: int) -> None:
    """Refuse a page showing an image with more pixels than MAX_IMAGE_PIXELS.

    Rendering decodes every image in full: a 1.6 MB page of one deflated 40,000 px square
    decodes to 1.6 GB. The size is read from each image's dictionary, undecoded.
    """
    limit = Image.MAX_IMAGE_PIXELS  # MAX_IMAGE_PIXELS, set by the runtime
    if not limit:
        return
    for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=8):
        width, height = image.get_px_size()
        if width * height > limit:
            raise PreviewError(
                f"page {number} shows an image of {width}x{height} = "
                f"{width * height / 1e6:,.0f} megapixels, above the limit of "
                f"{limit / 1e6:,.0f} megapixels (MAX_IMAGE_PIXELS)")


def _render(pdf: pdfium.PdfDocument, number: int, *, grayscale: bool,
            scale_for: Callable[[float, float], float]) -> Image.Image:
    """Render one page under the PDFium lock into an image that owns its pixels.

    The copy matters: `to_pil()` shares the bitmap's buffer, and a bitmap left for the
    garbage collector would be freed by PDFium in whatever thread collects it, unlocked.
    """
    with PDFIUM:
        if not 1 <= number <= len(pdf):
            raise PreviewError(f"the document has no page {number} (it has {len(pdf)})")
        page = pdf[number - 1]
        try:
            _check_images(page, number)
            scale = scale_for(*page.get_size())
            bitmap = page.render(scale=scale, grayscale=grayscale)
            try:
                image = bitmap.to_pil().copy()
            finally:
                bitmap.close()
        finally:
            page.close()
    image.info["scale"] = scale
    return image


def render_page(pdf: pdfium.PdfDocument, number: int, *, width: int = PREVIEW) -> Image.Image:
    """Page `number` (1-based) as an RGB image about `width` pixels wide."""
    def scale_for(page_width: float, page_height: float) -> float:
        scale = min(width / max(page_width, 1.0), MAX_SCALE)
        if page_width * page_height * scale * scale > MAX_RENDER_PIXELS:
            scale = (MAX_RENDER_PIXELS / max(page_width * page_height, 1.0)) ** 0.5
        return scale

    return _render(pdf, number, grayscale=False, scale_for=scale_for).convert("RGB")


def render_for_ocr(pdf: pdfium.PdfDocument, number: int, *, dpi: int = 300,
                   colour: bool = False) -> Image.Image:
    """A page at scanning resolution (Tesseract is tuned for ~300 DPI): grey, which is all
    Tesseract reads, unless `colour` (a redacted page's picture keeps its colours)."""
    def scale_for(page_width: float, page_height: float) -> float:
        scale = dpi / 72
        if page_width * page_height * scale * scale > MAX_RENDER_PIXELS * 2:
            scale = (MAX_RENDER_PIXELS * 2 / max(page_width * page_height, 1.0)) ** 0.5
        return scale

    image = _render(pdf, number, grayscale=not colour, scale_for=scale_for)
    if colour and image.mode != "RGB":
        scale = image.info["scale"]
        image = image.convert("RGB")
        image.info["scale"] = scale
    image.info[OCR_DPI_KEY] = round(72 * image.info["scale"])
    return image


def preview_bytes(pdf: pdfium.PdfDocument, number: int) -> bytes:
    return encode_webp(render_page(pdf, number))
