"""BM25 over SQLite FTS5 with a bounded amount of scoring per query.

Scoring is what costs: `bm25()` takes about 1.6 µs a matching row, and an OR of
natural-language words matched 85,000 of 100,000 chunks in 150-300 ms
(docs/benchmarks.md#keyword-plan). Most of that is wasted work: a row that holds none of
the query's rare words scores below almost any row that does, because a common word's IDF
is near zero.

When the whole OR matches at most `candidate_rows` rows (a capped count tells), it is
ranked exactly, in one statement. Otherwise the plan splits the query's words the way
Elasticsearch's `common` terms query did
(before block-max WAND made it unnecessary there): each word's row count is read with a
capped count; words matching at most `rare_rows` rows are *rare*, the others *common*.

* Rare words choose the candidates: the rows holding any of them. Each candidate is
  scored with BM25 over **all** the words (common ones included), so among candidates
  the order is exactly FTS5's BM25. Two statements do that: `OR(rare)` scores the rare
  words, `OR(rare) AND OR(common)` scores all words on the rows that also hold a common
  one; BM25 is a sum over phrases, so the second score, where present, is the full score.
* Rows that hold no rare word only appear when there are too few candidates; then the
  rows holding every common word are added (their BM25 over the common words is their
  full score, since they hold no rare word).
* A query of common words only starts from the conjunction of its rarest words (the
  fewest needed to get under the budget, as counted), and adds the optional ones the same
  way; if no conjunction matches, it falls back to the exact OR.

Every statement runs on the caller's own FTS5 table (search/keyword_tables.py): BM25's
statistics, the capped counts and the newest-rows floor of a broad query are all the
workspace's, so nothing another workspace holds changes what this one finds or how it
scores. An unfiltered statement never looks at the `chunk` table (every row is the
caller's); collection / tag / type filters join each scored row to its chunk.

Required phrases (`"…"`) are ANDed into every statement. The result is exact BM25 for
queries whose words are all rare (every query on a small corpus), and for others the
same top ranks in the large majority of cases (0.908 of exact BM25's top 10 at 100k
chunks, docs/benchmarks.md#keyword-statistics-per-workspace).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, func, literal_column, select, table, text, union_all
from sqlalchemy.orm import Session

from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.keyword_tables import keyword_table
from casework.search.models import Chunk
from casework.search.query import ParsedQuery, fts5_phrase, fts5_prefix, fts5_required

RARE_ROWS = 1500  # a word matching more rows than this is "common" (≈2.5 ms of bm25)
CANDIDATE_ROWS = 2 * RARE_ROWS  # rare words beyond this many rows become optional ones
BROAD_ROWS = 3000  # a query matching more rows ranks only the newest this many
COUNT_TTL_SECONDS = 30.0  # how long a capped count is reused
COUNT_CACHE_SIZE = 4096  # capped counts kept (words recur across queries)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The MATCH expressions to run; each is scored with bm25 and merged."""

    primary: str  # the candidate rows
    enriched: str | None  # the candidates that also hold an optional word (full score)
    supplement: str | None  # rows outside the candidates, used only when too few
    newest_rows: int | None = None  # broad query: rank only the newest this many rows


def _any(tokens: list[str]) -> str:
    return tokens[0] if len(tokens) == 1 else "(" + " OR ".join(tokens) + ")"


def _all(tokens: list[str]) -> str:
    return " AND ".join(tokens)


def _best_first(fts: str, matches: list[str], floor: int | None,
                scope: Callable[[Select], Select]) -> Select:
    """(id, rank) of the rows of any of `matches` in the FTS5 table `fts`, best first,
    each at its lowest bm25.

    `scope` adds to each statement what it needs beyond FTS5 (the join and the filters, or
    nothing); `floor` skips to the newest rows in every posting list.
    """
    rank, rowid = literal_column(f"bm25({fts})"), literal_column(f"{fts}.rowid")
    parts = []
    for i, match in enumerate(matches):
        part = (select(rowid.label("id"), rank.label("rank")).select_from(table(fts))
                .where(text(f"{fts} MATCH :match_{i}").bindparams(**{f"match_{i}": match})))
        part = scope(part if floor is None else part.where(floor <= rowid))
        parts.append(part)
    if len(parts) == 1:
        return parts[0].order_by(literal_column("rank"), rowid)
    rows = union_all(*parts).subquery("scored")
    best = func.min(rows.c.rank).label("rank")
    return select(rows.c.id, best).group_by(rows.c.id).order_by(best, rows.c.id)


