"""PostgreSQL's BM25 for tantivy's best candidates (KEYWORD_ENGINE=tantivy on PostgreSQL).

Why not the FTS5-style rescoring of search/tantivy_rescore.py: on PostgreSQL the exact
ranking a user would otherwise get is PostgreSQL's own BM25 (search/postgres_bm25.py),
whose words are PostgreSQL's `english` lexemes (stop words dropped, a passage's length
its count of distinct lexemes). Scored by tantivy's words instead (stop words kept), the
top 10 agreed with it on 0.757 at 10,000 passages. So tantivy only chooses the
candidates, and PostgreSQL scores them with its own statement (`rank_listed`: one row per
candidate, read by primary key), given each word's document frequency from tantivy's
index, which counts it without reading the postings of a common word in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from casework.search.postgres_bm25 import Bm25Statistics, ScoredTerm, rank_listed, scored_terms
from casework.search.query import ParsedQuery
from casework.search.tantivy_query import TantivyQueries
from casework.search.tantivy_rescore import ranked
from casework.search.tantivy_shard import Shard

STALE_ROUNDS = 3  # asks of tantivy for more candidates when changed ones took places


def ranked_by_postgres(session: Session, *, shard: Shard, queries: TantivyQueries,
                       parsed: ParsedQuery, limit: int, depth: int, pool: int,
                       keep: Callable[[list[int]], set[int]] | None,
                       statistics: Bm25Statistics, changed: frozenset[int] = frozenset()
                       ) -> tuple[list[tuple[int, float]], int]:
    """(chunk id, score) best first, and how many hits tantivy gave: tantivy's best
    `max(limit, depth)` (of its `pool` when filtered), ranked by PostgreSQL's BM25.

    `changed`: chunks whose changes the index lacks (a process reading an index another
    one writes, search/tantivy_postgres.py). What the index holds of them is stale, so
    they are not counted among tantivy's best; each still in the database is a candidate
    of its own, scored from its row (a deleted one is no longer there)."""
    want = max(limit, depth)
    found, looked = ranked(session, shard=shard, queries=queries, parsed=parsed,
                           limit=want, depth=0, pool=pool, keep=keep)
    if changed:
        found, looked = _without_stale(
            found, looked, changed, want=want, asked=max(want, pool),
            search=lambda more: ranked(session, shard=shard, queries=queries, parsed=parsed,
                                       limit=more, depth=0, keep=keep))
        written = sorted(changed) if keep is None else sorted(keep(sorted(changed)))
        found += [(chunk_id, 0.0) for chunk_id in written]
    elif not depth or not found:
        return found[:limit], looked
    if not found:
        return [], looked
    terms = scored_terms(parsed)
    searcher = shard.index.searcher()
    dfs = [_document_frequency(searcher, queries, term) for term in terms]
    # N is memoised for a few seconds, the index is current: a word in more passages than
    # that N counts would get a negative IDF and its passages would be left out.
    n, avgdl = statistics.workspace(session, shard.workspace_id)
    hits = rank_listed(session, workspace_id=shard.workspace_id,
                       ids=[chunk_id for chunk_id, _ in found], terms=terms, dfs=dfs,
                       n=max([n, searcher.num_docs, *dfs]), avgdl=avgdl)
    return hits[:limit], looked


def _without_stale(found: list[tuple[int, float]], looked: int, changed: frozenset[int],
                   *, want: int, asked: int,
                   search: Callable[[int], tuple[list[tuple[int, float]], int]]
                   ) -> tuple[list[tuple[int, float]], int]:
    """tantivy's best `want` that are not among `changed`, asking it for more (a few
    rounds at most) while stale ones took their places and it has more to give."""
    for _ in range(STALE_ROUNDS):
        fresh = [hit for hit in found if hit[0] not in changed]
        stale = len(found) - len(fresh)
        if not stale or len(fresh) >= want or looked < asked:
            return fresh[:want], looked
        asked += stale
        found, looked = search(asked)
    return [hit for hit in found if hit[0] not in changed][:want], looked


def _document_frequency(searcher: Any, queries: TantivyQueries, term: ScoredTerm) -> float:
    """How many passages hold the word (or a word the prefix stands for): one lookup for
    a word that is one token, a count of its matches otherwise."""
    tokens = queries.analyzer.analyze(term.word)
    if not tokens:
        return 0.0
    if len(tokens) == 1 and not term.is_prefix:
        return float(searcher.doc_freq("text", tokens[0]))
    alone = (ParsedQuery(prefixes=[term.word]) if term.is_prefix
             else ParsedQuery(terms=[term.word]))
    compiled = queries.compile(searcher, alone)
    if compiled is None:
        return 0.0
    return float(searcher.search(compiled, 1, count=True).count)
