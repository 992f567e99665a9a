"""Extracted page text spooled to a temp file between the extract and index stages.

OCR takes seconds a page; doing it while the index transaction is open would hold
SQLite's single write lock for minutes and stall every upload. So pages are extracted
(text layer, else OCR) first, outside any transaction, into a file of JSON lines, and the
index stage replays them: memory stays flat and the write lock is held only to write.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from casework.ingest.parsers.base import ExtractedPage
from casework.media.ocr import TesseractOcr


class PageSpool:
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

    def fill(self, pages: Iterator[ExtractedPage], *, ocr: TesseractOcr) -> None:
        """Write each page's text: its text layer, or OCR of its image when it has none."""
        with open(self.path, "w", encoding="utf-8") as out:
            for page in pages:
                text = page.text
                if page.render is not None and not text.strip():
                    text = ocr.read_page(page.number, page.render, sample=page.sample)
                out.write(json.dumps([page.number, text], ensure_ascii=False))
                out.write("\n")
                self.count += 1

    def read(self) -> Iterator[tuple[int, str]]:
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                number, text = json.loads(line)
                yield number, text
