"""Search: keyword (BM25), semantic (ANN over embeddings) and hybrid (score fusion).

Every mode returns the same hit shape: the passage's document or note, page, a highlighted
snippet and a score. Filters are applied in SQL, inside the caller's workspace only.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.collections import service as collections_service
from casework.core.errors import InvalidInput, ServiceUnavailable
from casework.core.redaction import redact_paths
from casework.documents.models import Document
from casework.notes.models import Note
from casework.runtime import Runtime
from casework.search.embedder import EmbeddingUnavailable
from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.models import Chunk
from casework.search.query import ParsedQuery, collection_words, normalize_query, parse_query
from casework.search.snippets import make_snippet

log = logging.getLogger(__name__)

# Hybrid fusion: each engine's scores become standard scores over its own candidates and the
# two count equally. Chosen on the Python manuals, held out on the man pages and Debian Policy,
# where it beat both single modes and the length-weighted min-max rule it replaced:
# docs/benchmarks.md#question-sets.
# Collections named by the query, shown above the passages on the first page.
COLLECTION_HITS = 5


class SearchMode(StrEnum):
    keyword = "keyword"
    semantic = "semantic"
    hybrid = "hybrid"


@dataclass(frozen=True, slots=True)
class Hit:
    chunk_id: int
    score: float
    document_id: str | None
    note_id: str | None
    collection_id: str | None
    title: str
    filename: str | None
    media_type: str
    page: int
    start_char: int
    end_char: int
    snippet: str


@dataclass(frozen=True, slots=True)
class CollectionHit:
    """A collection whose name or reference number holds every word of the query."""

    id: str
    name: str
    kind: str
    reference: str | None


@dataclass(slots=True)
class SearchResult:
    query: str
    mode: SearchMode
    hits: list[Hit]
    has_more: bool
    took_ms: float
    warnings: list[str] = field(default_factory=list)
    collections: list[CollectionHit] = field(default_factory=list)


def _collection_hits(session: Session, *, workspace_id: str, text: str,
                     filters: SearchFilters, offset: int) -> list[CollectionHit]:
    """Collections the query names, for the first page of an unfiltered-by-collection
    search: one LIMITed statement over the workspace's collections, not the passages."""
    if offset > 0 or filters.collection_id is not None:
        return []
    rows = collections_service.find_collections(
        session=session, workspace_id=workspace_id, words=collection_words(text),
        limit=COLLECTION_HITS)
    return [CollectionHit(id=c.id, name=c.name, kind=str(c.kind), reference=c.reference)
            for c in rows]


def _standard_scores(scored: list[tuple[int, float]], *, depth: int = 0
                     ) -> tuple[dict[int, float], float]:
    """Each score as its distance from the list's mean in standard deviations, and the value
    a passage missing from the list gets.

    A full list's missing passages score at most its weakest hit: they get that hit's value.
    `depth` pads a shorter list with zeros before the mean and deviation are taken: a keyword
    list shorter than the candidates asked for means no other passage holds a query word, and
    BM25 gives those passages 0, so they get the standard score of 0. Without it a word found
    in one passage alone would score 0 (the mean of a list of one) and could sink below
    semantic hits.
    """
    if not scored:
        return {}, 0.0
    padding = max(0, depth - len(scored))
    values = [score for _, score in scored] + [0.0] * padding
    mean = sum(values) / len(values)
    deviation = (sum((value - mean) ** 2 for value in values) / len(values)) ** 0.5
    standard = {item: (score - mean) / deviation if deviation > 0 else 0.0
                for item, score in scored}
    missing = (0.0 - mean) / deviation if padding and deviation > 0 else min(standard.values())
    return standard, missing


