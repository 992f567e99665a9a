"""The offline answer: the retrieved passages' best sentences, quoted verbatim with offsets.

Each sentence of the passages is scored against the question by meaning (cosine of the
embedding model's vectors, the same model that indexes the passages), by wording (the share
of the question's content words it holds, each weighted by how rare it is among the
candidate sentences, so "dates" found everywhere counts less than "leap"), and a little by
its passage's rank in the hybrid search. The best sentence's score is the answer's
confidence; under the threshold the answer is "not found in the material", never the least
bad sentence. docs/benchmarks.md#ask tells how the weights and the threshold were chosen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from casework.ask.sentences import split_sentences
from casework.search.query import STOP_WORDS

# Share of each signal in a sentence's score (semantic search on).
MEANING, WORDING, RANK = 0.6, 0.3, 0.1
# Without vectors (SEMANTIC_SEARCH off, or the model cannot load) only wording and rank
# are left. The same threshold serves both scores: on the calibration questions 0.4 was the
# best for each (docs/benchmarks.md#ask).
KEYWORD_ONLY_WORDING, KEYWORD_ONLY_RANK = 0.85, 0.15
# Sentences scored per question: embedding them is most of an answer's time, about linear
# in their number. 24 gave the same threshold table as 48 on the calibration questions (119
# of 129 answers identical) at half the embedding (docs/benchmarks.md#ask).
MAX_CANDIDATES = 24
MAX_ANSWER_SENTENCES = 3
# A further sentence joins the answer only when nearly as good as the best one.
ANSWER_MARGIN = 0.06
# Words of a question that say it is a question, not what it is about.
QUESTION_WORDS = frozenset("""
find get way ways use using used know tell want need make please easiest best possible
can could would should give show explain describe anything something someone
""".split())
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# An answer is a statement in words: not a fragment of code, a table row or a heading.
MIN_PROSE_WORDS = 4
MIN_PROSE_LETTERS = 0.75  # share of letters and spaces in the sentence


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk: where it stands (page and offset) and its text."""

    chunk_id: int
    document_id: str | None
    note_id: str | None
    title: str
    page: int
    start_char: int
    text: str


@dataclass(frozen=True, slots=True)
class Quote:
    """A verbatim span of a page: `text == page_text[start:end]`."""

    passage: int  # index into the passages given
    document_id: str | None
    note_id: str | None
    title: str
    page: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Extract:
    found: bool
    confidence: float
    quotes: list[Quote]


@dataclass(slots=True)
class _Candidate:
    passage: int
    start: int  # in the passage's text
    end: int
    text: str
    stems: frozenset[str]
    wording: float = 0.0
    score: float = 0.0


def stem(word: str) -> str:
    """A crude stem: "contracts", "contracted" and "contract" meet at "contr"... on purpose
    only the first five letters, enough to match word forms without a language's rules."""
    return word[:5] if len(word) > 5 else word


def content_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in (m.lower() for m in _WORD.findall(text))
                     if w not in STOP_WORDS and w not in QUESTION_WORDS)


def is_statement(text: str) -> bool:
    """Prose that can answer: enough words, mostly letters, and not itself a question.

    On the Python manuals, code fragments ("Movie ( 'Titanic' ,") and the manuals' own
    questions were most of the unanswerable questions' confident wrong answers.
    """
    if text.rstrip().endswith("?") or len(_LETTER_WORD.findall(text)) < MIN_PROSE_WORDS:
        return False
    letters = sum(1 for ch in text if ch.isalpha() or ch.isspace())
    return letters >= MIN_PROSE_LETTERS * len(text)


def _candidates(passages: list[Passage]) -> list[_Candidate]:
    seen: set[str] = set()
    found: list[_Candidate] = []
    for index, passage in enumerate(passages):
        for sentence in split_sentences(passage.text):
            text = passage.text[sentence.start:sentence.end]
            # Neighbouring chunks overlap, and documents repeat themselves: one text is
            # one candidate, where it ranked best.
            key = " ".join(text.lower().split())
            if key in seen or not is_statement(text):
                continue
            seen.add(key)
            found.append(_Candidate(index, sentence.start, sentence.end, text,
                                    content_stems(text)))
    return found


def _score_wording(question: frozenset[str], candidates: list[_Candidate]) -> None:
    if not question:
        return
    total = len(candidates)
    weights = {}
    for term in question:
        df = sum(1 for c in candidates if term in c.stems)
        weights[term] = math.log((total + 1) / (df + 0.5)) + 0.1  # smoothed, always > 0
    whole = sum(weights.values())
    for candidate in candidates:
        candidate.wording = sum(w for t, w in weights.items() if t in candidate.stems) / whole


def _rank_prior(passage: int, count: int) -> float:
    return 1.0 - passage / max(count, 1)


def choose_sentences(*, question: str, passages: list[Passage],
                     embed: Callable[[list[str]], np.ndarray] | None,
                     min_confidence: float) -> Extract:
    """The answer's sentences, or not found when the best one scores under the threshold.

    `embed` is the embedding model (texts in, unit vectors out); None scores by wording and
    rank alone.
    """
    candidates = _candidates(passages)
    if not candidates:
        return Extract(found=False, confidence=0.0, quotes=[])
    _score_wording(content_stems(question), candidates)
    count = len(passages)
    if len(candidates) > MAX_CANDIDATES:
        candidates.sort(key=lambda c: -(c.wording + 0.5 * _rank_prior(c.passage, count)))
        candidates = candidates[:MAX_CANDIDATES]
    if embed is not None:
        vectors = embed([question] + [c.text for c in candidates])
        meanings = vectors[1:] @ vectors[0]
        for candidate, meaning in zip(candidates, meanings, strict=True):
            candidate.score = (MEANING * max(float(meaning), 0.0) + WORDING * candidate.wording
                               + RANK * _rank_prior(candidate.passage, count))
    else:
        for candidate in candidates:
            candidate.score = (KEYWORD_ONLY_WORDING * candidate.wording
                               + KEYWORD_ONLY_RANK * _rank_prior(candidate.passage, count))
    threshold = min_confidence
    candidates.sort(key=lambda c: (-c.score, c.passage, c.start))
    best = candidates[0]
    confidence = round(min(max(best.score, 0.0), 1.0), 4)
    if best.score < threshold:
        return Extract(found=False, confidence=confidence, quotes=[])
    chosen = [best]
    for candidate in candidates[1:]:
        if len(chosen) == MAX_ANSWER_SENTENCES:
            break
        if candidate.score >= max(threshold, best.score - ANSWER_MARGIN):
            chosen.append(candidate)
    # Sentences of one passage read in their order; passages in the order of their best.
    order = {}
    for candidate in chosen:
        order.setdefault(candidate.passage, len(order))
    chosen.sort(key=lambda c: (order[c.passage], c.start))
    quotes = []
    for candidate in chosen:
        passage = passages[candidate.passage]
        quotes.append(Quote(
            passage=candidate.passage, document_id=passage.document_id,
            note_id=passage.note_id, title=passage.title, page=passage.page,
            start=passage.start_char + candidate.start, end=passage.start_char + candidate.end,
            text=candidate.text))
    return Extract(found=True, confidence=confidence, quotes=quotes)
