"""Split page text into overlapping passages that fit the embedding model's window.

Passages are measured in the model's own tokens, not characters: 1,000 characters is ~250
word pieces of prose but far more of code, tables or hex, and what lies past the window
(256 word pieces for all-MiniLM-L6-v2, [CLS] and [SEP] included) is never embedded. On
real manuals a character chunker left 24 % of the text unembedded (docs/benchmarks.md#token-chunks).

A page is tokenized once, with offsets; cuts are chosen on token positions (a paragraph
end if one is near, else a sentence, line or word end) and mapped back to characters, so
`page_text[p.start_char:p.end_char] == p.text` for every passage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from tokenizers import Tokenizer

from casework.core.settings import Settings
from casework.search.boilerplate import boilerplate_spans
from casework.search.model_tokenizer import load_tokenizer

# The version of the chunker that wrote a document's chunks (`document.chunker_version`):
# 1 cut by characters, 2 cuts by the model's tokens. Older documents are re-chunked by the
# `rechunk_document` job (ingest/rechunk.py).
CHUNKER_VERSION = 2

_WHITESPACE = re.compile(r"[ \t\r\f\v]+")
_STOP_CODES = np.array([ord(c) for c in ".!?;:"], dtype=np.uint32)  # sentence ends
_NEWLINE = ord("\n")
# Boundary kinds between two tokens, best last. A cut prefers the best kind within reach;
# the floors say how short (share of the budget) a passage may get to end at that kind,
# so preferring a clean end never costs more than a fraction of the window.
_MID_WORD, _WORD, _LINE, _SENTENCE, _PARAGRAPH = range(5)
_FLOORS = ((_PARAGRAPH, 0.5), (_SENTENCE, 0.65), (_LINE, 0.75), (_WORD, 0.85))


@dataclass(frozen=True, slots=True)
class Passage:
    page: int
    ordinal: int
    start_char: int  # offsets into the page's text
    end_char: int
    text: str
    # What the model reads when it differs from `text`: the passage without the document's
    # running heads and footers (search/boilerplate.py). "" means nothing to embed.
    embed_text: str | None = None

    @property
    def model_text(self) -> str:
        return self.text if self.embed_text is None else self.embed_text

    @property
    def content_hash(self) -> str:
        """Keys the stored vector, so it hashes what the model reads."""
        return hashlib.sha256(self.model_text.encode("utf-8")).hexdigest()


class Chunker:
    """Cuts pages into passages of at most `size` model tokens, specials included."""

    def __init__(self, tokenizer: Tokenizer, *, size: int, overlap: int) -> None:
        self.specials = tokenizer.num_special_tokens_to_add(False)  # [CLS], [SEP]
        if overlap * 2 >= size - self.specials:
            raise ValueError("the overlap must be under half a passage")
        self.tokenizer = tokenizer
        self.size = size
        self.budget = size - self.specials  # word pieces a passage may hold
        self.overlap = overlap

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for `text`, special tokens included."""
        return len(self.tokenizer.encode(text, add_special_tokens=True).ids)

    def chunk_page(self, text: str, *, page: int,
                   repeated: frozenset[str] = frozenset()) -> list[Passage]:
        """Passages covering every token of `text`, each within the window, overlapping.

        `repeated`: the document's running heads and footers (`boilerplate.repeated_lines`),
        kept in a passage's text but left out of what the model reads.
        """
        offsets = self.tokenizer.encode(text, add_special_tokens=False).offsets
        return self._passages(text, page, offsets, repeated)

    def chunk_pages(self, pages: list[tuple[int, str]], *,
                    repeated: frozenset[str] = frozenset()) -> list[list[Passage]]:
        """`chunk_page` for several pages, tokenized in one call.

        The tokenizer is most of chunking's time and its batch call runs without Python's
        lock, so two ingest jobs chunk on two cores at once; page by page they took turns
        (docs/benchmarks.md#first-result).
        """
        encodings = self.tokenizer.encode_batch([text for _, text in pages],
                                                add_special_tokens=False)
        return [self._passages(text, number, encoding.offsets, repeated)
                for (number, text), encoding in zip(pages, encodings, strict=True)]

    def _passages(self, text: str, page: int, offsets: list[tuple[int, int]],
                  repeated: frozenset[str]) -> list[Passage]:
        skip_spans = boilerplate_spans(text, repeated)
        if not offsets:
            body = text.strip()  # only characters the model drops: keyword search only
            if not body:
                return []
            start = text.index(body)
            return [Passage(page, 0, start, start + len(body), body)]
        kinds = _boundary_kinds(text, offsets)
        passages: list[Passage] = []
        first, count = 0, len(offsets)
        while True:
            end = self._cut(first, count, kinds)
            end = self._fit(text, offsets, kinds, first, end)
            start_char, end_char = offsets[first][0], offsets[end - 1][1]
            body = text[start_char:end_char]
            passages.append(Passage(page, len(passages), start_char, end_char, body,
                                    _embed_text(text, start_char, end_char, skip_spans)))
            if end >= count:
                return passages
            first = _overlap_start(kinds, first, end, self.overlap)

    def _cut(self, first: int, count: int, kinds: np.ndarray) -> int:
        """Token index (exclusive) where the passage starting at `first` ends."""
        limit = first + self.budget
        if limit >= count:
            return count
        for kind, floor in _FLOORS:
            low = first + max(1, int(self.budget * floor))
            hits = np.flatnonzero(kinds[low:limit + 1] >= kind)
            if hits.size:
                return low + int(hits[-1])
        return limit  # one unbroken string: cut between word pieces

    def _fit(self, text: str, offsets: list[tuple[int, int]], kinds: np.ndarray,
             first: int, end: int) -> int:
        """Shrink a passage cut inside a word until its own tokenization fits.

        A word split between pieces tokenizes differently on its own ("##ffe" becomes
        "ff", "##e"), so only such passages are re-tokenized; clean cuts add up exactly.
        """
        clean_end = end >= len(offsets) or kinds[end] > _MID_WORD
        if kinds[first] > _MID_WORD and clean_end:
            return end
        while end - first > 1:
            piece = text[offsets[first][0]:offsets[end - 1][1]]
            excess = self.count_tokens(piece) - self.size
            if excess <= 0:
                break
            end = max(first + 1, end - excess)
        return end


