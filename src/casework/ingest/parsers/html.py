"""HTML: the visible text only (no scripts, styles or hidden templates)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from casework.ingest.parsers.base import ExtractedPage, ParsedDocument
from casework.ingest.parsers.text import read_text

_INVISIBLE = "script, style, noscript, template, head, svg, iframe, object"
_BLANK_LINES = re.compile(r"\n\s*\n+")


class HtmlParser:
    media_types = ("text/html",)

    def parse(self, path: Path) -> ParsedDocument:
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
