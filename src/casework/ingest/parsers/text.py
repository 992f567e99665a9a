"""Plain text and Markdown, read in sections so a huge file never sits in memory whole.

Text files have no pages; each run of about SECTION_CHARS characters (cut at a line break)
counts as one page, which keeps citations pointing near the passage.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from casework.ingest.byte_order import bom_encoding
from casework.ingest.parsers.base import ExtractedPage, ParsedDocument

SECTION_CHARS = 100_000
_READ_BYTES = 64 * 1024


def detect_encoding(path: Path) -> str:
    """UTF-16 or UTF-32 when the file starts with their byte-order mark; else UTF-8 (with
    or without BOM) when the file decodes as such, else Latin-1."""
    with open(path, "rb") as fh:
        declared = bom_encoding(fh.read(4))
    if declared in ("utf-16", "utf-32"):
        return declared
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(_READ_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8-sig"


def read_text(path: Path) -> str:
    """The whole file as text (for formats whose parser needs it all, like HTML)."""
    return path.read_text(encoding=detect_encoding(path))


def iter_sections(path: Path, section_chars: int = SECTION_CHARS) -> Iterator[str]:
    buffer = ""
    with open(path, encoding=detect_encoding(path), newline="") as fh:
        while block := fh.read(_READ_BYTES):
            buffer += block
            while len(buffer) >= section_chars:
                cut = buffer.rfind("\n", 0, section_chars)
                cut = cut + 1 if cut > 0 else section_chars
                yield buffer[:cut]
                buffer = buffer[cut:]
    if buffer or not path.stat().st_size:
        yield buffer


def _markdown_title(path: Path) -> str | None:
    with open(path, encoding=detect_encoding(path), errors="replace") as fh:
        for _, line in zip(range(200), fh, strict=False):
            stripped = line.strip()
            if stripped.startswith("# "):
                return stripped[2:].strip()[:500] or None
    return None


class TextParser:
    media_types = ("text/plain", "text/markdown")

    def parse(self, path: Path) -> ParsedDocument:
        def pages() -> Iterator[ExtractedPage]:
            for number, section in enumerate(iter_sections(path), start=1):
                yield ExtractedPage(number, section)

        return ParsedDocument(pages=pages(), page_count=None, title=_markdown_title(path))
