"""Highlighted snippets, made the same way for every mode and database.

The text is HTML-escaped and matched words wrapped in <mark>, so a client can insert the
snippet as HTML safely.
"""

from __future__ import annotations

import html
import re

SNIPPET_CHARS = 240


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    # Match word starts so "contract" also marks "contracts" (the index stems too).
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)


def make_snippet(text: str, words: list[str], *, width: int = SNIPPET_CHARS) -> str:
    pattern = _pattern(words)
    matches = list(pattern.finditer(text)) if pattern else []
    if len(text) <= width:
        start, end = 0, len(text)
    else:
        best, best_count = 0, -1
        for m in matches:  # the window holding the most matches
            count = sum(1 for other in matches if m.start() <= other.start() < m.start() + width)
            if count > best_count:
                best, best_count = m.start(), count
        start = max(0, best - width // 4)
        space = text.rfind(" ", 0, start)
        start = space + 1 if space != -1 and start - space < 20 else start
        end = min(len(text), start + width)
    out: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for m in matches:
        if m.start() < start or m.end() > end:
            continue
        out.append(html.escape(text[cursor:m.start()]))
        out.append("<mark>" + html.escape(m.group(0)) + "</mark>")
        cursor = m.end()
    out.append(html.escape(text[cursor:end]))
    if end < len(text):
        out.append("…")
    return " ".join("".join(out).split())