def fuse(keyword: list[tuple[int, float]], semantic: list[tuple[int, float]], *,
         keyword_depth: int = 0) -> list[tuple[int, float]]:
    """The mean of the two engines' standard scores (z-scores), best first.

    Min-max scaling gave every list's first hit 1.0 however little it stood out, so a query
    had to say, through its length, which engine to trust; a standard score says how far a
    hit stands out from its own list's candidates, so the engine that is sure of a passage
    carries it, on material where either engine is the stronger (docs/benchmarks.md#question-sets).
    `keyword_depth`: the number of keyword candidates asked for (see _standard_scores).
    """
    words, words_missing = _standard_scores(keyword, depth=keyword_depth)
    meaning, meaning_missing = _standard_scores(semantic)
    scores = {item: (words.get(item, words_missing) + meaning.get(item, meaning_missing)) / 2
              for item in words.keys() | meaning}
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def _check_semantic(runtime: Runtime) -> None:
    runtime.refresh_vector_index()  # pgvector may have been set up since this process began
    if runtime.semantic_off_reason:
        raise EmbeddingUnavailable(runtime.semantic_off_reason)
    if not runtime.settings.semantic_search:
        raise EmbeddingUnavailable("SEMANTIC_SEARCH is off in the settings")


def warm_up(runtime: Runtime) -> Future[bool] | None:
    """Load the query embedder on the query threads, in the background, after start-up.

    The model loads lazily so that start-up never waits for torch; without this the first
    semantic or hybrid query after a start waited for the load (~4 s here) instead of
    ~15 ms (docs/benchmarks.md#first-query). The future says whether the model is ready;
    a model that cannot load is logged, and queries report it as they would anyway.
    """
    if not (runtime.semantic_available and runtime.settings.embedding_warmup):
        return None

    def load() -> bool:
        try:
            _check_semantic(runtime)
            runtime.embedder.embed(["warm-up"])
        except EmbeddingUnavailable as exc:
            log.warning("semantic search is off: %s", exc)
            return False
        return True

    return runtime.query_threads.submit(load)


def _embed_query(runtime: Runtime, text: str) -> Future[np.ndarray]:
    """Start embedding the query on the runtime's query threads.

    Hybrid search runs the keyword engine meanwhile: torch and SQLite both release the
    GIL, so the two overlap and the slower one, not their sum, sets the latency. When
    semantic search is off, the future holds EmbeddingUnavailable, raised by `result()`
    where the vector is needed, like a failure of the model itself.
    """
    try:
        _check_semantic(runtime)
    except EmbeddingUnavailable as exc:
        off: Future[np.ndarray] = Future()
        off.set_exception(exc)
        return off
    return runtime.query_threads.submit(lambda: runtime.embedder.embed([text])[0])


def _semantic(runtime: Runtime, session: Session, *, workspace_id: str,
              vector: Future[np.ndarray], filters: SearchFilters, limit: int
              ) -> list[tuple[int, float]]:
    # Filters apply after the ANN lookup, so over-fetch when they may drop candidates.
    fetch = limit * 4 if filters.any else limit
    candidates = runtime.vector_index.search(workspace_id, vector.result(), fetch,
                                             session=session)
    if not candidates:
        return []
    ids = [chunk_id for chunk_id, _ in candidates]
    allowed = set(session.scalars(scoped_chunks(
        select(Chunk.id).where(Chunk.id.in_(ids)), workspace_id=workspace_id, filters=filters)))
    return [(cid, score) for cid, score in candidates if cid in allowed][:limit]


def _hydrate(session: Session, *, workspace_id: str, ranked: list[tuple[int, float]],
             query: ParsedQuery) -> list[Hit]:
    if not ranked:
        return []
    ids = [cid for cid, _ in ranked]
    rows = session.execute(
        select(Chunk, Document.filename, Document.title, Document.media_type,
               Document.collection_id, Note.title, Note.collection_id)
        .outerjoin(Document, Document.id == Chunk.document_id)
        .outerjoin(Note, Note.id == Chunk.note_id)
        .where(Chunk.workspace_id == workspace_id, Chunk.id.in_(ids))
    ).all()
    by_id = {row[0].id: row for row in rows}
    hits: list[Hit] = []
    words = query.highlight_words
    for chunk_id, score in ranked:
        row = by_id.get(chunk_id)
        if row is None:
            continue  # deleted since the index was read
        chunk, filename, doc_title, media_type, doc_coll, note_title, note_coll = row
        is_note = chunk.note_id is not None
        hits.append(Hit(
            chunk_id=chunk.id, score=round(score, 6), document_id=chunk.document_id,
            note_id=chunk.note_id, collection_id=note_coll if is_note else doc_coll,
            title=(note_title if is_note else (doc_title or filename)) or "",
            filename=None if is_note else filename,
            media_type="note" if is_note else media_type, page=chunk.page,
            start_char=chunk.start_char, end_char=chunk.end_char,
            snippet=make_snippet(chunk.text, words)))
    return hits


