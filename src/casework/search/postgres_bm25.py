"""BM25 on PostgreSQL: GIN finds the matching chunks, real BM25 statistics rank them.

PostgreSQL's own ts_rank/ts_rank_cd know nothing of how rare a word is across the corpus,
and rank far worse than BM25 (bench/scaleout_quality.py measures both against FTS5). Here:

- tf: occurrences of each query lexeme in a chunk, read from the chunk's stored tsvector.
  With every weight 1 and no normalisation, ts_rank of a one-lexeme query is exactly
  H(tf) / zeta(2), where H(tf) = sum_{j<=tf} 1/j^2 (PostgreSQL's calc_rank_or), and
  tf = round(1 / (zeta(2) - H) - 1/2) inverts it exactly for any tf a chunk can hold.
  That is one C call per (chunk, term), where unnesting every tsvector was 10x slower.
  A prefix term (`contr*`) matches several lexemes; its tf is estimated as the sum of
  their H values (about the number of distinct matching words).
- df: how many chunks of the workspace hold each term, counted over the same matches -
  every chunk holding any query term matches the OR query, so the count is exact;
- N and average length: per workspace, from one aggregate memoised for a few seconds (a
  change moves them by a fraction of a percent; matching itself is never stale).

Nothing is maintained at write time, so concurrent ingest in one workspace never contends
on shared counter rows. Document length is the tsvector's lexeme count (stop words are not
indexed); k1/b as FTS5's; idf is Lucene's non-negative ln(1 + (N - df + .5)/(df + .5)).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Float, Integer, column, select, text
from sqlalchemy.orm import Session

from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.models import Chunk
from casework.search.query import ParsedQuery, to_tsquery

K1 = 1.2
B = 0.75

_RANK_SQL = """
WITH qterms AS MATERIALIZED (
    SELECT t.i, to_tsquery('english', t.q) AS q, t.is_prefix
    FROM unnest(CAST(:term_queries AS text[]), CAST(:prefixes AS boolean[]))
         WITH ORDINALITY AS t(q, is_prefix, i)
),
matched AS MATERIALIZED (
    SELECT id, tsv, length(tsv) AS dl, tsv @@ to_tsquery('english', :query) AS eligible
    FROM chunk
    WHERE workspace_id = :workspace_id AND tsv @@ to_tsquery('english', :any_query)
),
postings AS MATERIALIZED (
    SELECT m.id, m.dl, m.eligible, q.i, q.is_prefix,
           ts_rank('{1,1,1,1}', m.tsv, q.q, 0) * 1.6449340668482264 AS h
    FROM matched m CROSS JOIN qterms q
    WHERE m.tsv @@ q.q
),
df AS (SELECT i, count(*) AS df FROM postings GROUP BY i),
tf AS (
    SELECT id, dl, i, CASE WHEN is_prefix THEN h
                           ELSE round(1 / greatest(1.6449340668482264 - h, 1e-6) - 0.5)
                      END AS tf
    FROM postings WHERE eligible
)
SELECT tf.id,
       sum(ln(1 + (:n - df.df + 0.5) / (df.df + 0.5))
           * tf.tf * (:k1 + 1) / (tf.tf + :k1 * (1 - :b + :b * tf.dl / :avgdl))) AS score
FROM tf JOIN df USING (i)
GROUP BY tf.id
"""


def _term_query(word: str, *, prefix: bool) -> str:
    return to_tsquery(ParsedQuery(prefixes=[word]) if prefix else ParsedQuery(terms=[word]))


class Bm25Ranker:
    def __init__(self, *, stats_seconds: float = 30.0) -> None:
        self.stats_seconds = stats_seconds
        self._stats: dict[str, tuple[float, int, float]] = {}
        self._lock = threading.Lock()

    def workspace_stats(self, session: Session, workspace_id: str) -> tuple[int, float]:
        """(chunks, mean lexemes per chunk) of the workspace, memoised briefly."""
        now = time.monotonic()
        with self._lock:
            cached = self._stats.get(workspace_id)
        if cached is not None and now - cached[0] < self.stats_seconds:
            return cached[1], cached[2]
        n, avgdl = session.execute(text(
            "SELECT count(*), coalesce(avg(length(tsv)), 0) FROM chunk "
            "WHERE workspace_id = :w"), {"w": workspace_id}).one()
        with self._lock:
            self._stats[workspace_id] = (now, int(n), float(avgdl))
        return int(n), float(avgdl)

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int) -> list[tuple[int, float]]:
        phrase_words = [w for phrase in query.phrases for w in phrase]
        term_queries = ([_term_query(w, prefix=False) for w in query.terms]
                        + [_term_query(w, prefix=True) for w in query.prefixes]
                        + [_term_query(w, prefix=False) for w in phrase_words])
        prefixes = ([False] * len(query.terms) + [True] * len(query.prefixes)
                    + [False] * len(phrase_words))
        # Every word OR-ed: the set df is counted over. The user's query: what may rank.
        any_query = to_tsquery(ParsedQuery(terms=list(query.terms) + phrase_words,
                                           prefixes=list(query.prefixes)))
        n, avgdl = self.workspace_stats(session, workspace_id)
        ranked = text(_RANK_SQL).bindparams(
            term_queries=term_queries, prefixes=prefixes, workspace_id=workspace_id,
            any_query=any_query,
            query=to_tsquery(query), n=float(max(n, 1)), avgdl=max(avgdl, 1.0), k1=K1, b=B,
        ).columns(column("id", Integer), column("score", Float)).subquery("bm25")
        stmt = select(ranked.c.id, ranked.c.score)
        if filters.any:
            stmt = stmt.where(ranked.c.id.in_(scoped_chunks(
                select(Chunk.id), workspace_id=workspace_id, filters=filters)))
        stmt = stmt.order_by(ranked.c.score.desc(), ranked.c.id).limit(limit)
        return [(int(i), float(score)) for i, score in session.execute(stmt).all()]
