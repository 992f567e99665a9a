"""The bounded PostgreSQL BM25 plan, against a real PostgreSQL: exact BM25 where it matters,
bounded work on broad queries.

The planner's thresholds are lowered (a "common" word is one in more than 3 chunks) so a
corpus of a few dozen chunks takes every branch a 100k-chunk corpus takes. Autovacuum is
off for `chunk`, so the planner statistics are exactly those each test gathers with ANALYZE.
Scores are checked against BM25 computed here, in Python, from the stored tsvectors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from casework.bootstrap import build_runtime
from casework.core.database import transaction
from casework.runtime import Runtime
from casework.search.filters import SearchFilters
from casework.search.postgres_bm25 import (
    K1,
    B,
    Bm25Statistics,
    rank_candidates,
    sample_bound,
    scored_terms,
)
from casework.search.postgres_plan import PostgresPlanner
from casework.search.query import parse_query, to_tsquery
from tests.conftest import test_settings
from tests.search.test_fts5_plan import FILLER, UNRELATED, add_chunks, workspace

pytestmark = pytest.mark.postgres

_LEXEME = re.compile(r"'((?:[^']|'')*)':([0-9A-D,]+)")


@pytest.fixture
def runtime(tmp_path: Path, postgres_url: str) -> Iterator[Runtime]:
    from casework.db.migrate import upgrade

    runtime = build_runtime(test_settings(tmp_path / "data", postgres_url))
    upgrade(runtime.engine)
    with runtime.engine.begin() as conn:
        conn.execute(text("ALTER TABLE chunk SET (autovacuum_enabled = false)"))
    yield runtime
    runtime.close()


def analyze(runtime: Runtime) -> None:
    """What autovacuum does after enough writes: the planner statistics the plan reads."""
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE chunk"))


def small_planner() -> PostgresPlanner:
    return PostgresPlanner(rare_rows=3, candidate_rows=3, broad_rows=100, stats_seconds=0,
                           lexeme_seconds=0)


def reference_bm25(session: Session, workspace_id: str, query: str, limit: int
                   ) -> list[tuple[int, float]]:
    """Textbook BM25 over every chunk of the workspace that matches the query."""
    parsed = parse_query(query)
    rows = session.execute(text(
        "SELECT id, tsv::text, tsv @@ to_tsquery('english', :q) FROM chunk "
        "WHERE workspace_id = :w"), {"w": workspace_id, "q": to_tsquery(parsed)}).all()
    docs = {i: {m[0].replace("''", "'"): len(m[1].split(",")) for m in _LEXEME.findall(v)}
            for i, v, _ in rows}
    eligible = [i for i, _, matches in rows if matches]
    n = len(docs)
    avgdl = sum(len(d) for d in docs.values()) / n
    tfs: list[dict[int, float]] = []  # per scored term: chunk -> tf
    for term in scored_terms(parsed):
        found = session.scalar(text("SELECT tsvector_to_array(to_tsvector('english', :w))"),
                               {"w": term.word})
        if len(found) != 1:
            continue  # a stop word: matches nothing
        if term.is_prefix:  # tf of a prefix: the sum of H(tf) of the lexemes it starts
            tfs.append({i: sum(sum(1 / j**2 for j in range(1, tf + 1))
                               for lex, tf in d.items() if lex.startswith(found[0]))
                        for i, d in docs.items()})
        else:
            tfs.append({i: d.get(found[0], 0) for i, d in docs.items()})
    scores = {}
    for i in eligible:
        dl = len(docs[i])
        scores[i] = 0.0
        for tf in tfs:
            df = sum(1 for value in tf.values() if value)
            if tf[i]:
                scores[i] += (math.log(1 + (n - df + 0.5) / (df + 0.5)) * tf[i] * (K1 + 1)
                              / (tf[i] + K1 * (1 - B + B * dl / avgdl)))
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


def search(planner: PostgresPlanner, session: Session, workspace_id: str, query: str,
           limit: int, notes: list[str] | None = None) -> list[tuple[int, float]]:
    return planner.search(session, workspace_id=workspace_id, query=parse_query(query),
                          filters=SearchFilters(), limit=limit, notes=notes)


def assert_same_ranking(hits: list[tuple[int, float]], expected: list[tuple[int, float]],
                        query: str = "") -> None:
    assert [h[0] for h in hits] == [e[0] for e in expected], query
    # Common words' df come from statistics stored as float4: equal to ~1e-6.
    assert [h[1] for h in hits] == pytest.approx([e[1] for e in expected], rel=1e-4), query


def test_rare_words_choose_candidates_and_common_words_still_score(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    ids = add_chunks(runtime, ws, [*FILLER,
                                   "forklift report",  # rare word only
                                   "forklift report archive ledger archive",  # rare + common
                                   "archive ledger boxes archive ledger",  # common only
                                   *UNRELATED])
    analyze(runtime)
    planner = small_planner()
    query = "forklift archive ledger"
    with transaction(runtime.read_sessions) as session:
        terms = scored_terms(parse_query(query))
        n, _ = planner.statistics.workspace(session, ws)
        lexemes = planner.statistics.lexemes(session, ws, n)
        assert "archiv" in lexemes.share
        dfs = planner.document_frequencies(session, workspace_id=ws, terms=terms, n=n,
                                           lexemes=lexemes)
        # "archive" is in 7 chunks: estimated from the workspace's sample (here all of its
        # chunks, so exact), never counted.
        assert {t.word: round(df, 3) for t, df in dfs.items()} == {
            "forklift": 2, "archive": 7, "ledger": 6}
        plan = planner.plan(parse_query(query), terms=terms, dfs=dfs, n=n)
        first = plan.candidates[0].tsquery
        assert "forklift" in first and "archive" not in first
        hits = search(planner, session, ws, query, 2)
        # Both forklift chunks, the one that also holds the common words first, with
        # their BM25 over all three words. (Over every chunk, "archive ledger boxes
        # archive ledger" would come second: the plan trades it for bounded work.)
        assert [h[0] for h in hits] == [ids[6], ids[5]]
        assert_same_ranking(hits, [h for h in reference_bm25(session, ws, query, 20)
                                   if h[0] in (ids[5], ids[6])])


def test_too_few_candidates_are_topped_up_with_rows_holding_every_common_word(
        runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    ids = add_chunks(runtime, ws, [*FILLER, "forklift incident", *UNRELATED])
    analyze(runtime)
    with transaction(runtime.read_sessions) as session:
        hits = search(small_planner(), session, ws, "forklift archive ledger", 4)
    assert hits[0][0] == ids[5]
    # Then the rows with both common words, never one with only one of them (boxes of the
    # archive) while the conjunction still has rows.
    assert {h[0] for h in hits[1:]} <= {ids[0], ids[1], ids[3], ids[4]}
    assert len(hits) == 4


def test_a_query_of_common_words_ranks_their_conjunction(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    ids = add_chunks(runtime, ws, [*FILLER, "archive of the museum", "ledger of the museum",
                                   *UNRELATED])
    analyze(runtime)
    with transaction(runtime.read_sessions) as session:
        notes: list[str] = []
        hits = search(small_planner(), session, ws, "archive ledger", 3, notes)
        both = [i for i, _ in reference_bm25(session, ws, "archive ledger", 20)
                if i in (ids[0], ids[1], ids[3], ids[4])]
        assert [h[0] for h in hits] == both[:3]
        assert_same_ranking(hits, [h for h in reference_bm25(session, ws, "archive ledger",
                                                             20) if h[0] in both][:3])
    assert notes == []  # four rows hold both: under the broad limit


def test_too_few_rows_with_every_common_word_widen_to_fewer_words(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    add_chunks(runtime, ws, [*FILLER, *UNRELATED])
    analyze(runtime)
    with transaction(runtime.read_sessions) as session:
        # No chunk holds archive, ledger and tomatoes: drop the most common word, then
        # any of them; the hits are still ranked by BM25 over all three.
        hits = search(small_planner(), session, ws, "archive ledger tomatoes", 20)
        assert_same_ranking(hits, reference_bm25(session, ws, "archive ledger tomatoes", 20))


def test_a_broad_query_ranks_only_the_newest_rows_and_says_so(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    ids = add_chunks(runtime, ws, [f"archive ledger entry {n}" for n in range(12)])
    analyze(runtime)
    planner = PostgresPlanner(rare_rows=2, candidate_rows=2, broad_rows=5, stats_seconds=0)
    notes: list[str] = []
    with transaction(runtime.read_sessions) as session:
        hits = search(planner, session, ws, "archive ledger", 10, notes)
    assert {h[0] for h in hits} == set(ids[-5:])
    assert notes and "newest 5" in notes[0]


def test_results_stay_inside_the_callers_workspace(runtime: Runtime) -> None:
    mine, theirs = workspace(runtime, "mine"), workspace(runtime, "theirs")
    add_chunks(runtime, theirs, ["forklift archive", "forklift ledger"])
    own = add_chunks(runtime, mine, [*FILLER, "forklift archive"])
    analyze(runtime)
    with transaction(runtime.read_sessions) as session:
        hits = search(small_planner(), session, mine, "forklift archive", 10)
    assert hits[0][0] == own[-1]
    assert {h[0] for h in hits} <= set(own)


def test_a_small_workspace_gets_exact_bm25(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    add_chunks(runtime, ws, [*FILLER, "forklift archive", "incident ledger boxes",
                             "the ledger of the forklift incident"])
    analyze(runtime)
    with transaction(runtime.read_sessions) as session:
        for query in ("forklift ledger", "archive", "boxes incident archive",
                      '"the ledger"', "forkl* archive", '"ledger of the" forklift'):
            hits = search(PostgresPlanner(), session, ws, query, 10)
            assert_same_ranking(hits, reference_bm25(session, ws, query, 10), query)


def test_another_workspaces_volume_never_moves_the_plan_or_the_scores(
        runtime: Runtime) -> None:
    """Common words' df used to be the whole table's share (pg_stats) times the workspace's
    size: another tenant's passages moved this workspace's scores and which of its rows a
    query ranked."""
    mine, theirs = workspace(runtime, "mine"), workspace(runtime, "theirs")
    add_chunks(runtime, mine, [*FILLER, "forklift report", "forklift archive ledger",
                               *UNRELATED])
    analyze(runtime)
    queries = ["forklift archive ledger", "archive ledger", "ledger boxes", "forklift"]
    with transaction(runtime.read_sessions) as session:
        before = {q: search(small_planner(), session, mine, q, 10) for q in queries}
    add_chunks(runtime, theirs, [f"archive ledger boxes forklift {n}" for n in range(60)])
    analyze(runtime)
    with transaction(runtime.read_sessions) as session:
        after = {q: search(small_planner(), session, mine, q, 10) for q in queries}
    assert after == before


def test_a_word_common_here_but_not_in_the_sample_is_counted_up_to_the_cap(
        runtime: Runtime) -> None:
    """A word that became common after the workspace's sample was taken is not in it: its
    count stops at the cap and it stays out of the candidates, so its posting list is
    never read whole."""
    ws = workspace(runtime, "one")
    add_chunks(runtime, ws, [*FILLER, *UNRELATED])
    planner = PostgresPlanner(rare_rows=3, candidate_rows=3, broad_rows=100, stats_seconds=0)
    with transaction(runtime.read_sessions) as session:
        n, _ = planner.statistics.workspace(session, ws)
        planner.statistics.lexemes(session, ws, n)  # sampled now, kept 600 s
    ids = add_chunks(runtime, ws, [f"zeppelin hangar {n}" for n in range(8)]
                     + ["forklift zeppelin"])
    with transaction(runtime.read_sessions) as session:
        terms = scored_terms(parse_query("zeppelin forklift"))
        n, _ = planner.statistics.workspace(session, ws)
        lexemes = planner.statistics.lexemes(session, ws, n)
        assert "zeppelin" not in lexemes.share
        dfs = planner.document_frequencies(session, workspace_id=ws, terms=terms, n=n,
                                           lexemes=lexemes)
        assert {t.word: df for t, df in dfs.items()}["forklift"] == 1
        assert {t.word: df for t, df in dfs.items()}["zeppelin"] >= 4  # the cap
        hits = search(planner, session, ws, "zeppelin forklift", 1)
    assert hits[0][0] == ids[-1]


def test_a_workspace_is_sampled_by_its_own_texts(runtime: Runtime) -> None:
    """Past `sample_rows` the common lexemes come from the chunks whose content hash falls
    below a bound: the same sample every time, whatever other workspaces hold."""
    mine, theirs = workspace(runtime, "mine"), workspace(runtime, "theirs")
    add_chunks(runtime, mine, [f"archive ledger entry {n}" for n in range(40)]
               + [f"tomatoes bed {n}" for n in range(40)])
    statistics = Bm25Statistics(stats_seconds=0, lexeme_seconds=0, sample_rows=20)
    with transaction(runtime.read_sessions) as session:
        first = statistics.lexemes(session, mine, 80)
    add_chunks(runtime, theirs, [f"archive tomatoes {n}" for n in range(60)])
    with transaction(runtime.read_sessions) as session:
        again = statistics.lexemes(session, mine, 80)
    assert again == first
    assert 0.2 < first.share["archiv"] < 0.8 and 0.2 < first.share["tomato"] < 0.8
    assert sample_bound(80, 100) == "g" and sample_bound(80, 20) == "40000000"


def test_walking_newest_first_and_reading_the_index_find_the_same_candidates(
        runtime: Runtime) -> None:
    """The two shapes of the candidates statement differ in cost, never in results."""
    ws = workspace(runtime, "one")
    add_chunks(runtime, ws, [*FILLER, *UNRELATED, "archive of the ledger archive"])
    query = parse_query("archive ledger")
    terms = scored_terms(query)
    with transaction(runtime.read_sessions) as session:
        ranked = [rank_candidates(
            session, workspace_id=ws, candidates=to_tsquery(query), terms=terms,
            dfs=[6.0, 5.0], filters=SearchFilters(), limit=10, newest=3, n=14, avgdl=3.0,
            walk=walk) for walk in (True, False)]
    assert ranked[0] == ranked[1]
    hits, matched = ranked[0]
    assert matched == 4 and len(hits) == 3  # the newest 3 of 7 candidates, and one more
