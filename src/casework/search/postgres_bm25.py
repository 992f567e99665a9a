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
- df: how many chunks of the workspace hold each term. `rank_exact` counts it over the
  matches (every chunk holding any query term matches the OR query, so the count is
  exact); `rank_candidates` is given it by the plan (search/postgres_plan.py), which
  counts rare words in the workspace and estimates common ones from a sample of the
  workspace's own chunks (`Bm25Statistics.lexemes`);
- N and average length: per workspace, from one aggregate memoised for a few seconds (a
  change moves them by a fraction of a percent; matching itself is never stale).

Every statistic is the caller's workspace's own: another tenant's passages never move a
score (a score would otherwise tell how many passages elsewhere hold a word, issue #15).
Nothing is maintained at write time, so concurrent ingest in one workspace never contends
on shared counter rows. Document length is the tsvector's lexeme count (stop words are not
indexed); k1/b as FTS5's; idf is Lucene's non-negative ln(1 + (N - df + .5)/(df + .5)).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Float, Integer, column, select, text
from sqlalchemy.orm import Session

from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.models import Chunk
from casework.search.query import ParsedQuery, to_tsquery

K1 = 1.2
B = 0.75
SAMPLE_ROWS = 3000  # chunks of a workspace sampled for its common lexemes
MIN_SAMPLED = 3  # a lexeme in fewer sampled chunks is not listed (rare: counted instead)
LEXEME_CACHE_WORKSPACES = 1000  # workspaces whose lexemes are kept before all are dropped

# tf per (chunk, term) comes from ts_rank, idf from df: see the module docstring.
_EXACT_SQL = """
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
           * tf.tf * (:k1 + 1) / (tf.tf + :k1 * (1 - :b + :b * tf.dl / :avgdl))) AS score,
       0 AS matched
FROM tf JOIN df USING (i)
GROUP BY tf.id
"""

@dataclass(frozen=True, slots=True)
class ScoredTerm:
    """One word (or prefix) that contributes to a chunk's score."""

    word: str
    tsquery: str  # to_tsquery('english', …) input matching it alone
    is_prefix: bool


def scored_terms(query: ParsedQuery) -> list[ScoredTerm]:
    """Every word scores: plain words, prefixes, and the words of required phrases and
    proximities."""
    phrase_words = query.required_words
    # A word typed twice (alone and in a phrase) scores once.
    words = dict.fromkeys([(w, False) for w in query.terms]
                          + [(w, True) for w in query.prefixes]
                          + [(w, False) for w in phrase_words])
    return [ScoredTerm(w, to_tsquery(ParsedQuery(prefixes=[w]) if prefix
                                     else ParsedQuery(terms=[w])), prefix)
            for w, prefix in words]


@dataclass(frozen=True, slots=True)
class LexemeStatistics:
    """The common lexemes of one workspace, from a sample of its chunks.

    `share` is the fraction of the workspace's chunks holding the lexeme; `floor` the
    smallest share listed, above which no unlisted lexeme lies (within sampling error).
    """

    share: dict[str, float]
    floor: float


def sample_bound(n: int, rows: int) -> str:
    """The `content_hash` bound below which about `rows` of `n` chunks lie.

    A chunk's content_hash is the SHA-256 of its text, uniform over hex strings, so
    `content_hash < bound` is a random sample that depends on the workspace's own texts
    alone (never on ids, which other tenants' writes interleave), and the index
    (workspace_id, content_hash) reads just the sampled rows.
    """
    if n <= rows:
        return "g"  # above every hex digit: the whole workspace
    return format(int(rows / n * 16**8), "08x")


