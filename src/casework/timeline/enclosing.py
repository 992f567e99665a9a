"""The sentence around a mention: the span of the page's text a timeline event quotes.

Reuses the answer's sentence splitter (ask/sentences.py), so a timeline event and an
answer's quote cut a page the same way. A page of up to WHOLE_PAGE_CHARS is split once
for all its events; in a longer one (a text file's 100,000-character section) only a
window around each mention is: a sentence is at most MAX_SENTENCE_CHARS long, so a window
reaching further on both sides holds the whole of it.
"""

from __future__ import annotations

from bisect import bisect_right

from casework.ask.sentences import MAX_SENTENCE_CHARS, split_sentences

# More than two sentences' worth on each side: the mention's sentence is never the piece
# the window's edge cut.
WINDOW_CHARS = 3 * MAX_SENTENCE_CHARS
# The most a quoted span reaches either side of its mention; the entity filter's query
# looks this far (timeline/service.py).
REACH_CHARS = WINDOW_CHARS
# Split whole up to here (~1 ms); a PDF page is a few thousand characters.
WHOLE_PAGE_CHARS = 20_000


class PageSentences:
    """One page's text, and the sentences of it found so far."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._spans: list[tuple[int, int]] | None = None
        self._ends: list[int] = []
        if len(text) <= WHOLE_PAGE_CHARS:
            self._spans = [(s.start, s.end) for s in split_sentences(text)]
            self._ends = [end for _, end in self._spans]

    def _touching(self, start: int, end: int) -> list[tuple[int, int]]:
        if self._spans is not None:
            touching = []
            for index in range(bisect_right(self._ends, start), len(self._spans)):
                if self._spans[index][0] >= end:
                    break
                touching.append(self._spans[index])
            return touching
        low = max(0, start - WINDOW_CHARS)
        high = min(len(self.text), end + WINDOW_CHARS)
        return [(low + s.start, low + s.end) for s in split_sentences(self.text[low:high])
                if low + s.start < end and low + s.end > start]

    def around(self, start: int, end: int) -> tuple[int, int]:
        """[start, end) of the sentence holding text[start:end], in the page's offsets.

        A mention the splitter cut in two ("5 June. 2024") takes both sentences. One in a
        span too short to be a sentence (a date alone on a line, "2024-03-12.") takes its
        line, trimmed, or only itself when that line is longer than a sentence may be.
        """
        touching = self._touching(start, end)
        if touching:
            return touching[0][0], touching[-1][1]
        text = self.text
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end == -1 else line_end
        while line_start < start and text[line_start].isspace():
            line_start += 1
        while line_end > end and text[line_end - 1].isspace():
            line_end -= 1
        if line_end - line_start <= MAX_SENTENCE_CHARS:
            return line_start, line_end
        return start, end


def enclosing_sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around text[start:end] (see PageSentences.around)."""
    return PageSentences(text).around(start, end)
