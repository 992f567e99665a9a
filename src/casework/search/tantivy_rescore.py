"""Exact BM25 for tantivy's best candidates: the order FTS5's bm25() gives passages cut
into words as tantivy cuts them.

Why: tantivy stores each passage's length in one byte (exact up to 40 words, then in steps
of 8 to 16 words around the ~150 of a passage), so passages whose scores are within a few
per cent swap places; at a million passages that took the top 10's agreement with exact
BM25 down to 0.846 (docs/benchmarks.md#exact-rescoring). tantivy still chooses the
candidates (block-max WAND over its index); their scores are then computed again from the
passages' text with exact lengths and the index's statistics, as FTS5 computes them:
each query word (a word of several tokens is a phrase) and each required phrase is one
term with its own document frequency, a prefix one term counting every indexed word it
stands for. Stemming stays tantivy's (Porter2 where FTS5 has Porter).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import tantivy
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.search.models import Chunk
from casework.search.query import ParsedQuery
from casework.search.tantivy_query import PREFIX_EXPANSIONS, TantivyQueries
from casework.search.tantivy_shard import Shard

log = logging.getLogger(__name__)

K1 = 1.2
B = 0.75
RESCORE_DEPTH = 20  # tantivy's hits rescored at least (docs/benchmarks.md#exact-rescoring)


@dataclass(frozen=True, slots=True)
class ScoredTerm:
    """One term of FTS5's BM25: a run of tokens, or a prefix's indexed words."""

    tokens: tuple[str, ...]
    expansions: frozenset[str] | None  # a prefix: the indexed words it stands for
    idf: float


def ranked(session: Session, *, shard: Shard, queries: TantivyQueries, parsed: ParsedQuery,
           limit: int, depth: int, pool: int = 0,
           keep: Callable[[list[int]], set[int]] | None = None
           ) -> tuple[list[tuple[int, float]], int]:
    """(chunk id, score) best first, and how many hits tantivy gave.

    tantivy's top `max(limit, depth, pool)`; those `keep` allows (a filtered search's
    rows, checked in the database); the first `max(limit, depth)` of them by exact BM25,
    or in tantivy's own order and scores when `depth` is 0.
    """
    searcher = shard.index.searcher()
    compiled = queries.compile(searcher, parsed)
    if compiled is None:
        return [], 0
    # One phrase alone matches exactly the phrase's passages: counted with the search, its
    # document frequency costs no second pass over them (47 ms of CPU at 1M chunks for
    # "the value of"; a phrase beside other words is counted apart, at that cost).
    alone = bool(depth) and len(parsed.phrases) == 1 and not parsed.terms + parsed.prefixes
    result = searcher.search(compiled, max(limit, depth, pool), count=alone)
    hits = result.hits
    ids = searcher.fast_field_values("chunk_id", [address for _, address in hits])
    found = [(int(chunk_id), float(score))
             for (score, _), chunk_id in zip(hits, ids, strict=True)]
    if keep is not None and found:
        allowed = keep([chunk_id for chunk_id, _ in found])
        found = [hit for hit in found if hit[0] in allowed]
    if not depth or not found:
        return found[:limit], len(hits)
    terms = scored_terms(searcher, queries, parsed,
                         phrase_count=result.count if alone else None)
    avgdl = _mean_length(shard, searcher, compiled, hits[0][1])
    if terms is None or avgdl is None:
        return found[:limit], len(hits)
    return rescore(session, workspace_id=shard.workspace_id,
                   hits=found[:max(limit, depth)], terms=terms, analyzer=queries.analyzer,
                   avgdl=avgdl)[:limit], len(hits)


def _mean_length(shard: Shard, searcher: Any, compiled: Any, address: Any) -> float | None:
    """The index's mean passage length, read again whenever the index has changed."""
    generation = (shard.applied, searcher.num_docs)
    cached = shard.mean_length
    if cached is not None and cached[0] == generation:
        return cached[1]
    mean = mean_length(searcher, compiled, address)
    if mean is None:
        log.warning("tantivy gave no mean passage length: keyword hits keep its order")
        return None
    shard.mean_length = (generation, mean)
    return mean


