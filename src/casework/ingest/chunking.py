"""Split page text into overlapping passages sized to the embedding model's window.

all-MiniLM-L6-v2 reads 256 word pieces; ~1000 characters of English prose is ~200-250 of
them, so the default CHUNK_CHARS keeps a passage inside the window and the overlap small
(embedding is the dominant ingest cost: every overlapping character is embedded twice).
Passages end at a paragraph, sentence or word boundary where one is near.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s")
_WHITESPACE = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True, slots=True)
class Passage:
    page: int
    ordinal: int
    start_char: int  # offsets into the page's text
    end_char: int
    text: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _cut_point(text: str, start: int, limit: int) -> int:
    """The best end for a passage starting at `start` that must end by `limit`."""
    if limit >= len(text):
        return len(text)
    floor = start + (limit - start) // 2  # never make a passage shorter than half size
    window = text[floor:limit]
    for finder in (lambda w: w.rfind("\n\n"), _last_sentence_end, lambda w: w.rfind("\n"),
                   lambda w: w.rfind(" ")):
        pos = finder(window)
        if pos > 0:
            return floor + pos + 1
    return limit


def _last_sentence_end(window: str) -> int:
    last = -1
    for match in _SENTENCE_END.finditer(window):
        last = match.end() - 1
    return last


def _advance_to_word(text: str, pos: int, end: int) -> int:
    """Move an overlap start forward to the next word start so passages begin cleanly."""
    if pos <= 0 or text[pos - 1].isspace():
        return pos
    space = text.find(" ", pos, end)
    return space + 1 if space != -1 else pos


def chunk_page(text: str, *, page: int, size: int, overlap: int) -> Iterator[Passage]:
    """Yield passages covering `text`, each at most `size` characters, overlapping."""
    length = len(text)
    start = 0
    ordinal = 0
    while start < length:
        while start < length and text[start].isspace():
            start += 1
        if start >= length:
            break
        end = _cut_point(text, start, start + size)
        body = text[start:end].rstrip()
        if body:
            yield Passage(page, ordinal, start, start + len(body), body)
            ordinal += 1
        if end >= length:
            break
        next_start = max(end - overlap, start + 1)
        start = _advance_to_word(text, next_start, end)


def normalize_page_text(text: str) -> str:
    """Collapse runs of spaces (common in PDF text layers) without moving line breaks."""
    return _WHITESPACE.sub(" ", text).strip()
