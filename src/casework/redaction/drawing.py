"""Drawing a redacted copy of a PDF, then reading it back (run in a parser process).

For each redacted page: the words under its boxes are noted (from the original's text
layer, or Tesseract's words on a scan), the page is rendered in colour and the boxes are
painted on its pixels twice: black, for the picture the new page shows, and white, for
Tesseract to read the page's invisible text layer from. A black box read by Tesseract
comes out as junk ("TTT") and costs the letters that touch it ("today" -> "oday"); a
white one is paper, and in both the pixels under the box are gone. Without Tesseract
the page is the picture alone. The copy is a new document the pages are
imported into: no metadata, attachments, forms or scripts come along, and every page's
annotations are removed. Then the copy is opened afresh and each redacted page's text
layer is extracted and its picture read by Tesseract, for the server to compare with the
words that were under the boxes (redaction/verification.py).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw

from casework.core.settings import Settings
from casework.media.ocr import OcrFailed, OcrUnavailable, TesseractOcr
from casework.media.pdf_previews import PreviewError, open_pdf
from casework.media.pdfium_lock import PDFIUM
from casework.redaction.pages import PAD, Box, ocr_words, render, text_layer

MAX_COVERED_WORDS = 2000  # per page, for the check
JPEG_QUALITY = 85  # Tesseract's own for the pictures it embeds in a PDF


def _inside(box: Box, boxes: list[Box]) -> bool:
    """Whether the centre of `box` is under one of `boxes`."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(b[0] - PAD <= cx <= b[2] + PAD and b[1] - PAD <= cy <= b[3] + PAD
               for b in boxes)


def _covered_in_layer(text: str, char_boxes: list[Box | None], boxes: list[Box]) -> list[str]:
    """The covered part of each word of the text layer that has characters under a box."""
    covered: list[str] = []
    current: list[str] = []
    for char, box in zip(text, char_boxes, strict=True):
        if box is not None and _inside(box, boxes):
            current.append(char)
            continue
        if current:
            covered.append("".join(current))
            current = []
    if current:
        covered.append("".join(current))
    return covered[:MAX_COVERED_WORDS]


def _covered_words(pdf: pdfium.PdfDocument, number: int, boxes: list[Box],
                   ocr: TesseractOcr, dpi: int) -> tuple[list[str], str]:
    """What is under the boxes, and where it was read from ("text" or "ocr")."""
    with PDFIUM:
        page = pdf[number - 1]
        try:
            text, char_boxes, textpage = text_layer(page, with_boxes=True)
            textpage.close()
        finally:
            page.close()
    if text.strip():
        return _covered_in_layer(text, char_boxes, boxes), "text"
    try:
        words = ocr_words(ocr, render(pdf, number, dpi))
    except (OcrUnavailable, OcrFailed):
        return [], "unread"
    return [w.text for w in words if _inside(w.box, boxes)][:MAX_COVERED_WORDS], "ocr"


def _painted(image: Image.Image, boxes: list[Box], colour: str) -> Image.Image:
    """A copy of the page's picture with the boxes painted over its pixels in `colour`."""
    painted = image.copy()
    painted.info = dict(image.info)  # the render's scale, for Tesseract's dpi
    width, height = painted.size
    draw = ImageDraw.Draw(painted)
    for x0, y0, x1, y1 in boxes:
        draw.rectangle([(x0 - PAD) * width, (y0 - PAD) * height,
                        (x1 + PAD) * width, (y1 + PAD) * height], fill=colour)
    return painted


def _picture_page(out: pdfium.PdfDocument, image: Image.Image, size: tuple[float, float],
                  text_pdf: pdfium.PdfDocument | None = None) -> None:
    """Append a page of `size` that shows `image`, and over it, scaled to the page, the
    invisible text of `text_pdf`'s only page (Tesseract's text-only PDF), taken over as it
    is (a form XObject: its content stream is copied, not rewritten)."""
    width, height = size
    page = out.new_page(width, height)
    picture = pdfium.PdfImage.new(out)
    # JPEG, as Tesseract embeds a colour picture: a page of A4 at DPI is ~250 KB.
    encoded = io.BytesIO()
    image.convert("RGB").save(encoded, "JPEG", quality=JPEG_QUALITY)
    encoded.seek(0)
    picture.load_jpeg(encoded, inline=True)
    picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
    page.insert_obj(picture)
    if text_pdf is not None:
        text_width, text_height = text_pdf[0].get_size()
        words = text_pdf.page_as_xobject(0, out).as_pageobject()
        words.transform(pdfium.PdfMatrix().scale(width / text_width, height / text_height))
        page.insert_obj(words)
    page.gen_content()
    page.close()


