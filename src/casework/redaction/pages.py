"""The PDF side of redaction, run in a parser process (ingest/sandbox_serve.py): finding
where words are on a page, and drawing the redacted copy and checking it.

Boxes are normalised page coordinates, 0..1, origin at the top left of the page as it is
shown (after its /Rotate), the same frame as the page preview a person draws on. Words come
from the text layer (PDFium's character boxes) or, on a page without one (a scan), from
Tesseract's word boxes.

A redacted page is rebuilt from a picture: the page is rendered, the boxes are painted
black on the pixels, and the page is replaced by that image, with a text layer Tesseract
reads from a copy whose boxes are painted white (no word under a box can survive in
either: its pixels are gone; white, so the box is not read as junk). Pages
without redactions are copied as they are; every page loses its annotations, and the
copy has no document metadata, attachments, forms or scripts (a new document, pages
imported into it).
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from casework.core.settings import Settings
from casework.media.ocr import OcrFailed, OcrUnavailable, TesseractOcr
from casework.media.pdf_previews import PreviewError, open_pdf, render_for_ocr
from casework.media.pdfium_lock import PDFIUM

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in 0..1, origin top left
_UNITS = 10_000  # the device frame boxes are mapped through, then divided back
MAX_SIDE_PX = 5000  # what Tesseract reads without shrinking (media/ocr.py MAX_OCR_SIDE)
MAX_WORDS_PER_PAGE = 20_000
PAD = 0.002  # a painted box overlaps its words by this much of the page on each side


@dataclass(slots=True)
class Word:
    text: str
    box: Box
    line: int


def _to_box(page: pdfium.PdfPage, left: float, bottom: float, right: float,
            top: float) -> Box:
    """A rectangle in PDF points as a normalised box of the page as it is shown."""
    xs, ys = [], []
    for px, py in ((left, bottom), (right, top)):
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, _UNITS, _UNITS, 0, px, py,
                                   ctypes.byref(dx), ctypes.byref(dy))
        xs.append(dx.value / _UNITS)
        ys.append(dy.value / _UNITS)
    return (max(0.0, min(xs)), max(0.0, min(ys)), min(1.0, max(xs)), min(1.0, max(ys)))


def text_layer(page: pdfium.PdfPage, *, with_boxes: bool
               ) -> tuple[str, list[Box | None], pdfium.PdfTextPage]:
    """The page's text, one character per PDFium character, and (`with_boxes`) each
    character's box; the caller closes the text page."""
    textpage = page.get_textpage()
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    boxes: list[Box | None] = []
    if not with_boxes:
        return text, boxes, textpage
    for index in range(min(count, len(text))):
        if text[index].isspace():
            boxes.append(None)
        else:
            boxes.append(_to_box(page, *textpage.get_charbox(index)))
    return text[:len(boxes)], boxes, textpage


def ocr_words(ocr: TesseractOcr, image: Image.Image) -> list[Word]:
    """Tesseract's words and their boxes on a rendered page."""
    width, height = image.size
    tsv = ocr.output(image, dpi=round(72 * image.info["scale"]), configs=("tsv",))
    words: list[Word] = []
    lines: dict[tuple[str, str, str], int] = {}
    for row in tsv.decode("utf-8", "replace").splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != 12 or cells[0] != "5" or not cells[11].strip():
            continue
        line = lines.setdefault((cells[2], cells[3], cells[4]), len(lines))
        left, top, w, h = (int(v) for v in cells[6:10])
        words.append(Word(cells[11].strip(), (left / width, top / height,
                                              (left + w) / width, (top + h) / height), line))
        if len(words) >= MAX_WORDS_PER_PAGE:
            break
    return words


def render(pdf: pdfium.PdfDocument, number: int, dpi: int, *, colour: bool = False
           ) -> Image.Image:
    with PDFIUM:
        page = pdf[number - 1]
        width, height = page.get_size()
        page.close()
    dpi = max(36, min(dpi, int(MAX_SIDE_PX * 72 / max(width, height, 1.0))))
    return render_for_ocr(pdf, number, dpi=dpi, colour=colour)


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _round(box: Box) -> list[float]:
    return [round(v, 5) for v in box]


def search_pages(*, path: Path, settings: Settings, patterns: list[dict[str, str]],
                 max_hits: int, ocr_dpi: int) -> dict[str, Any]:
    """Every match of the patterns on every page: its text, its label and its boxes (one
    per line it spans). Scanned pages are read by Tesseract for their word boxes."""
    compiled = [(p["label"], re.compile(p["regex"], re.IGNORECASE)) for p in patterns]
    ocr = TesseractOcr(settings)
    hits: list[dict[str, Any]] = []
    ocr_pages: list[int] = []
    unreadable: list[int] = []
    with open_pdf(path) as pdf:
        count = min(len(pdf), settings.max_pages)
        for number in range(1, count + 1):
            with PDFIUM:
                page = pdf[number - 1]
                try:
                    text, _, textpage = text_layer(page, with_boxes=False)
                    found = (_layer_hits(page, textpage, text, compiled, number)
                             if text.strip() else None)
                    textpage.close()
                finally:
                    page.close()
            if found is None:
                try:
                    words = ocr_words(ocr, render(pdf, number, ocr_dpi))
                except (OcrUnavailable, OcrFailed, PreviewError):
                    unreadable.append(number)
                    continue
                ocr_pages.append(number)
                found = _word_hits(words, compiled, number)
            hits.extend(found)
            if len(hits) >= max_hits:
                break
    return {"hits": hits[:max_hits], "truncated": len(hits) >= max_hits,
            "ocr_pages": ocr_pages, "unreadable_pages": unreadable}


def _layer_hits(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, text: str,
                compiled: list[tuple[str, re.Pattern[str]]], number: int
                ) -> list[dict[str, Any]]:
    found = []
    for label, pattern in compiled:
        for match in pattern.finditer(text):
            start, end = match.span()
            if end <= start or not match.group().strip():
                continue
            rects = [_to_box(page, *textpage.get_rect(i))
                     for i in range(textpage.count_rects(start, end - start))]
            if rects:
                found.append({"page": number, "label": label, "text": match.group()[:500],
                              "boxes": [_round(r) for r in rects]})
    return found


def _word_hits(words: list[Word], compiled: list[tuple[str, re.Pattern[str]]],
               number: int) -> list[dict[str, Any]]:
    """Matches on OCR words: the text is the words joined by spaces, a line per line, and
    a match covers each word it touches (by line, one box per line)."""
    spans: list[tuple[int, int, Word]] = []
    parts: list[str] = []
    offset = 0
    for i, word in enumerate(words):
        if i:
            parts.append("\n" if word.line != words[i - 1].line else " ")
            offset += 1
        spans.append((offset, offset + len(word.text), word))
        parts.append(word.text)
        offset += len(word.text)
    text = "".join(parts)
    found = []
    for label, pattern in compiled:
        for match in pattern.finditer(text):
            touched = [w for s, e, w in spans if s < match.end() and e > match.start()]
            if not touched or not match.group().strip():
                continue
            by_line: dict[int, list[Box]] = {}
            for word in touched:
                by_line.setdefault(word.line, []).append(word.box)
            found.append({"page": number, "label": label, "text": match.group()[:500],
                          "boxes": [_round(_union(b)) for b in by_line.values()]})
    return found
