"""Bates-stamping a document's pages, run in the parser process (the PDF may be hostile).

The pages are imported into a new PDF (no metadata, attachments, forms or outline come
along), and each gets its Bates number (and the legend, if any) as a text object on a
white box, upright as the page is shown (after its /Rotate). The file is then made
reproducible: PDFium stamps a creation date and a random /ID into every file it saves,
both are overwritten in place (same lengths, so the cross-reference offsets hold) with a
fixed date and an ID derived from the file's own bytes. Images become one page each
(fpdf2, fixed dates) and are stamped the same way.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from fpdf import FPDF

from casework.core.settings import Settings
from casework.media.images import open_image
from casework.media.pdf_previews import open_pdf
from casework.media.pdfium_lock import PDFIUM

FONT_SIZE = 9.0
MARGIN = 18.0  # points from the page's edge to the stamp
PAD = 2.0  # white margin around the stamp's text
# A fixed moment for every file written: the same inputs give the same bytes.
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
_CREATION = re.compile(rb"/CreationDate\(D:\d{14}")
_ID = re.compile(rb"/ID\[<[0-9A-Fa-f]{32}><[0-9A-Fa-f]{32}>\]")


def bates_label(prefix: str, number: int, digits: int) -> str:
    return f"{prefix}{number:0{digits}d}"


def reproducible(data: bytes) -> bytes:
    """PDFium's output with its creation date fixed and its /ID derived from the content."""
    data = _CREATION.sub(b"/CreationDate(D:20000101000000", data)
    blank = b"/ID[<" + b"0" * 32 + b"><" + b"0" * 32 + b">]"
    data = _ID.sub(blank, data)
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest().upper().encode()
    return data.replace(blank, b"/ID[<" + digest + b"><" + digest + b">]")


def _wide(text: str) -> Any:
    buffer = ctypes.create_string_buffer((text + "\x00").encode("utf-16-le"))
    return ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), buffer


def _text_object(doc: pdfium.PdfDocument, text: str) -> tuple[Any, float, float]:
    """A Helvetica text object at the origin, and its width and height."""
    obj = pdfium_c.FPDFPageObj_NewTextObj(doc.raw, b"Helvetica", ctypes.c_float(FONT_SIZE))
    wide, _keep = _wide(text)
    pdfium_c.FPDFText_SetText(obj, wide)
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
    return obj, right.value - left.value, top.value - bottom.value


def _place(position: str, *, width: float, height: float, shown_w: float, shown_h: float,
           line: int) -> tuple[float, float]:
    """Where the text's origin goes on the page as shown (origin bottom left)."""
    vertical, horizontal = position.split("-")
    if horizontal == "left":
        x = MARGIN
    elif horizontal == "right":
        x = shown_w - MARGIN - width
    else:
        x = (shown_w - width) / 2
    step = FONT_SIZE + 2 * PAD + 1
    y = MARGIN + line * step if vertical == "bottom" else shown_h - MARGIN - height - line * step
    return max(x, 1.0), max(y, 1.0)


def _to_user(rotation: int, box: tuple[float, float, float, float], x: float, y: float
             ) -> tuple[float, float, float, float, float, float]:
    """The matrix taking text drawn upright at (x, y) of the shown page into page space."""
    x0, y0, x1, y1 = box
    if rotation == 90:
        return 0, 1, -1, 0, x1 - y, y0 + x
    if rotation == 180:
        return -1, 0, 0, -1, x1 - x, y1 - y
    if rotation == 270:
        return 0, -1, 1, 0, x0 + y, y1 - x
    return 1, 0, 0, 1, x0 + x, y0 + y


def _stamp_page(doc: pdfium.PdfDocument, page: pdfium.PdfPage, lines: list[str],
                position: str) -> None:
    box = page.get_cropbox()
    rotation = page.get_rotation() % 360
    width, height = box[2] - box[0], box[3] - box[1]
    shown_w, shown_h = (height, width) if rotation in (90, 270) else (width, height)
    # The Bates number nearest the edge, the legend beside it towards the page's middle.
    for line, text in enumerate(lines):
        obj, text_w, text_h = _text_object(doc, text)
        x, y = _place(position, width=text_w, height=text_h, shown_w=shown_w,
                      shown_h=shown_h, line=line)
        a, b, c, d, e, f = _to_user(rotation, box, x - PAD, y - PAD)
        rect = pdfium_c.FPDFPageObj_CreateNewRect(0, 0, text_w + 2 * PAD, text_h + 2 * PAD)
        pdfium_c.FPDFPageObj_SetFillColor(rect, 255, 255, 255, 255)
        pdfium_c.FPDFPath_SetDrawMode(rect, pdfium_c.FPDF_FILLMODE_WINDING, False)
        pdfium_c.FPDFPageObj_Transform(rect, a, b, c, d, e, f)
        pdfium_c.FPDFPage_InsertObject(page.raw, rect)
        a, b, c, d, e, f = _to_user(rotation, box, x, y)
        pdfium_c.FPDFPageObj_Transform(obj, a, b, c, d, e, f)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    pdfium_c.FPDFPage_GenerateContent(page.raw)


def _image_pdf(path: Path, settings: Settings) -> bytes:
    """An image as one PDF page of its own proportions (72 px per inch, at most A3-ish)."""
    with open_image(path, max_pixels=settings.max_image_pixels) as image:
        picture = image.convert("RGB")
    scale = min(1.0, 1190 / max(picture.width, picture.height))
    width, height = picture.width * scale, picture.height * scale
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(picture, x=0, y=0, w=width, h=height)
    return bytes(pdf.output())


def stamp_document(*, path: Path, media_type: str, out_path: Path, text_path: Path | None,
                   settings: Settings, prefix: str, first_number: int, digits: int,
                   position: str, legend: str | None, max_pages: int) -> dict[str, Any]:
    """Write the stamped PDF to `out_path` (and, when asked, its pages' text to `text_path`,
    separated by form feeds); the number of pages."""
    source = path
    if media_type.startswith("image/"):
        source = out_path.with_suffix(".image.pdf")
        source.write_bytes(_image_pdf(path, settings))
    with open_pdf(source) as original, PDFIUM:
        count = len(original)
        if count < 1:
            raise ValueError("the PDF has no pages")
        if count > max_pages:
            raise ValueError(f"the PDF has {count} pages, more than {max_pages}")
        out = pdfium.PdfDocument.new()
        out.import_pages(original)
        texts: list[str] = []
        for index in range(count):
            page = out[index]
            if text_path is not None:  # read before the stamp goes on
                texts.append(page.get_textpage().get_text_range())
            label = bates_label(prefix, first_number + index, digits)
            _stamp_page(out, page, [label] + ([legend] if legend else []), position)
        buffer = io.BytesIO()
        out.save(buffer)
        out.close()
    out_path.write_bytes(reproducible(buffer.getvalue()))
    if text_path is not None:
        text_path.write_text("\f".join(texts), encoding="utf-8")
    return {"page_count": count}
