"""Lines a document repeats at the edges of its pages: running heads, footers, page numbers.

They stay in the page text and the keyword index (a search for a manual's title still
finds it, and every page cites correctly), but the embedding model does not read them: in
every passage they would be the same tokens embedded again, and they pull unrelated pages'
vectors together. Only page edges are looked at (the first and last `EDGE_LINES`
non-empty lines): a line repeated inside the body (code such as "}", a table header) is
content. Digits are ignored when comparing lines of a few words, so "Page 3 of 40" repeats
"Page 4 of 40"; in longer lines they count, so templated content ("Berth 3 was dredged to
12 metres") is not mistaken for a running head.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

EDGE_LINES = 3  # lines looked at on each edge of a page
MIN_PAGES = 3  # a line must repeat on at least this many pages...
MIN_SHARE = 0.2  # ...and on at least this share of the document's pages
MAX_LINE_CHARS = 120  # longer lines are prose, not a running head
NUMBERED_LINE_WORDS = 6  # lines of up to this many words are compared without digits

_LINE = re.compile(r"[^\n]+")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def _key(line: str) -> str:
    key = _SPACES.sub(" ", line.strip().lower())
    return _DIGITS.sub("#", key) if key.count(" ") < NUMBERED_LINE_WORDS else key


def _edge_lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of the page's first and last EDGE_LINES non-empty lines."""
    lines = [m for m in _LINE.finditer(text) if m.group().strip()]
    edges = lines if len(lines) <= 2 * EDGE_LINES else (
        lines[:EDGE_LINES] + lines[-EDGE_LINES:])
    return [(m.start(), m.end(), _key(m.group())) for m in edges
            if len(m.group()) <= MAX_LINE_CHARS]


def repeated_lines(pages: Iterable[str]) -> frozenset[str]:
    """The keys of edge lines found on at least MIN_PAGES and MIN_SHARE of the pages."""
    counts: Counter[str] = Counter()
    total = 0
    for text in pages:
        total += 1
        counts.update({key for _, _, key in _edge_lines(text)})
    needed = max(MIN_PAGES, math.ceil(MIN_SHARE * total))
    return frozenset(key for key, seen in counts.items() if seen >= needed)


def boilerplate_spans(text: str, repeated: frozenset[str]) -> list[tuple[int, int]]:
    """Character ranges of the page's edge lines that the document repeats, in order."""
    if not repeated:
        return []
    return [(start, end) for start, end, key in _edge_lines(text) if key in repeated]
