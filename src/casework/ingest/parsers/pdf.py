"""PDF: the text layer page by page with pypdfium2 (the fastest extractor measured here).

A page without a text layer (a scan) is offered to the OCR stage as a 300 DPI image.
"""

from __future__ import annotations

import re
import resource
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from PIL.Image import Image

from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError
from casework.media.pdf_previews import PreviewError, render_for_ocr
from casework.media.pdfium_lock import PDFIUM

_META_KEYS = {"Title": "title", "Author": "author", "Subject": "subject",
              "Creator": "creator", "Producer": "producer",
              "CreationDate": "created", "ModDate": "modified"}


MiB = 1024 * 1024
# Loading a page (its content, not its pictures: those are decoded when it is drawn, and
# held to MAX_IMAGE_PIXELS) takes a few MB even for dense drawings. A content stream of
# 256 MB of nothing, deflated to 260 KB, raised the peak by 500 MB and read as an empty
# page. Measured as the peak over the page's load, the kernel's high-water mark reset first
# (a parser process is reused: a lifetime peak would let a bomb after a big file through).
MAX_PAGE_LOAD_BYTES = 256 * MiB
_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")

_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?")


def _pdf_date(value: str) -> str:
    """'D:20240317091500Z' → '2024-03-17T09:15:00'; anything unparseable is kept as is."""
    match = _PDF_DATE.match(value.strip())
    if not match:
        return value
    y, mo, d, h, mi, s = (g or default for g, default in
                          zip(match.groups(), ("", "01", "01", "00", "00", "00"), strict=True))
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}"


def _render_for_ocr(pdf: pdfium.PdfDocument, number: int) -> Image:
    try:
        return render_for_ocr(pdf, number)
    except PreviewError as exc:  # an image bomb on the page: the document fails
        raise ParseError(str(exc)) from None


def _reset_peak_rss() -> int:
    """Start a new peak-RSS window; return the current RSS in bytes (the window's floor).

    Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+). Where that is
    not possible the lifetime peak stands in, which can only judge a page leniently.
    """
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return _peak_rss()
    return _status_bytes("VmRSS")


def _peak_rss() -> int:
    """This process's peak RSS in bytes since the last reset (VmHWM), else its lifetime peak."""
    try:
        return _status_bytes("VmHWM")
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _status_bytes(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024  # reported in kB
    raise ValueError(f"{field} not in {_STATUS}")


class PdfParser:
    media_types = ("application/pdf",)

    def parse(self, path: Path) -> ParsedDocument:
        with PDFIUM:  # PDFium is not thread-safe: see media/pdfium_lock.py
            try:
                pdf = pdfium.PdfDocument(str(path))
            except pdfium.PdfiumError as exc:
                raise ParseError(f"not a readable PDF: {exc}") from None
            page_count = len(pdf)
            raw_meta: dict[str, Any] = pdf.get_metadata_dict(skip_empty=True)
        metadata = {_META_KEYS[k]: _pdf_date(v) if k.endswith("Date") else v
                    for k, v in raw_meta.items() if k in _META_KEYS}
        title = metadata.get("title")

        def pages() -> Iterator[ExtractedPage]:
            # One page at a time, closed as we go: memory stays flat for any page count.
            try:
                for index in range(page_count):
                    floor = _reset_peak_rss()
                    with PDFIUM:
                        try:
                            page = pdf[index]
                        except pdfium.PdfiumError as exc:
                            # A page-tree cycle, or a page PDFium gives up on.
                            raise ParseError(f"page {index + 1} of the PDF cannot be read: "
                                             f"{exc}") from None
                        textpage = page.get_textpage()
                        try:
                            text = textpage.get_text_bounded()
                        finally:
                            textpage.close()
                            page.close()
                    if _peak_rss() - floor > MAX_PAGE_LOAD_BYTES:
                        raise ParseError(
                            f"page {index + 1} of the PDF needed more than "
                            f"{MAX_PAGE_LOAD_BYTES // MiB} MB to load before it was drawn: "
                            "its content inflates far beyond the file (a PDF bomb)")
                    text = text.replace("\r\n", "\n")
                    scanned = not text.strip()
                    yield ExtractedPage(index + 1, text, render=(
                        (lambda number=index + 1: _render_for_ocr(pdf, number)) if scanned
                        else None))
            finally:
                with PDFIUM:
                    pdf.close()

        return ParsedDocument(pages=pages(), page_count=page_count, title=title,
                              metadata=metadata)