class Bm25Statistics:
    """Per-workspace N and mean length, and its common lexemes, memoised.

    N and the mean length are one aggregate, kept `stats_seconds`. The common lexemes come
    from `ts_stat` over a sample of about `sample_rows` of the workspace's chunks (its own
    ANALYZE, in effect), kept `lexeme_seconds`: a common word's share moves slowly, and
    the sample costs ~100 ms at 100k chunks (docs/benchmarks.md#postgres-workspace-sample).
    """

    def __init__(self, *, stats_seconds: float = 30.0, lexeme_seconds: float = 600.0,
                 sample_rows: int = SAMPLE_ROWS) -> None:
        self.stats_seconds = stats_seconds
        self.lexeme_seconds = lexeme_seconds
        self.sample_rows = sample_rows
        self._workspaces: dict[str, tuple[float, int, float]] = {}
        self._lexemes: dict[str, tuple[float, LexemeStatistics]] = {}
        self._lock = threading.Lock()

    def workspace(self, session: Session, workspace_id: str) -> tuple[int, float]:
        """(chunks, mean lexemes per chunk) of the workspace."""
        now = time.monotonic()
        with self._lock:
            cached = self._workspaces.get(workspace_id)
        if cached is not None and now - cached[0] < self.stats_seconds:
            return cached[1], cached[2]
        n, avgdl = session.execute(text(
            "SELECT count(*), coalesce(avg(length(tsv)), 0) FROM chunk "
            "WHERE workspace_id = :w"), {"w": workspace_id}).one()
        with self._lock:
            self._workspaces[workspace_id] = (now, int(n), float(avgdl))
        return int(n), float(avgdl)

    def lexemes(self, session: Session, workspace_id: str, n: int) -> LexemeStatistics:
        """The workspace's common lexemes, from its own sample (see `sample_bound`)."""
        now = time.monotonic()
        with self._lock:
            cached = self._lexemes.get(workspace_id)
        if cached is not None and now - cached[0] < self.lexeme_seconds:
            return cached[1]
        params = {"w": workspace_id, "bound": sample_bound(n, self.sample_rows)}
        sampled = session.execute(text(
            "SELECT count(*) FROM chunk WHERE workspace_id = :w AND content_hash < :bound"),
            params).scalar_one()
        rows = session.execute(text(
            "SELECT word, ndoc FROM ts_stat(format('SELECT tsv FROM chunk "
            "WHERE workspace_id = %L AND content_hash < %L', "
            "CAST(:w AS text), CAST(:bound AS text))) WHERE ndoc >= :least"),
            {**params, "least": MIN_SAMPLED}).all()
        size = max(int(sampled), 1)
        stats = LexemeStatistics({word: ndoc / size for word, ndoc in rows}, MIN_SAMPLED / size)
        with self._lock:
            if len(self._lexemes) > LEXEME_CACHE_WORKSPACES:
                self._lexemes.clear()
            self._lexemes[workspace_id] = (now, stats)
        return stats


def _ranked(session: Session, sql: str, *, workspace_id: str, filters: SearchFilters,
            limit: int, params: dict[str, object]) -> tuple[list[tuple[int, float]], int]:
    ranked = text(sql).bindparams(workspace_id=workspace_id, k1=K1, b=B, **params).columns(
        column("id", Integer), column("score", Float), column("matched", Integer),
    ).subquery("bm25")
    stmt = select(ranked.c.id, ranked.c.score, ranked.c.matched)
    if filters.any:
        stmt = stmt.where(ranked.c.id.in_(scoped_chunks(
            select(Chunk.id), workspace_id=workspace_id, filters=filters)))
    stmt = stmt.order_by(ranked.c.score.desc(), ranked.c.id).limit(limit)
    rows = session.execute(stmt).all()
    return [(int(i), float(score)) for i, score, _ in rows], max(
        (int(m) for _, _, m in rows), default=0)


def rank_exact(session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, n: int, avgdl: float
               ) -> list[tuple[int, float]]:
    """BM25 over every chunk matching any query word: exact, and costs all of them."""
    terms = scored_terms(query)
    # Every word OR-ed: the set df is counted over. The user's query: what may rank.
    any_query = to_tsquery(ParsedQuery(
        terms=[t.word for t in terms if not t.is_prefix],
        prefixes=[t.word for t in terms if t.is_prefix]))
    hits, _ = _ranked(session, _EXACT_SQL, workspace_id=workspace_id, filters=filters,
                      limit=limit, params={
                          "term_queries": [t.tsquery for t in terms],
                          "prefixes": [t.is_prefix for t in terms],
                          "any_query": any_query, "query": to_tsquery(query),
                          "n": float(max(n, 1)), "avgdl": max(avgdl, 1.0)})
    return hits