class Fts5Planner:
    """Turns a parsed query into a bounded set of FTS5 statements and runs them."""

    def __init__(self, *, rare_rows: int = RARE_ROWS, candidate_rows: int = CANDIDATE_ROWS,
                 broad_rows: int = BROAD_ROWS, count_ttl: float = COUNT_TTL_SECONDS) -> None:
        self.rare_rows = rare_rows
        self.candidate_rows = candidate_rows
        self.broad_rows = broad_rows
        self.count_ttl = count_ttl
        self._counts: OrderedDict[tuple[str, str, int], tuple[float, int]] = OrderedDict()
        self._counts_lock = threading.Lock()

    def _rows(self, session: Session, fts: str, match: str, cap: int) -> int:
        """How many rows of `fts` match, counting no further than `cap` (cost ∝ min(count,
        cap)).

        Counting a common word to its cap is ~0.5 ms and a plan makes several; the same
        words recur across queries, so counts are reused for `count_ttl` seconds (per
        workspace table). They only choose the plan (which rows are scored), never a score
        or a match, and they only drift with the workspace's corpus: a stale one costs a
        little speed or overlap, not a wrong hit.
        """
        key = (fts, match, cap)
        now = time.monotonic()
        with self._counts_lock:
            cached = self._counts.get(key)
            if cached is not None and now - cached[0] < self.count_ttl:
                self._counts.move_to_end(key)
                return cached[1]
        count = self._matching(session, fts, match, None, cap)
        with self._counts_lock:
            self._counts[key] = (now, count)
            self._counts.move_to_end(key)
            while len(self._counts) > COUNT_CACHE_SIZE:
                self._counts.popitem(last=False)
        return count

    def forget_counts(self) -> None:
        """Drop the reused counts (benchmarks time each pass from cold)."""
        with self._counts_lock:
            self._counts.clear()

    def plan(self, session: Session, query: ParsedQuery, *, workspace_id: str) -> _Plan:
        fts = keyword_table(workspace_id)
        required = fts5_required(query)
        words = [fts5_phrase([t]) for t in query.terms] + [fts5_prefix(p)
                                                           for p in query.prefixes]
        if not words:
            return _Plan(_all(required), None, None)
        exact = _all([*required, _any(words)])
        if self._rows(session, fts, exact, self.candidate_rows + 1) <= self.candidate_rows:
            return _Plan(exact, None, None)  # few enough rows: exact BM25 in one statement
        cap = self.rare_rows + 1
        counts = {w: self._rows(session, fts, w, cap) for w in words}
        rare: list[str] = []
        total = 0
        for word in sorted(words, key=counts.__getitem__):
            if counts[word] > self.rare_rows or total + counts[word] > self.candidate_rows:
                break
            rare.append(word)
            total += counts[word]
        # Longer words first: past the cap their counts are unknown, and length is the
        # cheapest rarity signal there is (Zipf).
        common = sorted((w for w in words if w not in rare), key=len, reverse=True)
        if rare:
            primary = _all([*required, _any(rare)])
            enriched = _all([primary, _any(common)]) if common else None
            supplement = _all([*required, *common]) if len(common) > 1 else None
            return _Plan(primary, enriched, supplement)
        # Only common words: require the fewest of them that bring the rows under budget.
        chosen: list[str] = []
        found = 0
        for word in common:
            trial = [*chosen, word]
            trial_found = self._rows(session, fts, _all([*required, *trial]), cap)
            if trial_found == 0:
                continue  # this word empties the conjunction: leave it optional
            chosen, found = trial, trial_found
            if found <= self.rare_rows:
                break
        if not chosen:  # no conjunction matches: any of the words
            return _Plan(exact, None, None, self._broad(session, fts, exact))
        optional = [w for w in common if w not in chosen]
        primary = _all([*required, *chosen])
        enriched = _all([primary, _any(optional)]) if optional else None
        broad = self._broad(session, fts, primary) if found > self.rare_rows else None
        return _Plan(primary, enriched, None, broad)

    def _broad(self, session: Session, fts: str, match: str) -> int | None:
        """`broad_rows` if the match is broader than that, else None (rank all of it)."""
        found = self._rows(session, fts, match, self.broad_rows + 1)
        return self.broad_rows if found > self.broad_rows else None

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        """(chunk id, score) best first; the score is -bm25, so higher is better.

        A broad query (more matching rows than `broad_rows`, none of its words rare)
        ranks only the workspace's newest `broad_rows` rows and says so in `notes`.
        """
        if query.is_empty:
            return []
        fts = keyword_table(workspace_id)
        plan = self.plan(session, query, workspace_id=workspace_id)
        floor = None
        if plan.newest_rows is not None:
            floor = self._newest_floor(session, fts, plan.primary, plan.newest_rows)
            if notes is not None:
                notes.append(f"the words match too many passages to rank them all: ranked "
                             f"the newest {plan.newest_rows:,}; add a rarer word or a "
                             "\"phrase\" to narrow the search")
        # Candidates scored on the rare words, and again on all words where they hold a
        # common one: bm25 is a sum over the query's phrases (negative: lower is better), so
        # the lower of a row's two scores is its full score. SQLite merges and keeps the top
        # `limit`; only those rows reach Python.
        matches = [plan.primary, plan.enriched] if plan.enriched else [plan.primary]
        ranked = self._scored(session, fts, matches, workspace_id, filters, limit, floor)
        if plan.supplement and len(ranked) < limit:
            seen = {chunk_id for chunk_id, _ in ranked}
            ranked += [(chunk_id, score) for chunk_id, score in self._scored(
                session, fts, [plan.supplement], workspace_id, filters, limit, None)
                if chunk_id not in seen]
            ranked = sorted(ranked, key=lambda pair: (pair[1], pair[0]))[:limit]
        return [(chunk_id, -float(score)) for chunk_id, score in ranked]

    @staticmethod
    def _matching(session: Session, fts: str, match: str, floor: int | None, cap: int) -> int:
        """How many rows match (at or above `floor`), counting no further than `cap`."""
        return session.execute(text(
            f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH :m "  # noqa: S608
            "AND rowid >= :f LIMIT :c)"), {"m": match, "f": floor or 0, "c": cap}).scalar_one()

    @staticmethod
    def _newest_floor(session: Session, fts: str, match: str, rows: int) -> int:
        """The rowid of the workspace's `rows`-th newest match: FTS5 walks rowids without
        scoring."""
        return session.execute(text(
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH :m ORDER BY rowid DESC "  # noqa: S608
            "LIMIT 1 OFFSET :n"), {"m": match, "n": rows - 1}).scalar_one()

    @staticmethod
    def _scored(session: Session, fts: str, matches: list[str], workspace_id: str,
                filters: SearchFilters, limit: int, floor: int | None
                ) -> list[tuple[int, float]]:
        """The best `limit` rows of any of `matches`, each row at its lowest bm25.

        Unfiltered, FTS5 ranks alone: every row of the table is the workspace's. Filters
        need the chunk row, so each scored row is joined to it (still scoped to the
        workspace, so an unscoped statement never appears).
        """
        def scope(part: Select) -> Select:
            if not filters.any:
                return part
            joined = part.join(Chunk, Chunk.id == literal_column(f"{fts}.rowid"))
            return scoped_chunks(joined, workspace_id=workspace_id, filters=filters)

        stmt = _best_first(fts, matches, floor, scope).limit(limit)
        return [(row[0], row[1]) for row in session.execute(stmt).all()]