def scored_terms(searcher: Any, queries: TantivyQueries, parsed: ParsedQuery, *,
                 phrase_count: int | None = None) -> list[ScoredTerm] | None:
    """The query's terms as FTS5 scores them, each with its IDF over the index; None when
    one cannot be rescored (a prefix cut into several tokens, `o'neil*`: tantivy matches it
    as a phrase prefix): tantivy's order stands then.
    `phrase_count`: the passages holding the query's one phrase, if already counted."""
    total = searcher.num_docs
    runs: list[tuple[tuple[str, ...], int | None]] = []
    for word in parsed.terms:
        runs.append((tuple(queries.analyzer.analyze(word)), None))
    for phrase in parsed.phrases:
        runs.append((tuple(t for word in phrase for t in queries.analyzer.analyze(word)),
                     phrase_count))
    terms: list[ScoredTerm] = []
    for run, counted in runs:
        if not run:
            continue
        if len(run) == 1:
            found = searcher.doc_freq("text", run[0])
        elif counted is not None:
            found = counted
        else:
            found = _count(searcher, tantivy.Query.phrase_query(queries.schema, "text",
                                                                list(run)))
        terms.append(ScoredTerm(run, None, _idf(total, found, fts5_idf=queries.fts5_idf)))
    for prefix in parsed.prefixes:
        tokens = queries.analyzer.analyze(prefix)
        if len(tokens) > 1:
            return None
        if not tokens:
            continue
        expanded = frozenset(t for t, _ in searcher.terms_with_prefix(
            "text", tokens[0], limit=PREFIX_EXPANSIONS))
        if expanded:
            query = tantivy.Query.boolean_query([
                (tantivy.Occur.Should, tantivy.Query.term_query(queries.schema, "text", t))
                for t in sorted(expanded)])
            terms.append(ScoredTerm((tokens[0],), expanded,
                                    _idf(total, _count(searcher, query),
                                         fts5_idf=queries.fts5_idf)))
    return terms


def _count(searcher: Any, query: Any) -> int:
    return searcher.search(query, 1, count=True).count


def _idf(total: int, found: int, *, fts5_idf: bool) -> float:
    if fts5_idf:
        return max(math.log((total - found + 0.5) / (found + 0.5)), 1e-6)
    return math.log(1 + (total - found + 0.5) / (found + 0.5))


def mean_length(searcher: Any, compiled: Any, address: Any) -> float | None:
    """The index's mean passage length (its total tokens over its passages).

    tantivy's Python binding gives no token total, but every BM25 explanation carries
    the mean it scored with; None if this version of tantivy explains differently.
    """
    stack = [json.loads(compiled.explain(searcher, address).to_json())]
    while stack:
        node = stack.pop()
        if str(node.get("description", "")).startswith("avgdl"):
            return float(node["value"])
        stack.extend(node.get("details", []))
    return None


def _frequency(term: ScoredTerm, tokens: list[str]) -> int:
    if term.expansions is not None:
        return sum(1 for t in tokens if t in term.expansions)
    first = term.tokens[0]
    if len(term.tokens) == 1:
        return tokens.count(first)
    size = len(term.tokens)
    return sum(1 for i, t in enumerate(tokens)
               if t == first and tuple(tokens[i:i + size]) == term.tokens)


def rescore(session: Session, *, workspace_id: str, hits: list[tuple[int, float]],
            terms: list[ScoredTerm], analyzer: Any, avgdl: float
            ) -> list[tuple[int, float]]:
    """`hits` (tantivy's candidates) by exact BM25, best first; ties by chunk id.

    Each candidate's text is cut again by the index's analyser (~40 us of CPU for a
    passage of 150 words): its tokens give the exact length and term frequencies, which
    tantivy's Python binding does not expose. A candidate whose chunk is gone from the
    caller's snapshot is dropped (the index may be ahead of it).
    """
    texts = dict(session.execute(select(Chunk.id, Chunk.text).where(
        Chunk.workspace_id == workspace_id, Chunk.id.in_([i for i, _ in hits]))).all())
    scored = [(chunk_id, bm25(analyzer.analyze(texts[chunk_id]), terms, avgdl))
              for chunk_id, _ in hits if chunk_id in texts]
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored


def bm25(tokens: list[str], terms: Iterable[ScoredTerm], avgdl: float) -> float:
    norm = K1 * (1 - B + B * len(tokens) / max(avgdl, 1e-9))
    score = 0.0
    for term in terms:
        tf = _frequency(term, tokens)
        if tf:
            score += term.idf * tf * (K1 + 1) / (tf + norm)
    return score