@functools.cache
def _candidates_sql(prefixes: tuple[bool, ...], *, walk: bool, listed: bool = False) -> str:
    """The candidates statement for terms of these kinds: one tf column per term.

    `listed`: the candidates are the chunk ids `:ids` (another engine chose them), not the
    chunks matching `:candidates`. Only term indexes are put into the text; every value
    is a bind parameter.
    """
    tf_columns = []
    for i, is_prefix in enumerate(prefixes):
        # An uncorrelated subquery: the tsquery is parsed once, not once per chunk.
        h = (f"ts_rank('{{1,1,1,1}}', tsv, (SELECT to_tsquery('english', :term_{i})), 0)"
             " * 1.6449340668482264")
        tf = h if is_prefix else f"round(1.0 / greatest(1.6449340668482264 - {h}, 1e-6) - 0.5)"
        tf_columns.append(f"{tf} AS tf_{i}")
    score = " + ".join(f":weight_{i} * tf_{i} / (tf_{i} + norm)" for i in range(len(prefixes)))
    order = "id" if walk else "id + 0"
    match = ("id = ANY(CAST(:ids AS integer[]))" if listed
             else "tsv @@ to_tsquery('english', :candidates)")
    return f"""
WITH found AS MATERIALIZED (
    SELECT id, tsv FROM chunk
    WHERE workspace_id = :workspace_id AND {match}
    ORDER BY {order} DESC LIMIT :newest + 1
),
kept AS MATERIALIZED (
    SELECT id, :k1 * (1 - :b + :b * length(tsv) / :avgdl) AS norm, {", ".join(tf_columns)}
    FROM found ORDER BY id DESC LIMIT :newest
)
SELECT id, {score or "0.0"} AS score, (SELECT count(*) FROM found) AS matched FROM kept
"""  # noqa: S608 - term indexes only


def rank_candidates(session: Session, *, workspace_id: str, candidates: str,
                    terms: list[ScoredTerm], dfs: list[float], filters: SearchFilters,
                    limit: int, newest: int, n: int, avgdl: float, walk: bool
                    ) -> tuple[list[tuple[int, float]], int]:
    """BM25 over every term for the chunks matching the tsquery `candidates` (the newest
    `newest` of them); the hits, and how many chunks matched (counted up to newest + 1).

    Each candidate is one row with one ts_rank call per term, materialised so the score
    uses each tf twice without computing it twice: the join-and-aggregate form of
    `rank_exact` cost about twice as much per (chunk, term).

    `walk`: the candidates are so many that walking the chunks newest first finds enough
    of them sooner than reading the index would, and the planner may. Otherwise the walk
    is ruled out (ordering by `id + 0`): the planner prices it by rows visited but not by
    reading and testing each one's tsvector, and took it for a conjunction of common words
    in 5 % of 100k chunks: 94 ms to find the newest 1,000, where reading the index and
    fetching all 5,000 took 32.
    """
    n = max(n, 1)
    params: dict[str, object] = {"candidates": candidates, "newest": newest,
                                 "avgdl": max(avgdl, 1.0)}
    for i, (term, df) in enumerate(zip(terms, dfs, strict=True)):
        params[f"term_{i}"] = term.tsquery
        params[f"weight_{i}"] = math.log(1 + (n - df + 0.5) / (df + 0.5)) * (K1 + 1)
    sql = _candidates_sql(tuple(t.is_prefix for t in terms), walk=walk)
    hits, matched = _ranked(session, sql, workspace_id=workspace_id, filters=filters,
                            limit=limit, params=params)
    # Chunks holding none of the terms (a required phrase of stop words) do not rank.
    return [(i, score) for i, score in hits if score > 0], matched


def rank_listed(session: Session, *, workspace_id: str, ids: list[int],
                terms: list[ScoredTerm], dfs: list[float], n: int, avgdl: float
                ) -> list[tuple[int, float]]:
    """BM25 of the chunks `ids` (chosen by another engine: search/tantivy_postgres.py),
    scored as `rank_exact` scores them given each term's document frequency; best first,
    those holding none of the terms left out."""
    if not ids or not terms:
        return []
    params: dict[str, object] = {"ids": ids, "newest": len(ids), "avgdl": max(avgdl, 1.0)}
    for i, (term, df) in enumerate(zip(terms, dfs, strict=True)):
        params[f"term_{i}"] = term.tsquery
        params[f"weight_{i}"] = math.log(1 + (max(n, 1) - df + 0.5) / (df + 0.5)) * (K1 + 1)
    sql = _candidates_sql(tuple(t.is_prefix for t in terms), walk=False, listed=True)
    hits, _ = _ranked(session, sql, workspace_id=workspace_id, filters=SearchFilters(),
                      limit=len(ids), params=params)
    return [(i, score) for i, score in hits if score > 0]