def _boundary_kinds(text: str, offsets: list[tuple[int, int]]) -> np.ndarray:
    """kinds[i]: the kind of boundary just before token i (kinds[0] is a paragraph).

    Vectorised over the page: a Python loop over tokens cost as much as tokenizing.
    """
    spans = np.asarray(offsets, dtype=np.int64)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    newlines = np.concatenate(([0], np.cumsum(codes == _NEWLINE)))
    gap_start, gap_end = spans[:-1, 1], spans[1:, 0]
    breaks = newlines[gap_end] - newlines[gap_start]
    after_stop = np.isin(codes[np.maximum(gap_start - 1, 0)], _STOP_CODES)
    kinds = np.full(len(offsets), _WORD, dtype=np.int8)
    inner = kinds[1:]
    inner[breaks > 0] = _LINE
    inner[after_stop] = _SENTENCE
    inner[breaks > 1] = _PARAGRAPH
    inner[gap_end <= gap_start] = _MID_WORD  # no gap: word pieces, or punctuation on a word
    kinds[0] = _PARAGRAPH
    return kinds


def _overlap_start(kinds: np.ndarray, first: int, end: int, overlap: int) -> int:
    """Where the next passage starts: `overlap` tokens back, moved on to a word start if
    there is one (in a run of symbols or word pieces there is none: start there anyway)."""
    if overlap == 0:
        return end
    start = max(first + 1, end - overlap)
    hits = np.flatnonzero(kinds[start:end] > _MID_WORD)
    return start + int(hits[0]) if hits.size else start


def _embed_text(text: str, start: int, end: int,
                skip_spans: Sequence[tuple[int, int]]) -> str | None:
    """The passage without the skipped spans, or None when none falls inside it."""
    pieces: list[str] = []
    cursor = start
    for skip_start, skip_end in skip_spans:
        if skip_end <= cursor or skip_start >= end:
            continue
        pieces.append(text[cursor:max(cursor, skip_start)])
        cursor = max(cursor, min(end, skip_end))
    if cursor == start and not pieces:
        return None
    pieces.append(text[cursor:end])
    return " ".join(piece.strip() for piece in pieces if piece.strip())


@lru_cache(maxsize=4)
def load_chunker(model: str, size: int, overlap: int) -> Chunker:
    """The chunker for a model and sizes, built once per process (the tokenizer loads once)."""
    return Chunker(load_tokenizer(model), size=size, overlap=overlap)


def chunker_for(settings: Settings) -> Chunker:
    """The chunker the settings ask for; raises EmbeddingUnavailable without a tokenizer."""
    return load_chunker(settings.embedding_model, settings.chunk_tokens,
                        settings.chunk_overlap_tokens)


def normalize_page_text(text: str) -> str:
    """Collapse runs of spaces (common in PDF text layers) without moving line breaks."""
    return _WHITESPACE.sub(" ", text).strip()
