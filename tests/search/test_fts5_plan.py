"""The bounded FTS5 plan: exact BM25 where it matters, bounded work on broad queries.

The planner's thresholds are lowered here (a "common" word is one in more than 3 chunks)
so a corpus of a few dozen chunks exercises every branch that a 100k-chunk corpus takes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from casework.bootstrap import build_runtime
from casework.collections.models import Collection, CollectionKind
from casework.core.database import transaction
from casework.documents.models import Document
from casework.runtime import Runtime
from casework.search import indexing
from casework.search.chunking import Passage
from casework.search.filters import SearchFilters
from casework.search.fts5_plan import Fts5Planner
from casework.search.keyword_tables import create_keyword_table, keyword_table
from casework.search.query import parse_query, to_fts5
from casework.workspaces.models import Workspace
from tests.conftest import test_settings


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    from casework.db.migrate import upgrade

    runtime = build_runtime(test_settings(tmp_path / "data"))
    upgrade(runtime.engine)
    yield runtime
    runtime.close()


def add_chunks(runtime: Runtime, workspace_id: str, texts: list[str]) -> list[int]:
    """One document per text; returns the chunk ids in order."""
    ids = []
    with transaction(runtime.sessions) as session:
        collection_id = session.scalar(select(Collection.id).where(
            Collection.workspace_id == workspace_id))
        for number, body in enumerate(texts):
            document = Document(workspace_id=workspace_id, collection_id=collection_id,
                                filename=f"d{number}.txt",
                                media_type="text/plain", size_bytes=len(body),
                                sha256=hashlib.sha256(uuid.uuid4().bytes).hexdigest())
            session.add(document)
            session.flush()
            indexing.write_chunks(session=session, workspace_id=workspace_id,
                                  document_id=document.id,
                                  passages=[Passage(1, 0, 0, len(body), body)])
            ids.append(session.scalar(text("SELECT max(id) FROM chunk")))
    return ids


def workspace(runtime: Runtime, name: str) -> str:
    with transaction(runtime.sessions) as session:
        ws = Workspace(name=name, slug=name)
        session.add(ws)
        session.flush()
        create_keyword_table(session=session, workspace_id=ws.id)
        session.add(Collection(workspace_id=ws.id, name="Case", kind=CollectionKind.case))
        return ws.id


def exact(session: Session, workspace_id: str, query: str, limit: int, *,
          match: str | None = None) -> list[int]:
    """Plain FTS5 BM25 over every matching row: what the plan must agree with."""
    fts = keyword_table(workspace_id)
    rows = session.execute(text(
        f"SELECT rowid FROM {fts} WHERE {fts} MATCH :m ORDER BY bm25({fts}) "
        "LIMIT :k"), {"m": match or to_fts5(parse_query(query)), "k": limit})
    return [r[0] for r in rows]


FILLER = ["the archive holds the ledger", "the ledger lists the archive boxes",
          "boxes of the archive", "the archive and the ledger again", "ledger archive boxes"]
# Chunks without the query's words, so "common" words stay in under half the corpus and
# keep a positive IDF (FTS5 floors the IDF of a word in most rows to almost nothing).
UNRELATED = [f"tomatoes need sun and water, bed {n}" for n in range(8)]


def test_rare_words_choose_candidates_and_common_words_still_score(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    ids = add_chunks(runtime, ws, [*FILLER,
                                   "forklift report",  # rare word only
                                   "forklift report archive ledger archive",  # rare + common
                                   "archive ledger boxes archive ledger",  # common only
                                   *UNRELATED])
    planner = Fts5Planner(rare_rows=3, candidate_rows=3, broad_rows=100)
    with transaction(runtime.read_sessions) as session:
        plan = planner.plan(session, parse_query("forklift archive ledger"), workspace_id=ws)
        assert "forklift" in plan.primary and "archive" not in plan.primary
        hits = planner.search(session, workspace_id=ws, query=parse_query(
            "forklift archive ledger"), filters=SearchFilters(), limit=2)
        # Both forklift chunks, the one that also holds the common words first, and their
        # scores are exactly FTS5's BM25 over all three words.
        assert [h[0] for h in hits] == [ids[6], ids[5]]
        assert [h[0] for h in hits] == exact(session, ws, "forklift archive ledger", 2)
        fts = keyword_table(ws)
        full = dict(session.execute(text(
            f"SELECT rowid, -bm25({fts}) FROM {fts} WHERE {fts} MATCH :m"),
            {"m": to_fts5(parse_query("forklift archive ledger"))}).all())
        assert hits[0][1] == pytest.approx(full[ids[6]])


def test_too_few_candidates_are_topped_up_with_rows_holding_every_common_word(
        runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    ids = add_chunks(runtime, ws, [*FILLER, "forklift incident", *UNRELATED])
    planner = Fts5Planner(rare_rows=3, candidate_rows=3, broad_rows=100)
    with transaction(runtime.read_sessions) as session:
        hits = planner.search(session, workspace_id=ws, query=parse_query(
            "forklift archive ledger"), filters=SearchFilters(), limit=4)
    assert hits[0][0] == ids[5]
    # Then the rows with both common words, never one with only one of them (boxes of the
    # archive) while the conjunction still has rows.
    assert {h[0] for h in hits[1:]} <= {ids[0], ids[1], ids[3], ids[4]}
    assert len(hits) == 4


def test_a_query_of_common_words_ranks_their_conjunction(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    add_chunks(runtime, ws, FILLER)
    planner = Fts5Planner(rare_rows=2, candidate_rows=2, broad_rows=100)
    with transaction(runtime.read_sessions) as session:
        plan = planner.plan(session, parse_query("archive ledger"), workspace_id=ws)
        assert plan.newest_rows is None  # three rows hold both: under the broad limit
        hits = planner.search(session, workspace_id=ws, query=parse_query("archive ledger"),
                              filters=SearchFilters(), limit=10)
        assert [h[0] for h in hits] == exact(session, ws, "", 10,
                                                match='"archive" AND "ledger"')


def test_a_broad_query_ranks_only_the_newest_rows_and_says_so(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    ids = add_chunks(runtime, ws, [f"archive ledger entry {n}" for n in range(12)])
    planner = Fts5Planner(rare_rows=2, candidate_rows=2, broad_rows=5)
    notes: list[str] = []
    with transaction(runtime.read_sessions) as session:
        hits = planner.search(session, workspace_id=ws, query=parse_query("archive ledger"),
                              filters=SearchFilters(), limit=10, notes=notes)
    assert {h[0] for h in hits} == set(ids[-5:])
    assert notes and "newest 5" in notes[0]


def test_results_stay_inside_the_callers_workspace(runtime: Runtime) -> None:
    mine, theirs = workspace(runtime, "mine"), workspace(runtime, "theirs")
    add_chunks(runtime, theirs, ["forklift archive", "forklift ledger"])
    own = add_chunks(runtime, mine, [*FILLER, "forklift archive"])
    planner = Fts5Planner(rare_rows=3, candidate_rows=3, broad_rows=100)
    with transaction(runtime.read_sessions) as session:
        hits = planner.search(session, workspace_id=mine, query=parse_query(
            "forklift archive"), filters=SearchFilters(), limit=10)
    assert hits[0][0] == own[-1]
    assert {h[0] for h in hits} <= set(own)


def test_each_workspace_ranks_exactly_its_own_rows(runtime: Runtime) -> None:
    """A workspace whose rows would be outranked by another's gets BM25 over its own rows,
    filtered or not, and nothing of the other."""
    large, small = workspace(runtime, "large"), workspace(runtime, "small")
    # The large workspace's rows say "forklift" twice in short passages: in a shared index
    # they would outrank every row of the small one, whose passages are longer.
    theirs = add_chunks(runtime, large, [f"forklift forklift {n}" for n in range(40)])
    own = add_chunks(runtime, small, [f"forklift seen near the ledger of box {n} in the hall"
                                      for n in range(3)])
    planner = Fts5Planner()
    query = parse_query("forklift")
    with transaction(runtime.read_sessions) as session:
        hits = planner.search(session, workspace_id=small, query=query,
                              filters=SearchFilters(), limit=2)
        assert [h[0] for h in hits] == exact(session, small, "forklift", 2)
        assert {h[0] for h in hits} <= set(own) and len(hits) == 2
        hits = planner.search(session, workspace_id=large, query=query,
                              filters=SearchFilters(), limit=5)
        assert [h[0] for h in hits] == exact(session, large, "forklift", 5)
        assert {h[0] for h in hits} <= set(theirs)
        collection_id = session.scalar(select(Collection.id).where(
            Collection.workspace_id == small))
        hits = planner.search(session, workspace_id=small, query=query,
                              filters=SearchFilters(collection_id=collection_id), limit=5)
        assert sorted(h[0] for h in hits) == own


def test_a_small_corpus_gets_exact_bm25(runtime: Runtime) -> None:
    ws = workspace(runtime, "one")
    add_chunks(runtime, ws, [*FILLER, "forklift archive", "incident ledger boxes"])
    with transaction(runtime.read_sessions) as session:
        for query in ("forklift ledger", "archive", "boxes incident archive", '"the ledger"'):
            hits = Fts5Planner().search(session, workspace_id=ws, query=parse_query(query),
                                        filters=SearchFilters(), limit=10)
            assert [h[0] for h in hits] == exact(session, ws, query, 10), query


def plan_of_keyword_statement(session: Session, workspace_id: str) -> str:
    fts = keyword_table(workspace_id)
    rows = session.execute(text(  # the statement of a search filtered by collection
        f"EXPLAIN QUERY PLAN SELECT chunk.id, bm25({fts}) FROM {fts} JOIN chunk "
        f"ON chunk.id = {fts}.rowid WHERE {fts} MATCH 'forklift' "
        "AND chunk.workspace_id = :w"), {"w": workspace_id}).all()
    return " / ".join(row[-1] for row in rows)


def test_statistics_are_refreshed_when_the_chunks_double(runtime: Runtime) -> None:
    """Without statistics SQLite walks the workspace's chunks and probes FTS5 for each."""
    ws = workspace(runtime, "one")
    stats = runtime.planner_statistics
    assert stats is not None
    with transaction(runtime.read_sessions) as session:
        assert plan_of_keyword_statement(session, ws).startswith("SEARCH chunk USING")
    add_chunks(runtime, ws, [f"entry {n} of the ledger" for n in range(300)])
    assert stats.refresh() is False  # under 500 chunks every plan is fast
    add_chunks(runtime, ws, [f"entry {n} of the archive" for n in range(300)])
    assert stats.refresh() is True
    with transaction(runtime.read_sessions) as session:
        assert plan_of_keyword_statement(session, ws).startswith(
            f"SCAN {keyword_table(ws)}")
    assert stats.refresh() is False  # nothing changed
    add_chunks(runtime, ws, [f"entry {n} of the boxes" for n in range(700)])
    assert stats.refresh() is True  # doubled since the last ANALYZE (600 -> 1300)


def test_reused_word_counts_never_hide_rows_added_since(runtime: Runtime) -> None:
    """Counts are kept for a while to plan faster; matches and scores are always live."""
    ws = workspace(runtime, "one")
    add_chunks(runtime, ws, [*FILLER, "forklift report", *UNRELATED])
    planner = Fts5Planner(rare_rows=3, candidate_rows=3, broad_rows=100)
    query = parse_query("forklift archive ledger")
    with transaction(runtime.read_sessions) as session:
        first = planner.search(session, workspace_id=ws, query=query,
                               filters=SearchFilters(), limit=3)
    # "forklift" was counted as rare (1 row); two more rows now hold it.
    added = add_chunks(runtime, ws, ["forklift archive ledger archive", "forklift archive"])
    with transaction(runtime.read_sessions) as session:
        second = planner.search(session, workspace_id=ws, query=query,
                                filters=SearchFilters(), limit=3)
        assert [h[0] for h in second] == exact(session, ws, "forklift archive ledger", 3)
    assert added[0] == second[0][0]
    assert len(first) == 3 and {h[0] for h in first}.isdisjoint(added)
