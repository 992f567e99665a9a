"""Which chunks PostgreSQL's BM25 scores for a query: a bounded plan, like FTS5's.

Scoring every chunk that matches an OR of natural-language words took ~1 s per query at
100,000 chunks (docs/benchmarks.md#postgres-latency): such a query matches most of the
workspace. The plan is the one search/fts5_plan.py follows (rare words choose the
candidates, every word scores them, a query of common words only starts from a conjunction
of its rarest words).

* Every word's document frequency is the caller's workspace's own (issue #15: another
  tenant's passages must not move a score or the plan). GIN reads a word's whole posting
  list even under LIMIT (~10 ms for a word in half of 100k chunks), and counting its
  matches in a workspace fetches every one of them from the table (40-120 ms), so a
  common word is never counted: its share comes from `ts_stat` over a sample of about
  3,000 of the workspace's chunks (`Bm25Statistics.lexemes`, memoised 600 s; chosen by
  content hash, so it depends on the workspace's texts alone), times the workspace's
  chunk count. Words not listed (in fewer than 3 sampled chunks) are counted in the
  workspace, exactly, up to a cap of `candidate_rows` + 1 (a word past the cap is common
  there, its df estimated; docs/benchmarks.md#postgres-workspace-sample).
* Rare words (df up to `rare_rows`, together up to `candidate_rows`) choose the
  candidates: the chunks holding any of them. Each candidate is scored over **all** the
  words, so among candidates the order is exactly BM25's; common words are only tested
  against a candidate's own tsvector, never looked up in the index. If the candidates
  give fewer hits than asked for, the chunks holding every common word are added.
* A query of common words only ranks the conjunction of its rarest words: the fewest
  whose estimated conjunction (N x the product of their shares) is at most `rare_rows`.
  While that gives fewer hits than asked for, the most common chosen word is dropped,
  and a last resort is any of the words.
* Every statement scores at most the workspace's newest `broad_rows` of its candidates;
  when it had more, the response says so, as FTS5's plan does.

A workspace of at most `candidate_rows` chunks is ranked exactly
(`postgres_bm25.rank_exact`), so small corpora get exact BM25.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from casework.search.filters import SearchFilters
from casework.search.postgres_bm25 import (
    Bm25Statistics,
    LexemeStatistics,
    ScoredTerm,
    rank_candidates,
    rank_exact,
    scored_terms,
)
from casework.search.query import ParsedQuery, to_tsquery

RARE_ROWS = 1000  # a word in more chunks than this is common: it never chooses candidates
CANDIDATE_ROWS = 2000  # rare words beyond this many chunks together become common ones
BROAD_ROWS = 2000  # a statement scores at most its newest this many candidates


@dataclass(frozen=True, slots=True)
class _Candidates:
    tsquery: str
    estimate: float  # chunks expected to match


@dataclass(frozen=True, slots=True)
class _Plan:
    """The candidate sets, tried in order until enough hits are found."""

    candidates: list[_Candidates]


def _any(queries: list[str]) -> str:
    return queries[0] if len(queries) == 1 else "(" + " | ".join(queries) + ")"


def _all(queries: list[str]) -> str:
    return " & ".join(queries)


class PostgresPlanner:
    """Turns a parsed query into a bounded set of BM25 statements and runs them."""

    def __init__(self, *, rare_rows: int = RARE_ROWS, candidate_rows: int = CANDIDATE_ROWS,
                 broad_rows: int = BROAD_ROWS, stats_seconds: float = 30.0,
                 lexeme_seconds: float = 600.0) -> None:
        self.rare_rows = rare_rows
        self.candidate_rows = candidate_rows
        self.broad_rows = broad_rows
        self.statistics = Bm25Statistics(stats_seconds=stats_seconds,
                                         lexeme_seconds=lexeme_seconds)

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        """(chunk id, BM25) best first.

        A statement with more candidates than `broad_rows` scores only the newest of
        them and says so in `notes`.
        """
        if query.is_empty:
            return []
        n, avgdl = self.statistics.workspace(session, workspace_id)
        if n <= self.candidate_rows:
            return rank_exact(session, workspace_id=workspace_id, query=query,
                              filters=filters, limit=limit, n=n, avgdl=avgdl)
        terms = scored_terms(query)
        lexemes = self.statistics.lexemes(session, workspace_id, n)
        dfs = self.document_frequencies(session, workspace_id=workspace_id, terms=terms,
                                        n=n, lexemes=lexemes)
        plan = self.plan(query, terms=terms, dfs=dfs, n=n)
        scores: dict[int, float] = {}
        broad = False
        for candidates in plan.candidates:
            hits, matched = rank_candidates(
                session, workspace_id=workspace_id, candidates=candidates.tsquery,
                terms=terms, dfs=[float(dfs[t]) for t in terms], filters=filters,
                limit=limit, newest=self.broad_rows, n=n, avgdl=avgdl,
                # Walking newest first visits ~broad_rows * n / estimate chunks to find
                # broad_rows candidates; reading the index fetches all `estimate` of them.
                walk=candidates.estimate ** 2 > self.broad_rows * n)
            for chunk_id, score in hits:
                scores.setdefault(chunk_id, score)
            if matched > self.broad_rows:
                broad = True  # a broader statement would only cut deeper
                break
            if len(scores) >= limit:
                break
        if broad and notes is not None:
            notes.append(f"the words match too many passages to rank them all: ranked "
                         f"the newest {self.broad_rows:,}; add a rarer word or a "
                         "\"phrase\" to narrow the search")
        ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
        return ranked[:limit]

    def document_frequencies(self, session: Session, *, workspace_id: str,
                             terms: list[ScoredTerm], n: int, lexemes: LexemeStatistics
                             ) -> dict[ScoredTerm, float]:
        """Each term's df in the workspace: estimated when common, else counted."""
        words = session.execute(text(
            "SELECT tsvector_to_array(to_tsvector('english', t.w)) "
            "FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS t(w, i) ORDER BY t.i"),
            {"words": [t.word for t in terms]}).scalars().all()
        dfs: dict[ScoredTerm, float] = {}
        for term, found in zip(terms, words, strict=True):
            share = _share(lexemes, term, list(found or []))
            if share is not None and share * n > self.rare_rows:
                dfs[term] = share * n
        uncounted = [t for t in terms if t not in dfs]
        if uncounted:
            cap = self.candidate_rows + 1
            counts = session.execute(text(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM chunk WHERE workspace_id = :w "
                "AND tsv @@ to_tsquery('english', t.q) LIMIT :cap) AS s) "
                "FROM unnest(CAST(:queries AS text[])) WITH ORDINALITY AS t(q, i) "
                "ORDER BY t.i"),
                {"w": workspace_id, "cap": cap,
                 "queries": [t.tsquery for t in uncounted]}).scalars().all()
            for term, count in zip(uncounted, counts, strict=True):
                # Past the cap a word is common here though rarer in the sample: its
                # share is at most the sample's floor, its count at least the cap.
                dfs[term] = float(count) if count < cap else max(cap, lexemes.floor * n)
        return dfs

    def plan(self, query: ParsedQuery, *, terms: list[ScoredTerm],
             dfs: dict[ScoredTerm, float], n: int) -> _Plan:
        share = {t: min(dfs[t] / n, 1.0) for t in terms}
        by_word = {t.word: t for t in terms if not t.is_prefix}
        required = [to_tsquery(ParsedQuery(phrases=[p])) for p in query.phrases]
        required += [to_tsquery(ParsedQuery(near=[n])) for n in query.near]
        # A phrase is rarer than its words together (taken as independent).
        phrase_share = 1.0
        for word in query.required_words:
            phrase_share *= share[by_word[word]]

        def every(chosen: list[ScoredTerm]) -> _Candidates:
            estimate = n * phrase_share
            for term in chosen:
                estimate *= share[term]
            return _Candidates(_all([*required, *(t.tsquery for t in chosen)]), estimate)

        def any_of(chosen: list[ScoredTerm]) -> _Candidates:
            missing = 1.0
            for term in chosen:
                missing *= 1.0 - share[term]
            return _Candidates(_all([*required, _any([t.tsquery for t in chosen])]),
                               n * phrase_share * (1.0 - missing))

        optional = {(w, False) for w in query.terms} | {(w, True) for w in query.prefixes}
        # Rarest first; words no chunk holds choose nothing and leave the query as it is.
        words = sorted((t for t in terms if (t.word, t.is_prefix) in optional and dfs[t]),
                       key=lambda t: (dfs[t], t.word))
        if not words:
            return _Plan([every([])] if required else [])
        rare: list[ScoredTerm] = []
        total = 0.0
        for term in words:
            if dfs[term] > self.rare_rows or total + dfs[term] > self.candidate_rows:
                break
            rare.append(term)
            total += dfs[term]
        common = [t for t in words if t not in rare]
        if rare:
            candidates = [any_of(rare)]
            if len(common) > 1:
                candidates.append(every(common))
            return _Plan(candidates)
        chosen: list[ScoredTerm] = []
        for term in common:
            chosen.append(term)
            if every(chosen).estimate <= self.rare_rows:
                break
        # Broader and broader: drop the most common chosen word while hits are too few.
        candidates = [every(chosen[:k]) for k in range(len(chosen), 0, -1)]
        if len(common) > 1:
            candidates.append(any_of(common))
        return _Plan(candidates)


def _share(lexemes: LexemeStatistics, term: ScoredTerm, found: list[str]) -> float | None:
    """The share of the workspace's chunks holding the term per its sample; None if not
    listed.

    A prefix holds any listed lexeme it starts (taken as independent): an estimate from
    below, as unlisted lexemes add to it.
    """
    if len(found) != 1:
        return None  # a stop word (no lexeme) or a word PostgreSQL splits
    if not term.is_prefix:
        return lexemes.share.get(found[0])
    missing = 1.0
    for lexeme, share in lexemes.share.items():
        if lexeme.startswith(found[0]):
            missing *= 1.0 - share
    return 1.0 - missing if missing < 1.0 else None
