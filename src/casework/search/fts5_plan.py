"""BM25 over SQLite FTS5 with a bounded amount of scoring per query.

FTS5 finds the rows that match a query cheaply (about 0.1 µs per row of a posting list)
but `bm25()` costs about 1.6 µs per matching row, and an OR of natural-language words
matches most of a large corpus: at 100,000 chunks a query such as "write debug messages
to a file" matched 85,000 rows and took 150-300 ms. Ranking those rows is wasted work: a
row that holds none of the query's rare words scores below almost any row that does,
because a common word's IDF is near zero.

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

An unfiltered statement ranks inside FTS5 first and only then looks at the `chunk` table:
FTS5 is one index for all workspaces, and joining each scored row to its chunk to check the
workspace cost about 1.3 µs a row, as much as `bm25()` itself (at 100,000 chunks a broad
statement's 3,000 rows took 9.1 ms joined, 5.1 ms not). So the best
max(RANKED_FIRST_FACTOR x limit, limit + RANKED_FIRST_MIN) rows of the whole index are
ranked alone and the caller's rows are picked from them. That is
exact whenever at least `limit` of them are the caller's (always so in a one-team
install): any row of the workspace further down ranks below all of them. Otherwise, and
whenever collection / tag / type filters need the join anyway, the joined statement ranks
the workspace's rows directly; a workspace that needed it is sent straight there for
`count_ttl` seconds.

Required phrases (`"…"`) are ANDed into every statement. The result is exact BM25 for
queries whose words are all rare (every query on a small corpus), and for others the
same top ranks in the large majority of cases (docs/benchmarks.md measures the overlap
with the exact ranking at 100k chunks).
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
from casework.search.models import Chunk
from casework.search.query import ParsedQuery, fts5_phrase, fts5_prefix

RARE_ROWS = 1500  # a word matching more rows than this is "common" (≈2.5 ms of bm25)
CANDIDATE_ROWS = 2 * RARE_ROWS  # rare words beyond this many rows become optional ones
BROAD_ROWS = 3000  # a query matching more rows ranks only the newest this many
COUNT_TTL_SECONDS = 30.0  # how long a capped count is reused
COUNT_CACHE_SIZE = 4096  # capped counts kept (words recur across queries)
RANKED_FIRST_FACTOR, RANKED_FIRST_MIN = 4, 20  # the index-wide top rows ranked before scoping


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


_RANK = literal_column("bm25(chunk_fts)")
_ROWID = literal_column("chunk_fts.rowid")


def _best_first(matches: list[str], floor: int | None,
                scope: Callable[[Select], Select]) -> Select:
    """(id, rank) of the rows of any of `matches`, best first, each at its lowest bm25.

    `scope` adds to each statement what it needs beyond FTS5 (the workspace join and the
    filters, or nothing); `floor` skips to the newest rows in every posting list.
    """
    parts = []
    for i, match in enumerate(matches):
        part = (select(_ROWID.label("id"), _RANK.label("rank")).select_from(table("chunk_fts"))
                .where(text(f"chunk_fts MATCH :match_{i}").bindparams(**{f"match_{i}": match})))
        part = scope(part if floor is None else part.where(floor <= _ROWID))
        parts.append(part)
    if len(parts) == 1:
        return parts[0].order_by(literal_column("rank"), _ROWID)
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
        self._counts: OrderedDict[tuple[str, int], tuple[float, int]] = OrderedDict()
        self._counts_lock = threading.Lock()
        self._minority_since: dict[str, float] = {}  # workspace -> when ranking first failed

    def _rows(self, session: Session, match: str, cap: int) -> int:
        """How many rows match, counting no further than `cap` (cost ∝ min(count, cap)).

        Counting a common word to its cap is ~0.5 ms and a plan makes several; the same
        words recur across queries, so counts are reused for `count_ttl` seconds. They
        only choose the plan (which rows are scored), never a score or a match, and they
        only drift with the corpus: a stale one costs a little speed or overlap, not a
        wrong hit.
        """
        key = (match, cap)
        now = time.monotonic()
        with self._counts_lock:
            cached = self._counts.get(key)
            if cached is not None and now - cached[0] < self.count_ttl:
                self._counts.move_to_end(key)
                return cached[1]
        count = self._matching(session, match, None, cap)
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
            self._minority_since.clear()

    def plan(self, session: Session, query: ParsedQuery) -> _Plan:
        required = [fts5_phrase(p) for p in query.phrases]
        words = [fts5_phrase([t]) for t in query.terms] + [fts5_prefix(p)
                                                           for p in query.prefixes]
        if not words:
            return _Plan(_all(required), None, None)
        exact = _all([*required, _any(words)])
        if self._rows(session, exact, self.candidate_rows + 1) <= self.candidate_rows:
            return _Plan(exact, None, None)  # few enough rows: exact BM25 in one statement
        cap = self.rare_rows + 1
        counts = {w: self._rows(session, w, cap) for w in words}
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
            trial_found = self._rows(session, _all([*required, *trial]), cap)
            if trial_found == 0:
                continue  # this word empties the conjunction: leave it optional
            chosen, found = trial, trial_found
            if found <= self.rare_rows:
                break
        if not chosen:  # no conjunction matches: any of the words
            return _Plan(exact, None, None, self._broad(session, exact))
        optional = [w for w in common if w not in chosen]
        primary = _all([*required, *chosen])
        enriched = _all([primary, _any(optional)]) if optional else None
        broad = self._broad(session, primary) if found > self.rare_rows else None
        return _Plan(primary, enriched, None, broad)

    def _broad(self, session: Session, match: str) -> int | None:
        """`broad_rows` if the match is broader than that, else None (rank all of it)."""
        found = self._rows(session, match, self.broad_rows + 1)
        return self.broad_rows if found > self.broad_rows else None

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        """(chunk id, score) best first; the score is -bm25, so higher is better.

        A broad query (more matching rows than `broad_rows`, none of its words rare)
        ranks only its newest `broad_rows` rows and says so in `notes`.
        """
        if query.is_empty:
            return []
        plan = self.plan(session, query)
        floor = None
        if plan.newest_rows is not None:
            floor = self._newest_floor(session, plan.primary, plan.newest_rows)
            if notes is not None:
                notes.append(f"the words match too many passages to rank them all: ranked "
                             f"the newest {plan.newest_rows:,}; add a rarer word or a "
                             "\"phrase\" to narrow the search")
        # Candidates scored on the rare words, and again on all words where they hold a
        # common one: bm25 is a sum over the query's phrases (negative: lower is better), so
        # the lower of a row's two scores is its full score. SQLite merges and keeps the top
        # `limit`; only those rows reach Python.
        matches = [plan.primary, plan.enriched] if plan.enriched else [plan.primary]
        ranked = self._best(session, matches, workspace_id, filters, limit, floor)
        if plan.supplement and len(ranked) < limit:
            seen = {chunk_id for chunk_id, _ in ranked}
            ranked += [(chunk_id, score) for chunk_id, score in self._best(
                session, [plan.supplement], workspace_id, filters, limit, None)
                if chunk_id not in seen]
            ranked = sorted(ranked, key=lambda pair: (pair[1], pair[0]))[:limit]
        return [(chunk_id, -float(score)) for chunk_id, score in ranked]

    def _best(self, session: Session, matches: list[str], workspace_id: str,
              filters: SearchFilters, limit: int, floor: int | None
              ) -> list[tuple[int, float]]:
        """The workspace's best `limit` rows: ranked index-wide first where that is exact.

        `matches[0]` holds every row of the others (they are it AND more words), so its
        rows are all the rows ranked.
        """
        if not filters.any and not self._is_minority(workspace_id):
            fetch = max(RANKED_FIRST_FACTOR * limit, limit + RANKED_FIRST_MIN)
            mine = self._ranked_first(session, matches, workspace_id, limit, fetch, floor)
            # Exact (module docstring) when the workspace filled the page, or when the
            # index-wide top held every matching row: a live count, never a reused one.
            if len(mine) >= limit or self._matching(session, matches[0], floor, fetch) < fetch:
                return mine
            with self._counts_lock:
                self._minority_since[workspace_id] = time.monotonic()
        return self._scored(session, matches, workspace_id, filters, limit, floor)

    def _is_minority(self, workspace_id: str) -> bool:
        with self._counts_lock:
            since = self._minority_since.get(workspace_id)
            if since is not None and time.monotonic() - since >= self.count_ttl:
                del self._minority_since[workspace_id]
                return False
            return since is not None

    @staticmethod
    def _matching(session: Session, match: str, floor: int | None, cap: int) -> int:
        """How many rows match (at or above `floor`), counting no further than `cap`."""
        return session.execute(text(
            "SELECT count(*) FROM (SELECT 1 FROM chunk_fts WHERE chunk_fts MATCH :m "
            "AND rowid >= :f LIMIT :c)"), {"m": match, "f": floor or 0, "c": cap}).scalar_one()

    @staticmethod
    def _ranked_first(session: Session, matches: list[str], workspace_id: str, limit: int,
                      fetch: int, floor: int | None) -> list[tuple[int, float]]:
        """The workspace's rows among the index-wide best `fetch` rows of any of `matches`
        (each at its lowest bm25), at most `limit`: FTS5 ranks alone, the join sees `fetch`
        rows."""
        top = _best_first(matches, floor, lambda part: part).limit(fetch).subquery("top")
        stmt = (select(top.c.id, top.c.rank).select_from(top)
                .join(Chunk, Chunk.id == top.c.id).where(Chunk.workspace_id == workspace_id)
                .order_by(top.c.rank, top.c.id).limit(limit))
        return [(row[0], row[1]) for row in session.execute(stmt).all()]

    @staticmethod
    def _newest_floor(session: Session, match: str, rows: int) -> int:
        """The rowid of the `rows`-th newest match: FTS5 walks rowids without scoring."""
        return session.execute(text(
            "SELECT rowid FROM chunk_fts WHERE chunk_fts MATCH :m ORDER BY rowid DESC "
            "LIMIT 1 OFFSET :n"), {"m": match, "n": rows - 1}).scalar_one()

    @staticmethod
    def _scored(session: Session, matches: list[str], workspace_id: str,
                filters: SearchFilters, limit: int, floor: int | None
                ) -> list[tuple[int, float]]:
        """The best `limit` rows of any of `matches`, each row at its lowest bm25."""
        def scope(part: Select) -> Select:
            joined = part.join(Chunk, Chunk.id == _ROWID)
            return scoped_chunks(joined, workspace_id=workspace_id, filters=filters)

        stmt = _best_first(matches, floor, scope).limit(limit)
        return [(row[0], row[1]) for row in session.execute(stmt).all()]
