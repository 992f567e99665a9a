"""Sentences of a passage, as character spans, so an answer can quote them verbatim and cite
exactly where they stand on the page.

A rule-based splitter, not a model: it must keep exact offsets, run in microseconds, and
cope with extracted text (hard line breaks inside sentences, headings without a full stop,
lists, code). It ends a sentence at . ! ? (closing quotes and brackets included) before
whitespace, unless the word is a common abbreviation or a single letter (initials, "e.g."),
and at blank lines; a run of text with no such end is cut at line ends once it grows past
MAX_SENTENCE_CHARS, so one quoted "sentence" is never a whole page of a table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SENTENCE_CHARS = 400
MIN_SENTENCE_CHARS = 12

_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)|\n[ \t]*\n")
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
ABBREVIATIONS = frozenset("""
mr mrs ms dr prof st no nos vs etc eg ie e.g i.e fig figs art arts sec secs para paras
inc ltd co corp jr sr approx ref refs vol vols pp p ed eds cf al jan feb mar apr jun jul
aug sep sept oct nov dec
""".split())


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    match = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if match is None:
        return False
    word = match.group(1).lower()
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _trimmed(text: str, start: int, end: int) -> Sentence | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Sentence(start, end) if end - start >= MIN_SENTENCE_CHARS else None


def _cut_long(text: str, start: int, end: int) -> list[Sentence]:
    """A span with no sentence end inside: cut at line ends, then at spaces."""
    pieces: list[Sentence] = []
    while end - start > MAX_SENTENCE_CHARS:
        window = text.rfind("\n", start + MAX_SENTENCE_CHARS // 4, start + MAX_SENTENCE_CHARS)
        if window == -1:
            window = text.rfind(" ", start + MAX_SENTENCE_CHARS // 4,
                                start + MAX_SENTENCE_CHARS)
        cut = window if window != -1 else start + MAX_SENTENCE_CHARS
        piece = _trimmed(text, start, cut)
        if piece is not None:
            pieces.append(piece)
        start = cut
    piece = _trimmed(text, start, end)
    if piece is not None:
        pieces.append(piece)
    return pieces


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` as [start, end) spans, trimmed of surrounding whitespace; spans
    shorter than MIN_SENTENCE_CHARS (page numbers, stray headings) are left out."""
    sentences: list[Sentence] = []
    start = 0
    for match in _END.finditer(text):
        if match.group(0)[0] == "." and _is_abbreviation(text, match.start()):
            continue
        sentences.extend(_cut_long(text, start, match.end()))
        start = match.end()
    sentences.extend(_cut_long(text, start, len(text)))
    return sentences
