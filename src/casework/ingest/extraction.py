"""One document's extraction as a parser process runs it: open, members of a container
(attachments, archive files) into files, every page (OCR where there is no text layer);
and, as a later request, its previews into a folder.

This is the only code that touches untrusted bytes with native parsers (PDFium, Pillow,
PyAV, lxml, openpyxl), and it runs in a sandboxed child (ingest/sandbox.py). Its imports
stay light - no database, no model - so a child starts in under a second.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from casework.core.settings import Settings
from casework.ingest.members import ContainerLimits, FolderSink
from casework.ingest.pagespool import PageLimits, fill_spool
from casework.ingest.parsers import ParseError, parser_for
from casework.media import derive, pdf_previews
from casework.media.ocr import TesseractOcr

MiB = 1024 * 1024
# Progress: (stage, page number or None); the server names the last one in a timeout.
Progress = Callable[[str, int | None], None]


class PreviewFolder:
    """A `PreviewSink` writing files into a folder, held to MAX_PREVIEW_BYTES."""

    def __init__(self, folder: Path, *, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.written = 0
        self.names: list[str] = []

    def put(self, name: str, data: bytes) -> None:
        if "/" in name or name.startswith("."):
            raise ValueError(f"not a preview name: {name!r}")
        self.written += len(data)
        if self.written > self.max_bytes:
            raise ParseError(f"the document's previews are larger than "
                             f"{self.max_bytes // MiB} MiB (MAX_PREVIEW_BYTES)")
        (self.folder / name).write_bytes(data)
        self.names.append(name)

    def has(self, name: str) -> bool:
        return False  # the server skips storing what it already has


def extract_document(*, path: Path, media_type: str, settings: Settings, spool_path: Path,
                     out_dir: Path, progress: Progress, expand_members: bool = True
                     ) -> dict[str, Any]:
    """Fill the page spool and `out_dir`; return the document's facts as JSON-ready data.

    A container's members are written first, so its pages can list them; with
    `expand_members` False (nested too deep) they are listed and skipped, not written.
    Raises ParseError (with the reason the user sees) for an unreadable file or a limit.
    """
    parser = parser_for(media_type)
    if parser is None:
        raise ParseError(f"casework cannot read {media_type} files")
    progress("open", None)
    parsed = parser.parse(path)
    if parsed.page_count is not None and parsed.page_count > settings.max_pages:
        raise ParseError(f"the document has {parsed.page_count:,} pages; the limit is "
                         f"{settings.max_pages:,} (MAX_PAGES)")
    mailbox = parsed.members_via == "mailbox"  # its own limit; no listing page to fill
    sink = FolderSink(out_dir, container_bytes=path.stat().st_size, keep_listing=not mailbox,
                      limits=ContainerLimits.from_settings(settings, expand=expand_members,
                                                           mailbox=mailbox))
    if parsed.members is not None:
        progress("members", None)
        parsed.members(sink)
    ocr = TesseractOcr(settings)
    # Text files have no pages, only sections of ~100,000 characters (a 512 MB upload has
    # 5,243): MAX_TEXT_BYTES bounds them, not MAX_PAGES.
    max_pages = settings.max_pages if parsed.page_count is not None else sys.maxsize
    limits = PageLimits(max_pages=max_pages, max_ocr_pages=settings.max_ocr_pages,
                        max_text_bytes=settings.max_text_bytes)
    pages = fill_spool(spool_path, parsed.pages, ocr=ocr, limits=limits,
                       progress=lambda number: progress("extract", number))
    return {
        "pages": pages,
        "page_count": parsed.page_count,
        "title": parsed.title,
        "metadata": parsed.metadata,
        "captured_at": parsed.captured_at.isoformat() if parsed.captured_at else None,
        "width": parsed.width,
        "height": parsed.height,
        "duration_seconds": parsed.duration_seconds,
        "ocr": ocr.report.as_metadata() if ocr.report.status != "not_needed" else None,
        **sink.report(),
        "members_via": parsed.members_via,
    }


def derive_document(*, path: Path, media_type: str, settings: Settings, out_dir: Path,
                    duration_seconds: float | None, progress: Progress) -> dict[str, Any]:
    """Thumbnails, page images, poster, contact sheet into `out_dir` (ingest/previews.py).

    A separate request from `extract_document`: the text is searchable before any picture
    is drawn, and drawing them waits behind every upload's text.
    """
    progress("previews", None)
    previews = PreviewFolder(out_dir, max_bytes=settings.max_preview_bytes)
    try:
        derived = derive.derive_previews(
            sink=previews, settings=settings, media_type=media_type, path=path,
            duration_seconds=duration_seconds)
    except derive.DeriveError as exc:
        raise ParseError(str(exc)) from None
    return {"metadata": derived, "files": previews.names}


def render_page_preview(*, path: Path, number: int, out: Path) -> None:
    """Page `number` of a PDF as the viewer's WebP, written to `out` (on first view)."""
    try:
        with pdf_previews.open_pdf(path) as pdf:
            out.write_bytes(pdf_previews.preview_bytes(pdf, number))
    except pdf_previews.PreviewError as exc:
        raise ParseError(str(exc)) from None
