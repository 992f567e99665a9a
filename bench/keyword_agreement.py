"""Top-10 agreement with exact FTS5 BM25 of each keyword engine, on a kept corpus.

    PYTHONPATH=src .venv/bin/python bench/keyword_agreement.py --data-dir DIR

DIR is a DATA_DIR kept by `bench/search_latency.py --keep-data DIR` (a million chunks takes
~12 minutes to build; this reuses it); its tantivy index is built here if it has none.
For each of search_latency's 200 queries: exact FTS5 BM25
over every matching row (the reference), the bounded FTS5 plan (search/fts5_plan.py), and
tantivy in its own order (its one-byte passage lengths; `rescore_depth=0`) and with its top
20 (shipped) / 50 / 100 rescored by exact BM25 (search/tantivy_rescore.py); the share of the
exact top 10 each returns in its top 10 (plain, and counting a row that ties with exact's
10th score as agreeing), and each engine's own time per query (index level, warm; the
load average is recorded before and after). Results: bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text

from casework.bootstrap import build_runtime
from casework.core.database import transaction
from casework.core.settings import load_settings
from casework.search.filters import SearchFilters
from casework.search.keyword_index import Fts5KeywordIndex
from casework.search.keyword_tables import keyword_table
from casework.search.query import parse_query, to_fts5
from casework.search.tantivy_index import TantivyKeywordIndex
from casework.search.tantivy_rescore import RESCORE_DEPTH
from harness import write_results
from latency_corpus import load_pages, make_queries, natural_questions
from search_latency import Stopwatch


def queries_of(count: int) -> list[str]:
    """search_latency.py's queries, in its order."""
    pages, _ = load_pages()
    sentences = [sentence for page in pages for sentence in page]
    questions = natural_questions()
    keyword_style = make_queries(sentences, count - min(len(questions), count // 4))
    queries = keyword_style + questions[:count - len(keyword_style)]
    random.Random(5).shuffle(queries)
    return queries


def _within_exact_top(session: Any, fts: str, match: str, ids: set[int],
                      tenth: float) -> int:
    """How many of `ids` exact BM25 scores at least as well as its own 10th hit.

    Exact BM25's top 10 is not unique where passages tie at the 10th score (repeated
    texts, equal lengths): any of the tied rows is as right as another. Plain overlap
    counts a different choice among them as a miss; this does not.
    """
    if not ids:
        return 0
    rows = session.execute(text(
        f"SELECT rowid, bm25({fts}) FROM {fts} WHERE {fts} MATCH :m "
        f"AND rowid IN ({','.join(str(int(i)) for i in ids)})"), {"m": match}).all()
    return sum(score <= tenth + 1e-9 for _, score in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--name", default="keyword_agreement_1m")
    args = parser.parse_args(argv)
    settings = load_settings(_env_file=None, data_dir=args.data_dir, database_url=None,
                             keyword_engine="tantivy", worker_threads=0)
    runtime = build_runtime(settings)
    engines: dict[str, Any] = {"fts5 bounded plan": Fts5KeywordIndex()}
    for depth in sorted({0, RESCORE_DEPTH, 20, 50, 100}):
        name = ("tantivy, own order" if not depth else
                f"tantivy, top {depth} rescored" + (" (shipped)" if depth == RESCORE_DEPTH
                                                    else ""))
        engines[name] = TantivyKeywordIndex(
            directory=settings.data_dir / "index" / "keyword", sessions=runtime.sessions,
            read_sessions=runtime.read_sessions, rescore_depth=depth)
    engines["tantivy, own order"].catch_up()  # builds the index if the DATA_DIR has none
    load_before = [round(x, 2) for x in os.getloadavg()]
    overlap: dict[str, list[float]] = {name: [] for name in engines}
    tied: dict[str, list[float]] = {name: [] for name in engines}
    watches = {name: Stopwatch() for name in engines}
    try:
        with transaction(runtime.read_sessions) as session:
            workspace_id = session.scalar(text("SELECT workspace_id FROM chunk LIMIT 1"))
            chunks = session.scalar(text("SELECT count(*) FROM chunk"))
            fts = keyword_table(workspace_id)
            for number, query in enumerate(queries_of(args.queries)):
                parsed = parse_query(query)
                if parsed.is_empty:
                    continue
                match = to_fts5(parsed)
                ranked = session.execute(text(
                    f"SELECT rowid, bm25({fts}) FROM {fts} WHERE {fts} MATCH :m "
                    f"ORDER BY bm25({fts}) LIMIT 10"), {"m": match}).all()
                exact = [row[0] for row in ranked]
                for name, engine in engines.items():
                    planner = getattr(engine, "planner", None)
                    if planner is not None:
                        planner.forget_counts()
                    found = watches[name].time(lambda e=engine, p=parsed: e.search(
                        session, workspace_id=workspace_id, query=p,
                        filters=SearchFilters(), limit=10))
                    if exact:
                        got = {chunk_id for chunk_id, _ in found}
                        overlap[name].append(len(got & set(exact)) / len(exact))
                        tied[name].append(_within_exact_top(
                            session, fts, match, got, ranked[-1][1]) / len(exact))
                if number % 20 == 0:
                    print(f"  {number} queries", flush=True)
    finally:
        for engine in engines.values():
            close = getattr(engine, "close", None)
            if close is not None:
                close()
        runtime.close()
    results: dict[str, Any] = {}
    for name in engines:
        values = overlap[name]
        results[name] = {
            "top10_overlap_with_exact_fts5_bm25": round(sum(values) / len(values), 3),
            "top10_overlap_ties_counted": round(sum(tied[name]) / len(tied[name]), 3),
            "share_of_queries_identical": round(sum(v == 1.0 for v in values) / len(values), 3),
            "queries": len(values), "time": watches[name].summary()}
        print(f"{name:<22} {results[name]}", flush=True)
    out = write_results(args.name, {
        "method": "one workspace of search_latency.py's corpus reopened from a kept "
                  "DATA_DIR; each engine called at the index level (no hydration, no "
                  "snippets) in one read transaction; the reference is FTS5's exact "
                  "bm25() over every matching row",
        "chunks": chunks, "engines": results, "load_average_1_5_15_before": load_before,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    })
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
