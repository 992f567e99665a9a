"""Hybrid fusion rules to compare with casework's own (search.service.fuse) on kept passages.

Each rule takes the keyword and the semantic candidates of one question ((chunk, score), best
first) and the question's text, and returns the chunks fused, best first. Used by
bench/fusion_what_ifs.py (every set, offline) and bench/quality.py (its what-ifs).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from casework.search.query import parse_query
from casework.search.service import fuse

Scored = list[tuple[int, float]]
Rule = Callable[[Scored, Scored, str], list[int]]

# The rule shipped until 2026-12-06 (min-max scores, a semantic share rising with the query's
# words that are not stop words; docs/benchmarks.md#hybrid-fusion), kept to compare against.
SHORT_QUERY_WORDS, LONG_QUERY_WORDS = 2, 6
SHORT_QUERY_SEMANTIC, LONG_QUERY_SEMANTIC = 0.5, 0.9


def semantic_share(text: str) -> float:
    query = parse_query(text)
    if query.phrases or query.prefixes:
        return SHORT_QUERY_SEMANTIC
    position = (query.content_words - SHORT_QUERY_WORDS) / (LONG_QUERY_WORDS - SHORT_QUERY_WORDS)
    return SHORT_QUERY_SEMANTIC + (LONG_QUERY_SEMANTIC - SHORT_QUERY_SEMANTIC) * min(
        1.0, max(0.0, position))


def _min_max(scored: list[tuple[int, float]]) -> dict[int, float]:
    if not scored:
        return {}
    low, high = min(s for _, s in scored), max(s for _, s in scored)
    return {item: (s - low) / (high - low) if high > low else 1.0 for item, s in scored}


def minmax(keyword: Scored, semantic: Scored, text: str, *, share: float | None = None
           ) -> list[int]:
    """Convex combination of min-max scores (Bruch et al., 2023); share None: by length."""
    weight = semantic_share(text) if share is None else share
    words, meaning = _min_max(keyword), _min_max(semantic)
    scores = {item: (1 - weight) * words.get(item, 0.0) + weight * meaning.get(item, 0.0)
              for item in words.keys() | meaning}
    return [item for item, _ in sorted(scores.items(), key=lambda p: (-p[1], p[0]))]


def shipped(keyword: Scored, semantic: Scored, text: str) -> list[int]:
    """casework's fuse as it is now (the candidate depth is the bench's 100)."""
    return [item for item, _ in fuse(keyword, semantic, keyword_depth=100)]


def rrf(keyword: Scored, semantic: Scored, text: str, k: int = 60) -> list[int]:
    scores: dict[int, float] = {}
    for ranking in (keyword, semantic):
        for rank, (item, _) in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1 / (k + rank)
    return [item for item, _ in sorted(scores.items(), key=lambda p: (-p[1], p[0]))]


def _z(scored: Scored) -> dict[int, float]:
    """Standard scores over the list's own candidates (casework's fuse pads a short keyword
    list with zeros first; these what-ifs do not)."""
    if not scored:
        return {}
    values = [s for _, s in scored]
    mean = statistics.fmean(values)
    spread = statistics.pstdev(values) or 1.0
    return {item: (s - mean) / spread for item, s in scored}


def _zscore(keyword: Scored, semantic: Scored, text: str, *, share: float | None = None
            ) -> list[int]:
    """Each list's scores as standard scores over its own candidates: a hit that stands out
    from its list counts for more than the top of a flat list. A passage missing from a list
    gets that list's lowest standard score."""
    weight = semantic_share(text) if share is None else share
    words, meaning = _z(keyword), _z(semantic)
    low_words = min(words.values(), default=0.0)
    low_meaning = min(meaning.values(), default=0.0)
    scores = {item: (1 - weight) * words.get(item, low_words)
              + weight * meaning.get(item, low_meaning) for item in words.keys() | meaning}
    return [item for item, _ in sorted(scores.items(), key=lambda p: (-p[1], p[0]))]


def _guarantee(rule: Rule, top: int, within: int) -> Rule:
    """The rule's ranking, with each engine's first `top` passages moved up into the first
    `within` places if the rule left them lower (a union with a rank guarantee)."""
    def fused(keyword: Scored, semantic: Scored, text: str) -> list[int]:
        ranking = rule(keyword, semantic, text)
        musts = [item for item, _ in keyword[:top]] + [item for item, _ in semantic[:top]]
        head = ranking[:within]
        for item in musts:
            if item not in head:
                head = [*head[:within - 1], item] if len(head) >= within else [*head, item]
        head = list(dict.fromkeys(head))
        return head + [item for item in ranking if item not in head]
    return fused


def _zscore_by_standout(keyword: Scored, semantic: Scored, text: str) -> list[int]:
    """Standard scores, each list weighted by how far its own first hit stands out."""
    words, meaning = _z(keyword), _z(semantic)
    top_words = max(words.values(), default=0.0)
    top_meaning = max(meaning.values(), default=0.0)
    total = top_words + top_meaning
    return _zscore(keyword, semantic, text, share=top_meaning / total if total > 0 else 0.5)


RULES: dict[str, Rule] = {
    "min-max, semantic share by query length (shipped until 2026-12-06)": minmax,
    "z-score, share 0.5, short keyword list padded (shipped since 2026-12-06)": shipped,
    "rrf k=60": rrf,
    "z-score, semantic share by query length": _zscore,
    "z-score, share 0.5": lambda k, s, t: _zscore(k, s, t, share=0.5),
    "min-max by query length + each engine's top 1 within the first 3": _guarantee(minmax, 1, 3),
    "z-score + each engine's top 1 within the first 3": _guarantee(_zscore, 1, 3),
    "z-score, share 0.5 + each engine's top 1 within the first 3": _guarantee(
        lambda k, s, t: _zscore(k, s, t, share=0.5), 1, 3),
    "z-score, share from each list's standout": _zscore_by_standout,
    "min-max, share 0.5": lambda k, s, t: minmax(k, s, t, share=0.5),
    "min-max, share 0.7": lambda k, s, t: minmax(k, s, t, share=0.7),
    "rrf k=10": lambda k, s, t: rrf(k, s, t, k=10),
}