def search(*, session: Session, runtime: Runtime, workspace_id: str, text: str,
           mode: SearchMode, filters: SearchFilters, limit: int, offset: int) -> SearchResult:
    settings = runtime.settings
    started = time.perf_counter()
    text = text.strip()
    if not text:
        raise InvalidInput("the query is empty")
    if len(text) > settings.search_max_query_chars:
        raise InvalidInput(f"the query is longer than {settings.search_max_query_chars} "
                           "characters")
    cache = runtime.search_cache
    if cache is None:
        return _search(session=session, runtime=runtime, workspace_id=workspace_id, text=text,
                       mode=mode, filters=filters, limit=limit, offset=offset, started=started)
    key = cache.key(workspace_id=workspace_id, version=cache.version(workspace_id), parts={
        "q": normalize_query(text), "mode": mode.value, "filters": asdict(filters),
        "limit": limit, "offset": offset})
    cached = cache.get(key)
    # An entry written before collection hits existed has no "collections": a miss.
    if cached is not None and "collections" in cached:
        return SearchResult(
            query=text, mode=mode, hits=[Hit(**h) for h in cached["hits"]],
            has_more=cached["has_more"], warnings=cached["warnings"],
            collections=[CollectionHit(**c) for c in cached["collections"]],
            took_ms=round((time.perf_counter() - started) * 1000, 2))
    result = _search(session=session, runtime=runtime, workspace_id=workspace_id, text=text,
                     mode=mode, filters=filters, limit=limit, offset=offset, started=started)
    # Collections are workspace rows: creating, renaming or deleting one bumps the
    # workspace's version (search/cache.py), so cached collection hits are never stale.
    cache.put(key, {"hits": [asdict(h) for h in result.hits], "has_more": result.has_more,
                    "warnings": result.warnings,
                    "collections": [asdict(c) for c in result.collections]})
    return result


def _search(*, session: Session, runtime: Runtime, workspace_id: str, text: str,
            mode: SearchMode, filters: SearchFilters, limit: int, offset: int,
            started: float) -> SearchResult:
    settings = runtime.settings
    query = parse_query(text)
    window = offset + limit + 1  # one extra tells whether there is a next page
    depth = max(window, settings.search_candidates)
    warnings: list[str] = []

    keyword: list[tuple[int, float]] = []
    semantic: list[tuple[int, float]] = []
    wants_vectors = mode in (SearchMode.semantic, SearchMode.hybrid)
    vector = _embed_query(runtime, text) if wants_vectors else None
    if mode in (SearchMode.keyword, SearchMode.hybrid):
        # Fusion needs a deep candidate list; keyword mode alone needs only the page (and
        # BM25 filters in SQL, so nothing is lost). Semantic keeps its depth: its filters
        # apply after the ANN lookup.
        keyword = runtime.keyword_index.search(
            session, workspace_id=workspace_id, query=query, filters=filters,
            limit=window if mode == SearchMode.keyword else depth, notes=warnings)
    if vector is not None:
        try:
            semantic = _semantic(runtime, session, workspace_id=workspace_id, vector=vector,
                                 filters=filters, limit=depth)
        except EmbeddingUnavailable as exc:
            if mode == SearchMode.semantic:
                raise ServiceUnavailable(f"semantic search is off: {exc}") from None
            reason = redact_paths(str(exc))  # EMBEDDING_MODEL may be a folder on the server
            warnings.append(f"semantic search is off ({reason}); showing keyword results")

    if mode == SearchMode.keyword:
        ranked = keyword
    elif mode == SearchMode.semantic:
        ranked = semantic
    else:
        ranked = fuse(keyword, semantic, keyword_depth=depth)
    page = ranked[offset:offset + limit + 1]
    hits = _hydrate(session, workspace_id=workspace_id, ranked=page[:limit], query=query)
    collections = _collection_hits(session, workspace_id=workspace_id, text=text,
                                   filters=filters, offset=offset)
    took = time.perf_counter() - started
    runtime.metrics.observe_query(mode.value, took)
    return SearchResult(query=text, mode=mode, hits=hits, has_more=len(page) > limit,
                        took_ms=round(took * 1000, 2), warnings=warnings,
                        collections=collections)
