"""Checking a redacted copy: nothing that was under a box may be read on its page again,
neither in the copy's text layer nor by OCR of its picture; and no metadata, attachment
or annotation may have come along.

Words are compared whole, case- and width-folded (NFKC): a word that was under a box
"leaks" if a word of the page reads the same, or, for words of six characters or more
(an address, a number), if it appears anywhere in the page's text. Words shorter than
three letters or digits are not checked: "at" is on every page. A redacted word that is
also printed, unredacted, elsewhere on the same page is reported too: the copy would show
it, and the user should redact that occurrence as well.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MIN_CHECKED = 3
SUBSTRING_FROM = 6
_TOKEN = re.compile(r"\S+")
_EDGES = "\"'()[]{}<>.,;:!?*«»“”\u2018\u2019"
# What PDFium itself writes into every document it saves: not the original's metadata.
WRITER_METADATA = {"Creator": "PDFium", "Producer": "PDFium"}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _words(text: str) -> set[str]:
    return {w.strip(_EDGES) for w in _TOKEN.findall(_fold(text))}


def checked_words(covered: list[str]) -> list[str]:
    """The covered words worth looking for: folded, edges trimmed, 3+ letters or digits."""
    found = []
    for word in covered:
        word = _fold(word).strip(_EDGES)
        if sum(ch.isalnum() for ch in word) >= MIN_CHECKED and word not in found:
            found.append(word)
    return found


def _leaks(words: list[str], text: str) -> list[str]:
    present = _words(text)
    flat = " ".join(_TOKEN.findall(_fold(text)))
    return [w for w in words if w in present or (len(w) >= SUBSTRING_FROM and w in flat)]


def verify(reply: dict[str, Any]) -> dict[str, Any]:
    """The verification stored with a copy, from the parser process's `produce` reply."""
    reread = reply["reread"]
    problems: list[str] = []
    leaks: list[dict[str, Any]] = []
    words_checked = 0
    for page, covered in sorted(reply["covered"].items(), key=lambda kv: int(kv[0])):
        number = int(page)
        if covered["source"] == "unread":
            problems.append(f"page {number}: what is under its boxes could not be read "
                            "(a scan, and OCR is unavailable), so the copy cannot be checked")
        words = checked_words(covered["words"])
        words_checked += len(words)
        seen = reread["pages"].get(page)
        if seen is None:
            problems.append(f"page {number} was not read back")
            continue
        for word in _leaks(words, seen["text"] or ""):
            leaks.append({"page": number, "where": "text", "word": word})
        if seen["ocr"] is None:
            problems.append(f"page {number}: OCR of the copy failed ({seen['ocr_error']})")
        else:
            for word in _leaks(words, seen["ocr"]):
                leaks.append({"page": number, "where": "ocr", "word": word})
    metadata = {k: v for k, v in reread["metadata"].items()
                if k != "CreationDate" and WRITER_METADATA.get(k) != v}
    if metadata:
        problems.append(f"document metadata survived: {sorted(metadata)}")
    if reread["attachments"]:
        problems.append(f"{reread['attachments']} attachment(s) survived")
    if reread["annotations"]:
        problems.append(f"{reread['annotations']} annotation(s) survived")
    problems.extend(f"page {leak['page']}: {leak['word']!r} can still be read "
                    f"({'text layer' if leak['where'] == 'text' else 'OCR of the picture'})"
                    for leak in leaks)
    return {"passed": not problems, "pages_checked": sorted(int(p) for p in reply["covered"]),
            "words_checked": words_checked, "text_layer": reply["text_layer"],
            "leaks": leaks, "problems": problems[:100],
            "attachments": reread["attachments"], "annotations": reread["annotations"]}