def _strip_annotations(out: pdfium.PdfDocument) -> None:
    for index in range(len(out)):
        page = out[index]
        for annot in reversed(range(pdfium_c.FPDFPage_GetAnnotCount(page.raw))):
            pdfium_c.FPDFPage_RemoveAnnot(page.raw, annot)
        page.close()


def produce(*, path: Path, out_path: Path, settings: Settings,
            boxes: dict[int, list[Box]], dpi: int) -> dict[str, Any]:
    """Write the redacted copy of the PDF at `path` to `out_path`; report what was under
    the boxes and what the copy's redacted pages show (see the module's docstring)."""
    ocr = TesseractOcr(settings)
    covered: dict[int, dict[str, Any]] = {}
    text_layer_from = "ocr"
    with open_pdf(path) as pdf, PDFIUM:
        page_count = len(pdf)
        out = pdfium.PdfDocument.new()
        for number in range(1, page_count + 1):
            page_boxes = boxes.get(number)
            if not page_boxes:
                out.import_pages(pdf, [number - 1])
                continue
            words, source = _covered_words(pdf, number, page_boxes, ocr, dpi)
            covered[number] = {"words": words, "source": source}
            image = render(pdf, number, dpi, colour=True)
            size = pdf[number - 1].get_size()
            shown = _painted(image, page_boxes, "black")
            try:
                words = ocr.output(_painted(image, page_boxes, "white"),
                                   dpi=round(72 * image.info["scale"]),
                                   configs=("-c", "textonly_pdf=1", "pdf"))
                text_pdf = pdfium.PdfDocument(words)
            except (OcrUnavailable, OcrFailed, pdfium.PdfiumError):
                text_layer_from = "none"
                _picture_page(out, shown, size)
                continue
            try:
                _picture_page(out, shown, size, text_pdf)
            finally:
                text_pdf.close()
        _strip_annotations(out)
        out.save(str(out_path))
        out.close()
    return {"page_count": page_count, "covered": {str(k): v for k, v in covered.items()},
            "text_layer": text_layer_from,
            "reread": reread(path=out_path, settings=settings, pages=sorted(covered), dpi=dpi)}


def reread(*, path: Path, settings: Settings, pages: list[int], dpi: int) -> dict[str, Any]:
    """The copy as a recipient sees it: metadata, attachments and annotations left, and
    each redacted page's extracted text and what Tesseract reads on its picture."""
    ocr = TesseractOcr(settings)
    seen: dict[str, dict[str, str | None]] = {}
    with open_pdf(path) as pdf:
        with PDFIUM:
            metadata = {k: v for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
            attachments = pdf.count_attachments()
            annotations = 0
            for index in range(len(pdf)):
                page = pdf[index]
                annotations += pdfium_c.FPDFPage_GetAnnotCount(page.raw)
                page.close()
        for number in pages:
            with PDFIUM:
                page = pdf[number - 1]
                text, _, textpage = text_layer(page, with_boxes=False)
                textpage.close()
                page.close()
            try:
                image = render(pdf, number, dpi)
                read = ocr.output(image, dpi=round(72 * image.info["scale"]))
            except (OcrUnavailable, OcrFailed, PreviewError) as exc:
                seen[str(number)] = {"text": text, "ocr": None, "ocr_error": str(exc)}
                continue
            seen[str(number)] = {"text": text, "ocr": read.decode("utf-8", "replace"),
                                 "ocr_error": None}
    return {"metadata": metadata, "attachments": attachments, "annotations": annotations,
            "pages": seen}
