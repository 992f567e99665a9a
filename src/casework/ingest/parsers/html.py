"""HTML: the visible text only (no scripts, styles or hidden templates)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError
from casework.ingest.parsers.text import read_text

_INVISIBLE = "script, style, noscript, template, head, svg, iframe, object"
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Lexbor's tree building is quadratic in nesting depth: 200,000 nested elements took 284 s.
# Browsers stop nesting at 512; past MAX_NESTING a file is built to stall its reader.
MAX_NESTING = 5_000
_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>")
# Elements that never hold others, or that the next sibling closes: no nesting from them.
_FLAT = frozenset(b"area base br col embed hr img input link meta source track wbr p li "
                  b"dt dd tr td th option".split())


def nesting_depth(markup: bytes, *, stop_at: int) -> int:
    """How deep open tags nest, counted from the tags alone (at most `stop_at`)."""
    depth = deepest = 0
    for match in _TAG.finditer(markup):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _FLAT:
            continue
        if closing:
            depth = max(depth - 1, 0)
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest >= stop_at:
                break
    return deepest


class HtmlParser:
    media_types = ("text/html",)

    def parse(self, path: Path) -> ParsedDocument:
        if nesting_depth(path.read_bytes(), stop_at=MAX_NESTING + 1) > MAX_NESTING:
            raise ParseError(f"the HTML nests elements more than {MAX_NESTING:,} deep; "
                             f"the limit is {MAX_NESTING:,}")
        tree = HTMLParser(read_text(path))
        title_node = tree.css_first("title")
        title = title_node.text(strip=True)[:500] if title_node else None
        for node in tree.css(_INVISIBLE):
            node.decompose()
        for node in tree.css("[hidden], [aria-hidden=true]"):
            node.decompose()
        root = tree.body or tree.root
        text = root.text(separator="\n", strip=True) if root else ""
        text = _BLANK_LINES.sub("\n\n", text)

        def pages() -> Iterator[ExtractedPage]:
            yield ExtractedPage(1, text)

        return ParsedDocument(pages=pages(), page_count=1, title=title or None)
