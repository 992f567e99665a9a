"""Extracted page text spooled to a temp file between the extract and index stages.

OCR takes seconds a page; doing it while the index transaction is open would hold
SQLite's single write lock for minutes and stall every upload. So pages are extracted
(text layer, else OCR) first, outside any transaction, into a file of JSON lines, and the
index stage replays them: memory stays flat and the write lock is held only to write.

The server creates the spool and reads it back; `fill_spool` writes it inside the parser
sandbox (ingest/sandbox.py), holding the document to MAX_PAGES, MAX_OCR_PAGES and
MAX_TEXT_BYTES as it goes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from casework.ingest.parsers.base import ExtractedPage, ParseError
from casework.media.ocr import TesseractOcr

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class PageLimits:
    max_pages: int
    max_ocr_pages: int
    max_text_bytes: int


def fill_spool(path: Path, pages: Iterator[ExtractedPage], *, ocr: TesseractOcr,
               limits: PageLimits, progress: Callable[[int], None] | None = None) -> int:
    """Write each page's text (its text layer, else OCR of its image); return the count.

    Raises ParseError naming the limit a document goes past, before the page that would.
    """
    count = ocr_pages = written = 0
    with open(path, "w", encoding="utf-8") as out:
        while True:
            if progress is not None:
                progress(count + 1)  # before the parser loads the page: it may not return
            page = next(pages, None)
            if page is None:
                break
            if count >= limits.max_pages:
                raise ParseError(f"the document has more than {limits.max_pages:,} pages; "
                                 f"the limit is {limits.max_pages:,} (MAX_PAGES)")
            text = page.text
            if page.render is not None and not text.strip():
                if ocr_pages >= limits.max_ocr_pages and ocr.enabled:
                    raise ParseError(
                        f"the document has more than {limits.max_ocr_pages:,} pages to OCR; "
                        f"the limit is {limits.max_ocr_pages:,} (MAX_OCR_PAGES)")
                ocr_pages += 1
                text = ocr.read_page(page.number, page.render, sample=page.sample)
            line = json.dumps([page.number, text], ensure_ascii=False) + "\n"
            written += len(line.encode("utf-8"))
            if written > limits.max_text_bytes:
                raise ParseError(
                    f"the document's text is larger than {limits.max_text_bytes // MiB:,} MiB;"
                    f" the limit is {limits.max_text_bytes // MiB:,} MiB (MAX_TEXT_BYTES)")
            out.write(line)
            count += 1
    return count


class PageSpool:
    """A temp file of pages, removed on exit; `count` is set by whoever filled it."""

    def __init__(self, tmp_dir: Path) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="pages-", suffix=".jsonl")
        os.close(fd)
        self.path = Path(name)
        self.count = 0

    def __enter__(self) -> PageSpool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.path.unlink(missing_ok=True)

    def read(self) -> Iterator[tuple[int, str]]:
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                number, text = json.loads(line)
                yield number, text
